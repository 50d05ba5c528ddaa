"""Shared helpers for the sandbox tests: clients, a role, a deployable function."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.type_defs import FunctionConfigurationResponseTypeDef

REGION = "us-east-1"
ACCOUNT = "123456789012"
# Knobs that make the sandbox instant; tests that exercise a delay turn one knob up.
INSTANT: dict[str, object] = {
    "pending_seconds": 0,
    "update_seconds": 0,
    "pc_ready_seconds": 0,
    "pc_fail_reason": "",
    "iam_propagation_seconds": 0,
    "account_concurrency": 1000,
    "latency_ms": 0,
    "queue_reuse_seconds": 0,
    "enforce_policy": "",
    "enforce_access_key": "",
    "clock": "",
    "alarm_evaluation_seconds": 60.0,
    "metric_period_scale": 1.0,
}
TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def client_kwargs(url: str, retries: int = 1, validate: bool = True) -> dict[str, Any]:
    """boto3 client arguments for the sandbox; one attempt by default so errors surface."""
    return {
        "endpoint_url": url,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "config": Config(
            retries={"total_max_attempts": retries, "mode": "standard"},
            parameter_validation=validate,
        ),
    }


def handler_zip(header: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed timestamp: the same code makes the same bytes whenever it is zipped.
        entry = zipfile.ZipInfo("index.py", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(entry, header + "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def create_role(iam: IAMClient, name: str = "app-role") -> str:
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_POLICY)
    return role["Role"]["Arn"]


def create_function(
    lam: LambdaClient, role_arn: str, name: str = "app", **settings: Any
) -> FunctionConfigurationResponseTypeDef:
    return lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": handler_zip()},
        **settings,
    )


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def error_code(exc: Exception) -> str:
    response: dict[str, Any] = getattr(exc, "response", {})
    return str(response.get("Error", {}).get("Code", ""))


def client(url: str, service: str, **options: Any) -> Any:
    """An untyped client, for services without installed type stubs (e.g. sts)."""
    return boto3.client(service, **client_kwargs(url, **options))  # type: ignore[call-overload]
