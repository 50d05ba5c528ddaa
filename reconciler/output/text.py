"""Output: plans and outcomes as text for people (pure)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from reconciler.aws.clients import CallCount
from reconciler.output.cost import cost_text, prepared_cost
from reconciler.output.docdiff import diff_lines, is_document, pretty
from reconciler.planning.diff import SENSITIVE, FieldChange, creation_changes
from reconciler.planning.plan import Action, Op, Plan, Skipped

if TYPE_CHECKING:
    from reconciler.apply.executor import Failure
    from reconciler.model import Outcome, Prepared

WIDTH = 96


def short(value: Any) -> str:
    """A value on one line, long documents cut with an ellipsis; the secret marker bare."""
    if value is None:
        return "(none)"
    if value == SENSITIVE:
        return SENSITIVE
    text = json.dumps(value, sort_keys=True, default=list)
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


def shown(change: FieldChange, value: Any) -> str:
    return short(change.masked(value))


def change_line(change: FieldChange) -> str:
    if is_document(change):
        # A long document as a diff, each changed statement whole: never cut at the change.
        diff = diff_lines(change.old, change.new)
        return "\n".join([f"    {change.path}:", *(f"      {line}" for line in diff)])
    line = f"{change.path}: {shown(change, change.old)} -> {shown(change, change.new)}"
    line += f" {change.how}" if change.how else ""
    if change.lifts_protection:
        # Its own line and mark: after it, a delete takes the data with it.
        return f"  ! {line}   (turns deletion protection OFF: it can then be deleted with its data)"
    return f"    {line}"


def shown_changes(action: Action) -> tuple[FieldChange, ...]:
    """The changes a person or script sees: a create lists every field it sets."""
    return creation_changes(action.resource) if action.op is Op.CREATE else action.changes


# What an action does beyond its symbol, where the symbol alone could mislead.
EXPLAINED = {
    Op.ADOPT: " (taken over: tagged and changed in place)",
    Op.RELEASE: " (released: kept as it is, our tags removed)",
}


def action_lines(action: Action) -> list[str]:
    explained = EXPLAINED.get(action.op, "")
    lines = [f"{action.op.symbol} {action.id.kind} {action.id.name}{explained}"]
    if action.op is Op.CREATE:
        lines += _created_lines(action)
    elif action.op is not Op.DELETE:
        lines.extend(change_line(change) for change in action.changes)
    return lines + [f"    note: {note}" for note in action.notes]


def _created_lines(action: Action) -> list[str]:
    """Every field a create sets; its tags on one line, since every resource repeats them."""
    lines, tags = [], []
    for change in shown_changes(action):
        if change.path.startswith("tags."):
            tags.append(f"{change.path[5:]}={change.new}")
        elif is_document(change):
            lines.append(f"    {change.path}:")
            lines.extend(f"      {line}" for line in pretty(change.new))
        else:
            lines.append(f"    {change.path}: {shown(change, change.new)}")
    if tags:
        lines.append(f"    tags: {', '.join(tags)}")
    return lines


def summary(plan: Plan) -> str:
    # Adoption and release are named only when there is some: most runs have none.
    shown = [op for op in Op if op not in EXPLAINED or plan.count(op)]
    return f"Plan: {', '.join(f'{plan.count(op)} to {op.value}' for op in shown)}."


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


def prepared_text(prepared: Prepared) -> str:
    """The plan as shown before anything is written."""
    target, options = prepared.ctx.target, prepared.options
    env = f" (env {options.env})" if options.env else ""
    header = (
        f"{options.command} of {', '.join(prepared.stack_names)} for suffix {target.suffix!r}"
        f"{env} in account {target.account_id}, {target.region}"
    )
    return f"{plan_text(prepared.plan, header)}\n{cost_text(prepared_cost(prepared))}"


def _actions(count: int) -> str:
    return f"{count} action" if count == 1 else f"{count} actions"


def closing_text(outcome: Outcome) -> str:
    """What happened: the plan applied instead, failures, what still differs, the calls."""
    lines = []
    if outcome.prepared.replanned:
        header = "The state changed while taking the lease; this plan was applied instead:"
        lines.append(plan_text(outcome.prepared.plan, header))
    if outcome.result is not None:
        lines += [_failure_line(f) for f in outcome.result.failed]
        if outcome.result.not_attempted:
            lines.append(f"not attempted: {_actions(len(outcome.result.not_attempted))}")
        lines.append(f"Applied {_actions(len(outcome.result.applied))}.")
    if outcome.remaining is not None and not outcome.remaining.empty:
        lines.append(plan_text(outcome.remaining, "Still differs after apply:"))
    elif outcome.remaining is not None:
        # Left alone since the plan (a release rolled back, now held): named, not just counted.
        before = set(outcome.prepared.plan.skipped)
        lines += _skipped_lines(tuple(s for s in outcome.remaining.skipped if s not in before))
        lines.append(_done_line(outcome))
    lines.append(f"{calls_line(outcome.calls)} in {outcome.duration_s:.1f} s.")
    return "\n".join(lines)


def _failure_line(failure: Failure) -> str:
    said = "rolled back" if failure.rolled_back else "failed"
    return f"{said}: {failure.action.id}: {failure.reason}"


def _done_line(outcome: Outcome) -> str:
    options = outcome.prepared.options
    if outcome.result is not None and any(f.rolled_back for f in outcome.result.failed):
        return "Rolled back: the alias serves the version it served before the release."
    if not options.goal.removes:
        alone = len(outcome.remaining.skipped) if outcome.remaining else 0
        # Not "in sync" while something declared is left alone: say so where the eye lands.
        return f"In sync, but for the {alone} left alone above." if alone else "In sync."
    if outcome.result is None:
        return f"Nothing owned by suffix {options.suffix!r} was found: nothing to delete."
    released = sum(1 for a in outcome.result.applied if a.op is Op.RELEASE)
    if not options.goal.deletes:
        return (
            f"Released {released}: no run of suffix {options.suffix!r} changes them now; "
            "plans show them left alone until the desired state stops declaring them."
        )
    kept = f"; {released} released, kept as they were (no longer ours)" if released else ""
    return f"Destroyed{kept}."
