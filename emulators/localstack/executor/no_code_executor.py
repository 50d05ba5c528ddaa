"""A Lambda runtime executor for LocalStack that starts no container and runs no code.

LocalStack's own executor needs a Docker engine and a runtime image; without one every
function ends `Failed`. The reconciler never invokes a function: it needs the control plane
(states, updates, versions, aliases, provisioned concurrency), which LocalStack drives only
once an execution environment reports ready. This one is ready at once, and an invocation
answers an error saying that no code runs here, so nothing is mistaken for a real result.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import RuntimeExecutor

LOOPBACK = "127.0.0.1"
# Seconds each version takes to prepare, as AWS takes a moment to unpack and optimise code:
# a function stays Pending after create, and an update InProgress, this long.
PREPARE_S = float(os.environ.get("NO_CODE_PREPARE_SECONDS", "0"))


class NoCodeExecutor(RuntimeExecutor):
    def start(self, env_vars: dict[str, str]) -> None:
        """Nothing to start: the environment is ready as soon as it is asked for."""

    def stop(self) -> None:
        """Nothing was started."""

    def get_address(self) -> str:
        return LOOPBACK

    def get_endpoint_from_executor(self) -> str:
        return LOOPBACK

    def get_runtime_endpoint(self) -> str:
        return f"http://{LOOPBACK}/_localstack_lambda/{self.id}"

    def invoke(self, payload: dict[str, Any]) -> InvocationResult:
        error = {
            "errorType": "NoCodeExecutor",
            "errorMessage": "this LocalStack runs no function code (no Docker engine)",
        }
        request_id = str(payload.get("invoke-id") or uuid.uuid4())
        return InvocationResult(request_id, json.dumps(error).encode(), True, "")

    def get_logs(self) -> str:
        return ""

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        # Unpacks the uploaded zip where LocalStack keeps code; no image, no runtime binary.
        time.sleep(PREPARE_S)
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """prepare_version made nothing that outlives the version's code."""


class NoCodeExecutorPlugin(RuntimeExecutorPlugin):
    name = "no-code"

    def load(self, *args: Any, **kwargs: Any) -> type[RuntimeExecutor]:
        return NoCodeExecutor
