"""Adapter support for Lambda: a function's configuration as our fields and back, and the
wait every mutation needs (`State=Active`, `LastUpdateStatus=Successful`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.adapters.base import Context
from reconciler.adapters.lambda_.layers import layer_arn
from reconciler.errors import ResourceFailed
from reconciler.expand.lambda_ import FUNCTION

MISSING = ("ResourceNotFoundException",)


def config_fields(
    config: Mapping[str, Any], layer: Callable[[str], str] = lambda arn: arn
) -> dict[str, Any]:
    """A function (or version) configuration from AWS, as our comparable fields.

    `layer` turns a layer version ARN into the `<layer>@<hash>` form the desired state uses.
    """
    logging = config.get("LoggingConfig", {})
    return {
        "runtime": config.get("Runtime"),
        "handler": config.get("Handler"),
        "memory_mb": config.get("MemorySize"),
        "timeout_s": config.get("Timeout"),
        "architecture": (config.get("Architectures") or ["x86_64"])[0],
        "tracing": config.get("TracingConfig", {}).get("Mode", "PassThrough"),
        "role_arn": config.get("Role"),
        "environment": dict(config.get("Environment", {}).get("Variables", {})),
        "kms_key_arn": config.get("KMSKeyArn") or None,
        "layers": tuple(layer(item["Arn"]) for item in config.get("Layers", [])),
        "dead_letter_target": config.get("DeadLetterConfig", {}).get("TargetArn") or None,
        "log_format": logging.get("LogFormat", "Text"),
        "log_group": logging.get("LogGroup", f"/aws/lambda/{config.get('FunctionName')}"),
        "code_sha256": config.get("CodeSha256"),
    }


def config_request(
    ctx: Context, fields: Mapping[str, Any], with_runtime: bool = True
) -> dict[str, Any]:
    """The UpdateFunctionConfiguration/CreateFunction parameters for our fields."""
    runtime = {"Runtime": fields["runtime"]} if with_runtime else {}
    return {
        **runtime,
        "Handler": fields["handler"],
        "MemorySize": fields["memory_mb"],
        "Timeout": fields["timeout_s"],
        "TracingConfig": {"Mode": fields["tracing"]},
        "Role": fields["role_arn"],
        "Environment": {"Variables": dict(fields["environment"])},
        # An empty string clears a customer key: back to the AWS managed key.
        "KMSKeyArn": fields["kms_key_arn"] or "",
        "Layers": [layer_arn(ctx, ref) for ref in fields["layers"]],
        "DeadLetterConfig": {"TargetArn": fields["dead_letter_target"] or ""},
        "LoggingConfig": {"LogFormat": fields["log_format"], "LogGroup": fields["log_group"]},
    }


def wait_ready(ctx: Context, name: str, qualifier: str | None = None) -> None:
    """Until State=Active and LastUpdateStatus=Successful; a Failed update is an error."""
    lam = ctx.client("lambda")
    extra = {"Qualifier": qualifier} if qualifier else {}

    def check() -> tuple[bool, str]:
        config = lam.get_function_configuration(FunctionName=name, **extra)
        state = config.get("State", "Active")
        update = config.get("LastUpdateStatus", "Successful")
        if "Failed" in (state, update):
            reason = config.get("LastUpdateStatusReason") or config.get("StateReason") or ""
            raise ResourceFailed(f"function {name}: {state}/{update}: {reason}")
        return (state, update) == ("Active", "Successful"), f"{state}/{update}"

    ctx.wait.until(check, f"function {name} ready", kind=FUNCTION.key, name=name)


def mutate(ctx: Context, name: str, call: Callable[[], object]) -> None:
    """Lambda refuses a change while the last one runs: wait before, retry 409s, wait after."""
    wait_ready(ctx, name)
    call()
    wait_ready(ctx, name)
