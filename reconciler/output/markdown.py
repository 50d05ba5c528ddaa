"""Output: a plan as a pull-request comment (`--output markdown`), for review (pure).

A summary line, one collapsible block per resource with its fields before and after (secrets
masked), what is left alone, then the cost table.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from reconciler.cost.estimate import Estimate, Side
from reconciler.output.cost import dollars, prepared_cost, prices_said, signed
from reconciler.output.docdiff import diff_lines, is_document
from reconciler.output.text import shown_changes, summary
from reconciler.planning.diff import FieldChange
from reconciler.planning.plan import Action, Plan

if TYPE_CHECKING:
    from reconciler.model import Prepared


def prepared_markdown(prepared: Prepared) -> str:
    target = prepared.ctx.target
    cost = prepared_cost(prepared)
    now, after, change = cost.totals()
    lines = [
        f"### `reconcile {prepared.options.command}`: suffix `{target.suffix}`, account "
        f"`{target.account_id}`, `{target.region}`",
        "",
        f"**{summary(prepared.plan)}** Fixed cost per month: {dollars(now)} → "
        f"{dollars(after)} ({signed(change)}).",
        "",
        *_actions(prepared.plan),
        *_cost(cost),
    ]
    return "\n".join(lines)


def _actions(plan: Plan) -> list[str]:
    if plan.empty:
        return ["No changes: live state matches the desired state.", ""]
    lines: list[str] = []
    for action in plan.actions:
        lines += _block(action)
    lines += [f"- ⚠️ `{s.id.kind} {s.id.name}`: left alone, {_cell(s.reason)}" for s in plan.skipped]
    return lines if not plan.skipped else [*lines, ""]


def _block(action: Action) -> list[str]:
    head = f"<code>{action.op.symbol} {action.id.kind} {action.id.name}</code> ({action.op.value})"
    lines = ["<details>", f"<summary>{head}</summary>", ""]
    changes = shown_changes(action)
    if changes:
        lines += ["| field | now | after |", "| --- | --- | --- |"]
        lines += [_row(c) for c in changes]
        for change in (c for c in changes if is_document(c)):
            diff = diff_lines(change.old, change.new)
            lines += ["", f"`{change.path}`:", "", "```diff", *diff, "```"]
    else:
        lines.append("Deleted with everything it holds." if action.op.value == "delete" else "")
    lines += [f"\n> {_cell(note)}" for note in action.notes]
    return [*lines, "", "</details>", ""]


def _row(change: FieldChange) -> str:
    if is_document(change):
        return f"| `{change.path}` | (see the diff below) | |"
    old, new = _value(change.masked(change.old)), _value(change.masked(change.new))
    how = f" {_cell(change.how)}" if change.how else ""
    return f"| `{change.path}` | {old} | {new}{how} |"


def _value(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=list)
    return f"`{_cell(text)}`"


def _cell(text: str) -> str:
    # A pipe would end the table cell, a newline the row.
    return text.replace("|", "\\|").replace("\n", " ")


def _cost(cost: Estimate) -> list[str]:
    lines = [
        f"#### Cost per month ({prices_said(cost)})",
        "",
        "| item | resource | CostCenter | now | after | change |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for line in cost.lines:
        lines.append(
            f"| {line.item} | `{line.name}` | {line.cost_center} | {_side(line.now)} | "
            f"{_side(line.after)} | {signed(line.change)} |"
        )
    # A list, not a dict: a cost center may be called "total" too.
    for label, (n, a, d) in [("total", cost.totals()), *cost.centres().items()]:
        lines.append(f"| **{label}** | | | {dollars(n)} | {dollars(a)} | {signed(d)} |")
    if cost.usage:
        billed = ", ".join(f"{u.item} ({len(u.names)})" for u in cost.usage)
        lines += ["", f"Billed by use, not included above: {billed}."]
    return lines


def _side(side: Side) -> str:
    return "none" if side.quantity == 0 else f"{side.detail}: {dollars(side.monthly)}"
