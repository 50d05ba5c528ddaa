"""Read-only, in-process look-ups into moto's backends (the sandbox always embeds moto)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.iam.models import get_account_id_from


def account_for(environ: Mapping[str, Any], access_key: str) -> str:
    """The account moto files this request under, decided the same way moto decides it."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    header = environ.get("HTTP_X_MOTO_ACCOUNT_ID")
    if header:
        return str(header)
    return str(get_account_id_from(access_key))


def _storage(account: str, region: str) -> Any:
    return lambda_backends[account][region]._lambdas


def latest_function(account: str, region: str, name: str) -> Any | None:
    functions: dict[str, Any] = _storage(account, region)._functions
    group = functions.get(name)
    return None if group is None else group.get("latest")


def latest_functions(account: str, region: str) -> list[Any]:
    return list(_storage(account, region).latest())


def published_versions(account: str, region: str, name: str) -> list[Any]:
    group = _storage(account, region)._functions.get(name)
    return [] if group is None else list(group["versions"])


def alias_version(account: str, region: str, name: str, alias: str) -> str | None:
    function = latest_function(account, region, name)
    if function is None:
        return None
    aliases = _storage(account, region)._aliases.get(function.function_arn, {})
    found = aliases.get(alias)
    return None if found is None else str(found.function_version)


def qualifier_exists(account: str, region: str, name: str, qualifier: str) -> bool:
    versions = {str(v.version) for v in published_versions(account, region, name)}
    return qualifier in versions or alias_version(account, region, name, qualifier) is not None


def reserved_concurrency(function: Any) -> int | None:
    value = getattr(function, "reserved_concurrency", None)
    return None if value is None else int(value)


def code_size(function: Any) -> int:
    return int(getattr(function, "code_size", 0) or 0)


def dashboard_exists(account: str, region: str, name: str) -> bool:
    return name in cloudwatch_backends[account][region].dashboards
