"""Function settings moto drops or ignores, kept beside moto and merged into its answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

TEXT, JSON_FORMAT = "Text", "JSON"
DEFAULT_LOG_LEVEL = "INFO"
TEXT_WITH_LEVELS = (
    'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your '
    'request or change the LogFormat to "JSON" and try again.'
)


@dataclass(frozen=True)
class Overlay:
    """What AWS would report for the settings moto gets wrong."""

    log_group: str
    log_format: str = TEXT
    application_log_level: str | None = None
    system_log_level: str | None = None
    tracing_mode: str = "PassThrough"
    dead_letter_target: str | None = None
    kms_key_arn: str | None = None
    # moto keeps the architecture given at create but ignores it on UpdateFunctionCode.
    architectures: tuple[str, ...] | None = None


def default_overlay(function_name: str) -> Overlay:
    return Overlay(log_group=default_log_group(function_name))


def default_log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def logging_problem(request: Mapping[str, Any]) -> str | None:
    """Why AWS would refuse the request's LoggingConfig, if it would."""
    logging = request.get("LoggingConfig")
    if not isinstance(logging, dict) or logging.get("LogFormat", TEXT) != TEXT:
        return None
    if "ApplicationLogLevel" in logging or "SystemLogLevel" in logging:
        return TEXT_WITH_LEVELS
    return None


def overlay_from_request(base: Overlay, name: str, request: Mapping[str, Any]) -> Overlay:
    """`base` with every setting the Create/UpdateFunctionConfiguration request carries."""
    changed = base
    if isinstance(request.get("LoggingConfig"), dict):
        changed = _with_logging(changed, name, request["LoggingConfig"])
    if isinstance(request.get("TracingConfig"), dict) and request["TracingConfig"].get("Mode"):
        changed = replace(changed, tracing_mode=str(request["TracingConfig"]["Mode"]))
    if isinstance(request.get("DeadLetterConfig"), dict):
        target = request["DeadLetterConfig"].get("TargetArn")
        changed = replace(changed, dead_letter_target=target or None)
    if "KMSKeyArn" in request:
        changed = replace(changed, kms_key_arn=request["KMSKeyArn"] or None)
    if isinstance(request.get("Architectures"), list) and request["Architectures"]:
        changed = replace(changed, architectures=tuple(map(str, request["Architectures"])))
    return changed


def _with_logging(base: Overlay, name: str, logging: Mapping[str, Any]) -> Overlay:
    # A LoggingConfig in a request replaces the whole block: omitted fields fall back to
    # their defaults rather than keeping earlier values.
    log_format = str(logging.get("LogFormat") or TEXT)
    json_levels = log_format == JSON_FORMAT
    return replace(
        base,
        log_group=str(logging.get("LogGroup") or default_log_group(name)),
        log_format=log_format,
        application_log_level=_level(logging, "ApplicationLogLevel") if json_levels else None,
        system_log_level=_level(logging, "SystemLogLevel") if json_levels else None,
    )


def _level(logging: Mapping[str, Any], key: str) -> str:
    return str(logging.get(key) or DEFAULT_LOG_LEVEL)


def apply_overlay(config: dict[str, Any], overlay: Overlay) -> None:
    """Rewrite one FunctionConfiguration dict in place to what AWS would return."""
    config["LoggingConfig"] = logging_config(overlay)
    config["TracingConfig"] = {"Mode": overlay.tracing_mode}
    if overlay.architectures:
        config["Architectures"] = list(overlay.architectures)
    _set_or_drop(config, "KMSKeyArn", overlay.kms_key_arn)
    target = overlay.dead_letter_target
    _set_or_drop(config, "DeadLetterConfig", {"TargetArn": target} if target else None)
    # AWS leaves Layers out of a function that has none; moto sends an empty list.
    if not config.get("Layers"):
        config.pop("Layers", None)


def logging_config(overlay: Overlay) -> dict[str, str]:
    block = {"LogFormat": overlay.log_format, "LogGroup": overlay.log_group}
    if overlay.application_log_level:
        block["ApplicationLogLevel"] = overlay.application_log_level
    if overlay.system_log_level:
        block["SystemLogLevel"] = overlay.system_log_level
    return block


def _set_or_drop(config: dict[str, Any], key: str, value: object) -> None:
    if value is None:
        config.pop(key, None)
    else:
        config[key] = value
