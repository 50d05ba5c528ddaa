"""A LocalStack Lambda runtime executor that runs Node.js functions in a child process.

LocalStack's own executor runs a container per execution environment; with no Docker engine
this one runs `node` instead, with the same bootstrap the project's local AWS uses
(the package's `reconciler/sandbox/lambda_/node/bootstrap.mjs` and its SDK, found through
$LAMBDA_NODE_BOOTSTRAP and $LAMBDA_NODE_MODULES). Everything
around the code stays LocalStack's: its invocation queue, retries, dead-letter queues,
concurrency, logs and metrics, so the functions' failure path is checked against an emulator we
did not write. Other runtimes answer an error, as the no-code executor does.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

from localstack.services.lambda_.invocation.lambda_models import InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import RuntimeExecutor
from no_code_executor import NoCodeExecutor

BOOTSTRAP = Path(os.environ.get("LAMBDA_NODE_BOOTSTRAP", "/nonexistent/bootstrap.mjs"))
SDK_MODULES = Path(os.environ.get("LAMBDA_NODE_MODULES", "/nonexistent/node_modules"))
INIT_TIMEOUT_S = 10.0
EOF = {"k": "eof"}


class NodeExecutor(NoCodeExecutor):
    """One `node` process per LocalStack execution environment, started on first use."""

    def start(self, env_vars: dict[str, str]) -> None:
        self._env = {k: str(v) for k, v in env_vars.items()}
        self._process: subprocess.Popen[bytes] | None = None
        self._frames: queue.Queue[dict[str, Any]] = queue.Queue()
        self._logs: list[str] = []
        self._home: str | None = None

    def stop(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if getattr(self, "_home", None):
            shutil.rmtree(str(self._home), ignore_errors=True)

    def get_logs(self) -> str:
        return "\n".join(getattr(self, "_logs", []))

    def invoke(self, payload: dict[str, Any]) -> InvocationResult:
        request_id = str(payload.get("invoke-id"))
        runtime = str(self.function_version.config.runtime or "")
        if not runtime.startswith("nodejs") or not BOOTSTRAP.is_file():
            return super().invoke(payload)
        lines: list[str] = []
        if self._process is None:
            failure = self._boot(request_id, lines)
            if failure is not None:
                return failure
        timeout = float(self.function_version.config.timeout or 3)
        request = {
            "requestId": request_id,
            "event": json.loads(payload.get("payload") or "{}"),
            "invokedFunctionArn": payload.get("invoked-function-arn"),
            "deadlineMs": int((time.time() + timeout) * 1000),
        }
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(json.dumps(request).encode() + b"\n")
        self._process.stdin.flush()
        result = self._until("result", time.monotonic() + timeout, lines)
        if result is None or result is EOF:
            self.stop()
            self._process = None
            message = f"Task timed out after {timeout:.2f} seconds" if result is None else "exited"
            error = {"errorType": "Runtime", "errorMessage": message}
            return self._result(request_id, error, lines)
        if not result.get("ok"):
            return self._result(request_id, result.get("error") or {}, lines)
        return InvocationResult(
            request_id, str(result.get("payload")).encode(), False, self._joined(lines)
        )

    def _boot(self, request_id: str, lines: list[str]) -> InvocationResult | None:
        self._home = tempfile.mkdtemp(prefix="ls-node-")
        task, opt = Path(self._home) / "task", Path(self._home) / "opt"
        shutil.copytree(self.function_version.config.code.get_unzipped_code_location(), task)
        opt.mkdir()
        for layer in self.function_version.config.layers or []:
            layer.code.prepare_for_execution()  # unzipped on first use, as the function's code
            shutil.copytree(layer.code.get_unzipped_code_location(), opt, dirs_exist_ok=True)
        # ES modules find the runtime's SDK above the task root, as on Lambda.
        (Path(self._home) / "node_modules").symlink_to(SDK_MODULES)
        node_path = [opt / "nodejs/node24/node_modules", opt / "nodejs/node_modules"]
        node_path.append(SDK_MODULES)
        env = {
            **self._env,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LAMBDA_TASK_ROOT": str(task),
            "NODE_PATH": os.pathsep.join(str(p) for p in node_path),
            "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true",
        }
        self._process = subprocess.Popen(
            ["node", str(BOOTSTRAP)],
            cwd=task,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._pump(self._process.stdout, framed=True)
        self._pump(self._process.stderr, framed=False)
        init = self._until("init", time.monotonic() + INIT_TIMEOUT_S, lines)
        if init is None or init is EOF or not init.get("ok"):
            error = (init or {}).get("error") or {"errorType": "Runtime.InitError"}
            self.stop()
            self._process = None
            return self._result(request_id, error, lines)
        return None

    def _until(self, kind: str, deadline: float, lines: list[str]) -> dict[str, Any] | None:
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                frame = self._frames.get(timeout=remaining)
            except queue.Empty:
                return None
            if frame is EOF or frame.get("k") == kind:
                return frame
            text = str(frame.get("m", ""))
            lines.extend([text] if frame.get("k") == "log" else text.splitlines())
        return None

    def _pump(self, stream: IO[bytes] | None, framed: bool) -> None:
        def read() -> None:
            assert stream is not None
            for raw in stream:
                text = raw.decode("utf-8", "replace")
                try:
                    frame = json.loads(text) if framed else None
                except ValueError:
                    frame = None
                self._frames.put(frame if isinstance(frame, dict) else {"k": "out", "m": text})
            if framed:
                self._frames.put(EOF)

        threading.Thread(target=read, daemon=True).start()

    def _result(self, request_id: str, error: dict[str, Any], lines: list[str]) -> InvocationResult:
        body = {
            "errorType": error.get("errorType", "Error"),
            "errorMessage": error.get("errorMessage", ""),
        }
        return InvocationResult(request_id, json.dumps(body).encode(), True, self._joined(lines))

    def _joined(self, lines: list[str]) -> str:
        self._logs.extend(lines)
        return "\n".join(lines)


class NodeExecutorPlugin(RuntimeExecutorPlugin):
    name = "node"

    def load(self, *args: Any, **kwargs: Any) -> type[RuntimeExecutor]:
        return NodeExecutor
