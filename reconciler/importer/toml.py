"""Import: live functions -> the text of a stack's TOML, and what it needs beside it (pure).

Names ending in the suffix become `{suffix}` templates. No secret value is ever written: every
environment value becomes an `env:` reference, unless named as plain configuration, and the
variables to set are returned for the command to print.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.desired.secrets import SECRET_LIKE
from reconciler.errors import InputError
from reconciler.expand.ownership import CLOUDFORMATION, MANAGED_BY, STACK, SUFFIX
from reconciler.importer.alarms import Alarms
from reconciler.importer.read import LiveFunction, LiveLayer

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
SKIPPED_TAGS = {MANAGED_BY, SUFFIX, STACK}


@dataclass(frozen=True)
class Secret:
    """An environment variable the reconciler must be given: the function's current value."""

    variable: str
    function: str
    key: str


@dataclass(frozen=True)
class Imported:
    text: str
    secrets: tuple[Secret, ...]
    # (file name in the code folder, where to download it from)
    code: tuple[tuple[str, str], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    stack: str
    suffix: str
    region: str
    account: str
    plain: frozenset[str]
    code_folder: str


def imported(request: Request, functions: Sequence[LiveFunction], alarms: Alarms) -> Imported:
    check_plain(request.plain)
    secrets: list[Secret] = []
    code = [(f"{_key(request, f.name)}.zip", f.code_location) for f in functions]
    layers = {layer.name: layer for f in functions for layer in f.layers}
    code += [(f"layer-{_key(request, n)}.zip", x.location) for n, x in sorted(layers.items())]
    blocks = [_header(request, functions)]
    blocks += [_layer(request, layer) for _, layer in sorted(layers.items())]
    for function in functions:
        blocks.append(_function(request, function, secrets, function.name in alarms.critical))
    blocks += _alarms(alarms)
    return Imported("\n".join(blocks), tuple(secrets), tuple(code), alarms.notes)


def check_plain(plain: Iterable[str]) -> None:
    """A credential is never written as plain configuration (the loader would refuse it)."""
    for name in sorted(plain):
        if SECRET_LIKE.search(name.upper()):
            raise InputError(
                f"--plain {name}: named like a credential, it stays a secret reference"
            )


def _key(request: Request, name: str) -> str:
    base = _template(request, name).removesuffix("-{suffix}").replace("-", "_")
    if not KEY.match(base):
        raise InputError(f"{name}: no TOML key can be made of its name")
    return base


def _template(request: Request, name: str) -> str:
    """A name as a template; every name the reconciler generates ends with the suffix."""
    if not name.endswith(f"-{request.suffix}"):
        raise InputError(
            f"{name}: its name does not end with -{request.suffix}, as every name a stack "
            "declares must (discovery finds what a suffix owns by that ending)"
        )
    return name.removesuffix(request.suffix) + "{suffix}"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    # A TOML basic string takes JSON's escapes.
    return json.dumps(str(value))


def _table(name: str, values: dict[str, Any]) -> str:
    lines = [f"[{name}]"] + [f"{k} = {_value(v)}" for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def _header(request: Request, functions: Sequence[LiveFunction]) -> str:
    comment = (
        f"# Imported by `reconcile import` from account {request.account}, {request.region}.\n"
        f"# Code as it runs, byte for byte, is in {request.code_folder}/. Reconcile with\n"
        f"#   reconcile plan --adopt --stack {request.stack} --suffix {request.suffix}\n"
    )
    return (
        comment
        + "\n"
        + _table("stack", {"name": request.stack, "region": request.region})
        + ("\n" + _table("tags", _common_tags(functions)))
    )


def _common_tags(functions: Sequence[LiveFunction]) -> dict[str, str]:
    """The tags every function shares (a stack's tags are the same on all its resources)."""
    shared = set.intersection(*(set(f.tags.items()) for f in functions))
    kept = {k: v for k, v in shared if k not in SKIPPED_TAGS and not k.startswith("aws:")}
    return dict(sorted(kept.items()))


def _layer(request: Request, layer: LiveLayer) -> str:
    key = _key(request, layer.name)
    values = {
        "name": _template(request, layer.name),
        "source": f"{request.code_folder}/layer-{key}.zip",
        "compatible_runtimes": list(layer.runtimes),
        "compatible_architectures": list(layer.architectures),
    }
    return "\n" + _table(f"layers.{key}", values)


def _function(
    request: Request, function: LiveFunction, secrets: list[Secret], critical: bool
) -> str:
    if any(tag.startswith(CLOUDFORMATION) for tag in function.tags):
        raise InputError(
            f"{function.name}: a CloudFormation stack manages it; release it from the stack "
            "before importing it"
        )
    key = _key(request, function.name)
    where = f"functions.{key}"
    settings = _settings(request, function, key) | {"critical": critical or None}
    blocks = [_table(where, settings)]
    environment, refs = _environment(request, function, key, secrets)
    if environment:
        blocks.append(_table(f"{where}.environment", environment))
    if refs:
        blocks.append(_table(f"{where}.secrets", refs))
    blocks.append(_table(f"{where}.role", {"arn": function.config["Role"]}))
    blocks += _extras(request, function, where)
    return "\n" + "\n".join(blocks)


def _settings(request: Request, function: LiveFunction, key: str) -> dict[str, Any]:
    config = function.config
    return {
        "name": _template(request, function.name),
        "source": f"{request.code_folder}/{key}.zip",
        "handler": config["Handler"],
        "runtime": config["Runtime"],
        "architecture": (config.get("Architectures") or ["x86_64"])[0],
        "memory_mb": config["MemorySize"],
        "timeout_s": config["Timeout"],
        "tracing": config.get("TracingConfig", {}).get("Mode", "PassThrough"),
        "reserved_concurrency": function.reserved,
        "kms_key_arn": config.get("KMSKeyArn") or None,
        "log_retention_days": function.retention_days,
        "log_format": config.get("LoggingConfig", {}).get("LogFormat", "Text"),
        "layers": [_key(request, layer.name) for layer in function.layers] or None,
    }


def _environment(
    request: Request, function: LiveFunction, key: str, secrets: list[Secret]
) -> tuple[dict[str, str], dict[str, str]]:
    variables = function.config.get("Environment", {}).get("Variables", {})
    environment: dict[str, str] = {}
    refs: dict[str, str] = {}
    for name, value in sorted(variables.items()):
        if name in request.plain:
            environment[name] = _plain(request, str(value))
            continue
        variable = f"{request.stack}_{key}_{name}".upper().replace("-", "_")
        refs[name] = f"env:{variable}"
        secrets.append(Secret(variable, function.name, name))
    return environment, refs


def _plain(request: Request, value: str) -> str:
    return (
        value.removesuffix(request.suffix) + "{suffix}"
        if value.endswith(f"-{request.suffix}")
        else value
    )


def _extras(request: Request, function: LiveFunction, where: str) -> list[str]:
    blocks = []
    if function.alias:
        alias = {"name": function.alias["Name"], "provisioned_concurrency": function.provisioned}
        blocks.append(_table(f"{where}.alias", alias))
    if function.queue:
        queue = {
            "name": _template(request, function.queue["QueueName"]),
            "retention_s": int(function.queue.get("MessageRetentionPeriod", 345600)),
            "visibility_timeout_s": int(function.queue.get("VisibilityTimeout", 30)),
        }
        blocks.append(_table(f"{where}.dead_letter_queue", queue))
    if function.invoke_config:
        retries = function.invoke_config.get("MaximumRetryAttempts", 2)
        age = function.invoke_config.get("MaximumEventAgeInSeconds", 21600)
        async_ = {"max_retry_attempts": retries, "max_event_age_s": age}
        blocks.append(_table(f"{where}.async", async_))
    return blocks


def _alarms(alarms: Alarms) -> list[str]:
    if not alarms.templates:
        return []
    tables = [_table(f"alarms.{t.key}", t.settings) for t in alarms.templates]
    if alarms.action_arn:
        tables.insert(0, _table("alarms", {"action_arn": alarms.action_arn}))
    return ["\n" + "\n".join(tables)]
