"""Output: the JSON report for scripts, versioned and described by docs/report.schema.json
(pure)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from reconciler import __version__
from reconciler.aws.clients import CallCount
from reconciler.output.cost import cost_json, prepared_cost
from reconciler.output.docdiff import diff_lines, is_document
from reconciler.output.text import shown_changes
from reconciler.planning.diff import FieldChange
from reconciler.planning.plan import Action, Op, Plan

if TYPE_CHECKING:
    from reconciler.model import Outcome

SCHEMA_VERSION = 1


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "resources": [action_json(a) for a in plan.actions],
        "skipped": [
            {"kind": s.id.kind, "name": s.id.name, "reason": s.reason} for s in plan.skipped
        ],
        "counts": {op.value: plan.count(op) for op in Op},
    }


def action_json(action: Action) -> dict[str, Any]:
    return {
        "kind": action.id.kind,
        "name": action.id.name,
        "action": action.op.value,
        **({"notes": list(action.notes)} if action.notes else {}),
        "changes": [change_json(c) for c in shown_changes(action)],
    }


def change_json(change: FieldChange) -> dict[str, Any]:
    shown = {
        "field": change.path,
        "old": change.masked(change.old),
        "new": change.masked(change.new),
        "sensitive": change.sensitive,
        **({"how": change.how} if change.how else {}),
    }
    if is_document(change):
        # What text and markdown show: the document's unified diff, line by line.
        shown["diff"] = diff_lines(change.old, change.new)
    return shown


def calls_json(calls: CallCount) -> dict[str, Any]:
    return {
        "total": calls.total,
        "reads": calls.reads,
        "writes": calls.writes,
        "retries": calls.retries,
        "by_operation": dict(sorted(calls.by_operation.items())),
    }


def versioned(parts: dict[str, Any]) -> dict[str, Any]:
    """A report with the versions of its schema and of the tool that made it."""
    return {"schema_version": SCHEMA_VERSION, "tool_version": __version__, **parts}


def document(**parts: Any) -> str:
    """The JSON report: versioned, keys sorted, stable for scripts."""
    return json.dumps(versioned(parts), indent=2, sort_keys=True, default=list)


def outcome_document(outcome: Outcome, code: int) -> str:
    return document(**outcome_json(outcome, code))


def outcome_json(outcome: Outcome, code: int) -> dict[str, Any]:
    """One run's report, as `outcome_document` prints it (without the schema version)."""
    prepared, result = outcome.prepared, outcome.result
    failed = (
        [
            {"resource": str(f.action.id), "reason": f.reason, "rolled_back": f.rolled_back}
            for f in result.failed
        ]
        if (result)
        else []
    )
    return dict(
        command=prepared.options.command.value,
        suffix=prepared.options.suffix,
        env=prepared.options.env,
        stacks=sorted({r.stack for r in prepared.resources}),
        account=prepared.ctx.target.account_id,
        region=prepared.ctx.target.region,
        plan=plan_json(prepared.plan),
        applied=len(result.applied) if result else 0,
        failed=failed,
        remaining=plan_json(outcome.remaining) if outcome.remaining else None,
        api_calls=calls_json(outcome.calls),
        duration_s=outcome.duration_s,
        warnings=list(prepared.warnings),
        exit_code=code,
        cost=cost_json(prepared_cost(prepared)),
    )
