"""Adapter support for Lambda: what others attached to a function that is being taken over,
to show in the plan and leave alone (aliases not declared and the versions they serve, event
source mappings, permissions to invoke it, its URL, the role it leaves behind)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.adapters.base import Context, gather, paginate, unless_missing
from reconciler.expand.resources import Resource

MISSING = ("ResourceNotFoundException",)


def kept(ctx: Context, resource: Resource, live_role: str | None) -> tuple[str, ...]:
    """One line per thing a caller relies on; the reconciler changes none of them."""
    lam = ctx.client("lambda")
    name = resource.id.name
    aliases, mappings, policy, url = gather(
        ctx,
        lambda: paginate(lam, "list_aliases", "Aliases", FunctionName=name),
        lambda: paginate(
            lam, "list_event_source_mappings", "EventSourceMappings", FunctionName=name
        ),
        lambda: unless_missing(lambda: lam.get_policy(FunctionName=name), *MISSING),
        lambda: unless_missing(lambda: lam.get_function_url_config(FunctionName=name), *MISSING),
    )
    declared = set(resource.payload.get("aliases", ()))
    lines = [_alias(a) for a in aliases if a["Name"] not in declared]
    lines += [_mapping(m) for m in mappings]
    lines += [_permission(s) for s in _statements(policy)]
    if url:
        lines.append(f"function URL {url['FunctionUrl']} ({url.get('AuthType', '?')}): kept")
    if live_role and live_role != resource.fields["role_arn"]:
        role = live_role.rsplit("/", 1)[-1]
        lines.append(f"role {role}: no longer used by this function, not ours: left in place")
    return tuple(lines)


def _alias(alias: Mapping[str, Any]) -> str:
    return f"alias {alias['Name']} (version {alias['FunctionVersion']}): not declared, kept"


def _mapping(mapping: Mapping[str, Any]) -> str:
    source = mapping.get("EventSourceArn", "?")
    return f"event source mapping {mapping['UUID']} from {source}: kept"


def _statements(policy: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not policy:
        return []
    document = json.loads(policy["Policy"])
    statements: list[dict[str, Any]] = document.get("Statement", [])
    return statements


def _permission(statement: Mapping[str, Any]) -> str:
    principal = statement.get("Principal", {})
    who = principal.get("Service") or principal.get("AWS") or principal
    source = statement.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn")
    origin = f" from {source}" if source else ""
    return f"permission {statement.get('Sid', '?')} for {who}{origin} to invoke it: kept"
