"""Render stage: plans and outcomes as text for people or JSON for scripts (pure)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.aws.clients import CallCount
from reconciler.planning.diff import SENSITIVE, FieldChange, creation_changes
from reconciler.planning.plan import Action, Op, Plan, Skipped

SCHEMA_VERSION = 1
WIDTH = 96


def short(value: Any) -> str:
    """A value on one line, long documents cut with an ellipsis."""
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=list)
    if isinstance(value, str):
        text = json.dumps(value)
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


def shown(change: FieldChange, value: Any) -> str:
    """A value for people: secrets as a bare `(sensitive)`, everything else short."""
    return SENSITIVE if change.sensitive and value is not None else short(value)


def change_line(change: FieldChange) -> str:
    return f"    {change.path}: {shown(change, change.old)} -> {shown(change, change.new)}"


def shown_changes(action: Action) -> tuple[FieldChange, ...]:
    """The changes a person or script sees: a create lists every field it sets."""
    return creation_changes(action.resource) if action.op is Op.CREATE else action.changes


def action_lines(action: Action) -> list[str]:
    lines = [f"{action.op.symbol} {action.id.kind} {action.id.name}"]
    if action.op is Op.CREATE:
        return lines + _created_lines(action)
    if action.op is not Op.DELETE:
        lines.extend(change_line(change) for change in action.changes)
    return lines


def _created_lines(action: Action) -> list[str]:
    """Every field a create sets; its tags on one line, since every resource repeats them."""
    lines, tags = [], []
    for change in shown_changes(action):
        if change.path.startswith("tags."):
            tags.append(f"{change.path[5:]}={change.new}")
        else:
            lines.append(f"    {change.path}: {shown(change, change.new)}")
    if tags:
        lines.append(f"    tags: {', '.join(tags)}")
    return lines


def summary(plan: Plan) -> str:
    counts = ", ".join(f"{plan.count(op)} to {op.value}" for op in Op)
    return f"Plan: {counts}."


def calls_line(calls: CallCount) -> str:
    retried = f", {calls.retries} retried by botocore" if calls.retries else ""
    return f"API calls: {calls.total} ({calls.reads} reads, {calls.writes} writes{retried})"


def plan_text(plan: Plan, header: str) -> str:
    lines = [header, ""]
    for action in plan.actions:
        lines.extend(action_lines(action))
    lines.extend(_skipped_lines(plan.skipped))
    if plan.empty:
        lines.append("No changes: live state matches the desired state.")
    lines += ["", summary(plan)]
    return "\n".join(lines)


def _skipped_lines(skipped: tuple[Skipped, ...]) -> list[str]:
    return [f"! {s.id.kind} {s.id.name}: left alone, {s.reason}" for s in skipped]


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "resources": [_action_json(a) for a in plan.actions],
        "skipped": [
            {"kind": s.id.kind, "name": s.id.name, "reason": s.reason} for s in plan.skipped
        ],
        "counts": {op.value: plan.count(op) for op in Op},
    }


def _action_json(action: Action) -> dict[str, Any]:
    changes = shown_changes(action)
    return {
        "kind": action.id.kind,
        "name": action.id.name,
        "action": action.op.value,
        "changes": [
            {
                "field": c.path,
                "old": c.shown(c.old),
                "new": c.shown(c.new),
                "sensitive": c.sensitive,
            }
            for c in changes
        ],
    }


def calls_json(calls: CallCount) -> dict[str, Any]:
    return {
        "total": calls.total,
        "reads": calls.reads,
        "writes": calls.writes,
        "retries": calls.retries,
        "by_operation": dict(sorted(calls.by_operation.items())),
    }


def document(**parts: Any) -> str:
    """The JSON report: versioned, keys sorted, stable for scripts."""
    return json.dumps(
        {"schema_version": SCHEMA_VERSION, **parts}, indent=2, sort_keys=True, default=list
    )
