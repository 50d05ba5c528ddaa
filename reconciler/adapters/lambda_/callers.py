"""Adapter support for Lambda: who calls a function, on every qualifier.

Callers usually invoke a payments function through an alias (`live`), so what they attached
sits on the alias, not on the function: a resource policy is kept per qualifier (GetPolicy with
`Qualifier`), an event source mapping names the alias or version ARN, a function URL belongs to
the alias it was made for. Each is read for the function itself, each alias and each version,
and listed in the plan: under a function being taken over (kept as it is), under an alias that
moves (they follow it), and under a function about to be deleted (they are cut off).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from reconciler.adapters.base import Context, gather, paginate, unless_missing
from reconciler.expand.resources import Resource

MISSING = ("ResourceNotFoundException",)
# What a caller of a function being deleted is told it becomes (the CLI asks once more).
CUT_OFF = "cut off by this delete"


@dataclass(frozen=True)
class Caller:
    """One thing that invokes the function, and on which qualifier ("" for none)."""

    qualifier: str
    what: str

    def line(self, fate: str) -> str:
        on = f" on {self.qualifier}" if self.qualifier else ""
        return f"{self.what}{on}: {fate}"


def kept(ctx: Context, resource: Resource, live_role: str | None) -> tuple[str, ...]:
    """One line per thing a caller relies on; the reconciler changes none of them."""
    lam = ctx.client("lambda")
    name = resource.id.name
    aliases = paginate(lam, "list_aliases", "Aliases", FunctionName=name)
    declared = set(resource.payload.get("aliases", ()))
    lines = [_alias(a) for a in aliases if a["Name"] not in declared]
    lines += [c.line("kept") for c in callers(ctx, name, aliases)]
    if live_role and live_role != resource.fields["role_arn"]:
        role = live_role.rsplit("/", 1)[-1]
        lines.append(f"role {role}: no longer used by this function, not ours: left in place")
    return tuple(lines)


def callers(ctx: Context, name: str, aliases: list[dict[str, Any]] | None = None) -> list[Caller]:
    """Every permission, event source mapping and function URL of the function, on the
    function itself, each alias and each published version."""
    lam = ctx.client("lambda")
    if aliases is None:
        aliases = paginate(lam, "list_aliases", "Aliases", FunctionName=name)
    versions = [
        v["Version"]
        for v in paginate(lam, "list_versions_by_function", "Versions", FunctionName=name)
        if v["Version"] != "$LATEST"
    ]
    qualifiers = ["", *(f"alias {a['Name']}" for a in aliases), *(f"version {v}" for v in versions)]
    with ThreadPoolExecutor(max_workers=max(1, min(ctx.parallel, 8))) as pool:
        found = list(pool.map(lambda q: _on(ctx, name, q), qualifiers))
    seen: set[str] = set()
    result: list[Caller] = []
    for group in found:
        for caller in group:
            if caller.what not in seen:
                seen.add(caller.what)
                result.append(caller)
    return result


def _on(ctx: Context, name: str, labelled: str) -> list[Caller]:
    """What is attached on one qualifier (`alias live`, `version 3`, or "" for none)."""
    lam = ctx.client("lambda")
    qualifier = labelled.split(" ", 1)[1] if labelled else ""
    ref = f"{name}:{qualifier}" if qualifier else name
    options = {"Qualifier": qualifier} if qualifier else {}
    # Function URLs exist on $LATEST and on aliases, never on a version.
    has_url = not labelled.startswith("version")
    mappings, policy, url = gather(
        ctx,
        lambda: paginate(
            lam, "list_event_source_mappings", "EventSourceMappings", FunctionName=ref
        ),
        lambda: unless_missing(lambda: lam.get_policy(FunctionName=name, **options), *MISSING),
        lambda: (
            unless_missing(
                lambda: lam.get_function_url_config(FunctionName=name, **options), *MISSING
            )
            if has_url
            else None
        ),
    )
    # A mapping says itself which qualifier it invokes, whichever listing found it.
    found = [Caller(_invoked(m), _mapping(m)) for m in mappings]
    found += [Caller(labelled, _permission(s)) for s in _statements(policy)]
    if url:
        found.append(
            Caller(labelled, f"function URL {url['FunctionUrl']} ({url.get('AuthType', '?')})")
        )
    return found


def _invoked(mapping: Mapping[str, Any]) -> str:
    parts = str(mapping.get("FunctionArn", "")).split(":")
    if len(parts) < 8:
        return ""
    kind = "version" if parts[7].isdigit() else "alias"
    return f"{kind} {parts[7]}"


def _alias(alias: Mapping[str, Any]) -> str:
    return f"alias {alias['Name']} (version {alias['FunctionVersion']}): not declared, kept"


def _mapping(mapping: Mapping[str, Any]) -> str:
    source = mapping.get("EventSourceArn", "?")
    return f"event source mapping {mapping['UUID']} from {source}"


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
    return f"permission {statement.get('Sid', '?')} for {who}{origin} to invoke it"
