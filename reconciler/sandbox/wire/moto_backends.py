"""Read-only, in-process look-ups into moto's backends (the sandbox always embeds moto)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.awslambda.models import lambda_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends

# IAM is global: moto keeps one backend per account and partition.
IAM_PARTITION = "aws"


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


def renumber_newest_version(account: str, region: str, name: str, number: int) -> None:
    """Give the version moto published last the number AWS would have given it."""
    storage = _storage(account, region)
    versions = storage._functions[name]["versions"]
    newest = versions[-1]
    taken = newest.function_arn
    newest.set_version(number)
    storage._arns[newest.function_arn] = newest
    # moto filed the new version under an ARN an older version may still hold.
    same = [v for v in versions[:-1] if v.function_arn == taken]
    if same:
        storage._arns[taken] = same[-1]
    else:
        storage._arns.pop(taken, None)


def alias_version(account: str, region: str, name: str, alias: str) -> str | None:
    function = latest_function(account, region, name)
    if function is None:
        return None
    aliases = _storage(account, region)._aliases.get(function.function_arn, {})
    found = aliases.get(alias)
    return None if found is None else str(found.function_version)


def alias_weights(account: str, region: str, name: str, alias: str) -> dict[str, float]:
    """The versions an alias sends a share of its invocations to, besides its own."""
    function = latest_function(account, region, name)
    if function is None:
        return {}
    found = _storage(account, region)._aliases.get(function.function_arn, {}).get(alias)
    routing = (getattr(found, "routing_config", None) or {}) if found is not None else {}
    weights = routing.get("AdditionalVersionWeights") or {} if isinstance(routing, dict) else {}
    return {str(version): float(weight) for version, weight in weights.items()}


def event_source_mapping(account: str, region: str, uuid: str) -> Any | None:
    mappings = lambda_backends[account][region]._event_source_mappings
    return mappings.get(uuid)


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


def alarm_exists(account: str, region: str, name: str) -> bool:
    return name in cloudwatch_backends[account][region].alarms


def layer_versions(account: str, region: str, name: str) -> list[dict[str, Any]]:
    """Every live version of a layer, as GetLayerVersion describes it."""
    layer = lambda_backends[account][region]._layers._layers.get(name)
    if layer is None:
        return []
    return [version.get_layer_version() for version in layer.layer_versions.values()]


def layer_archive_sizes(account: str, region: str) -> list[int]:
    """The zipped size of every live version of every layer in the region."""
    layers = lambda_backends[account][region]._layers._layers
    return [
        int(version.get_layer_version().get("Content", {}).get("CodeSize", 0))
        for layer in layers.values()
        for version in layer.layer_versions.values()
    ]


def layer_version_exists(account: str, region: str, name: str, version: int) -> bool:
    return any(v["Version"] == version for v in layer_versions(account, region, name))


@dataclass(frozen=True)
class Principal:
    """An IAM user, group or role, with the managed policies it uses."""

    kind: str
    name: str
    id: str
    path: str
    attached: frozenset[str]
    boundary: str | None


def trust_policy(role_arn: str) -> str | None:
    """The trust policy of a role, by ARN, in the role's own account; None if it is not there."""
    parts = role_arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("role/"):
        return None
    name = parts[5].rsplit("/", 1)[-1]
    backend = iam_backends[parts[4]][IAM_PARTITION]
    role = next((r for r in backend.roles.values() if r.name == name), None)
    return None if role is None else str(role.assume_role_policy_document)


def caller_arn(account: str, access_key: str, region: str) -> str:
    """Who is calling, as STS GetCallerIdentity would say (an assumed role: its session)."""
    return str(sts_backends[account]["global"].get_caller_identity(access_key, region)[1])


def managed_policy(account: str, arn: str) -> Any | None:
    return iam_backends[account][IAM_PARTITION].managed_policies.get(arn)


def principals(account: str) -> list[Principal]:
    backend = iam_backends[account][IAM_PARTITION]
    found = [_principal("Role", role) for role in backend.roles.values()]
    found += [_principal("User", user) for user in backend.users.values()]
    found += [_principal("Group", group) for group in backend.groups.values()]
    return found


def _principal(kind: str, entity: Any) -> Principal:
    return Principal(
        kind=kind,
        name=str(entity.name),
        id=str(entity.id),
        path=str(getattr(entity, "path", None) or "/"),
        attached=frozenset(entity.managed_policies),
        boundary=getattr(entity, "permissions_boundary_arn", None) or None,
    )


def function_code(account: str, region: str, name: str, qualifier: str | None) -> bytes | None:
    """The zip a function (or one of its published versions) was deployed with."""
    function = latest_function(account, region, name)
    if function is not None and qualifier not in (None, "", "$LATEST"):
        function = next(
            # moto keeps a version number as an int or a str, depending on how it was made.
            (v for v in published_versions(account, region, name) if str(v.version) == qualifier),
            None,
        )
    code = getattr(function, "code_bytes", None) if function is not None else None
    return bytes(code) if code else None


def layer_code(account: str, region: str, name: str, version: int) -> bytes | None:
    layer = lambda_backends[account][region]._layers._layers.get(name)
    found = None if layer is None else layer.layer_versions.get(str(version))
    code = getattr(found, "code_bytes", None) if found is not None else None
    return bytes(code) if code else None


def scalable_target_arn(account: str, region: str, resource_id: str) -> str | None:
    """The ARN of a registered scalable target of provisioned concurrency, if any."""
    targets = applicationautoscaling_backends[account][region].targets
    target = targets.get("lambda:function:ProvisionedConcurrency", {}).get(resource_id)
    return None if target is None else str(target.arn)


def role_exists(account: str, path_and_name: str) -> bool:
    """Whether IAM holds the role of `role/<path>/<name>` (a service-linked role's form)."""
    name = path_and_name.rsplit("/", 1)[-1]
    roles = iam_backends[account][IAM_PARTITION].roles.values()
    return any(role.name == name for role in roles)


def create_linked_role(account: str, service: str, path_and_name: str) -> None:
    """The service-linked role AWS creates for `service` on first use (kept when present)."""
    if role_exists(account, path_and_name):
        return
    path, name = path_and_name.removeprefix("role").rsplit("/", 1)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": service}}
        ],
    }
    iam_backends[account][IAM_PARTITION].create_role(
        name,
        json.dumps(trust),
        f"{path}/",
        permissions_boundary=None,
        description="",
        tags=[],
        max_session_duration="3600",
        linked_service=service,
    )
