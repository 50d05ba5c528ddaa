"""Output: the plan's cost, as people read it and as scripts read it (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from reconciler.cost.estimate import Estimate, Line, Side, difference, estimate
from reconciler.cost.prices import Price
from reconciler.cost.usage import FunctionCost, FunctionUse, Period, by_cost_center

if TYPE_CHECKING:
    from reconciler.model import Prepared

CENT = Decimal("0.01")


def prepared_cost(prepared: Prepared) -> Estimate:
    """What the plan's configuration costs per month, now and once applied."""
    region = prepared.ctx.target.region
    removes = prepared.options.goal.removes
    return estimate(prepared.resources, prepared.live, region, removes=removes)


def dollars(value: Decimal | None) -> str:
    return "unknown" if value is None else f"${value.quantize(CENT, ROUND_HALF_UP):,}"


def signed(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    text = dollars(abs(value))
    return f"+{text}" if value >= 0 else f"-{text}"


def prices_said(cost: Estimate) -> str:
    if cost.table is None:
        return f"no prices for {cost.region} (reconciler/cost/prices.py): unknown, not $0"
    return f"{cost.region} list prices read {cost.table.read_on}"


def cost_text(cost: Estimate) -> str:
    """The fixed monthly cost, line by line when the plan changes it, then by CostCenter and
    the prices of what is billed by use."""
    lines = [f"Monthly projection (730 h; {prices_said(cost)}), billed whatever the traffic:"]
    changed = [
        line
        for line in cost.lines
        if line.change != 0 or line.now.most != line.after.most or cost.table is None
    ]
    for line in changed:
        lines.append(
            f"  {line.item} {line.name} [{line.cost_center}]: {_side(line.now)} -> "
            f"{_side(line.after)} ({signed(line.change)})"
        )
    now, after, change = cost.totals()
    lines.append(f"  total: {dollars(now)} -> {dollars(after)} ({signed(change)})")
    centres = [f"{c} {dollars(a)} ({signed(d)})" for c, (_, a, d) in cost.centres().items()]
    if centres:
        lines.append(f"  by CostCenter: {', '.join(centres)}")
    if cost.usage:
        billed = "; ".join(f"{u.item} {_unit_price(u.price)}" for u in cost.usage)
        lines.append(f"  billed by use, not included: {billed}")
    return "\n".join(lines)


def _side(side: Side) -> str:
    if side.quantity == 0:
        return "none"
    text = f"{side.detail} = {dollars(side.monthly)}"
    if side.most is not None:
        text += f" to {dollars(side.monthly_most)} with traffic"
    if side.instead is not None:
        text += f" (saves {dollars(side.saving)} against {side.instead_words})"
    return text


def _unit_price(price: Price | None) -> str:
    return "unknown" if price is None else f"${price.amount:f} per {price.unit}"


def cost_json(cost: Estimate) -> dict[str, Any]:
    now, after, _ = cost.totals()
    return {
        "currency": "USD",
        "region": cost.region,
        "prices_read_on": cost.table.read_on if cost.table else None,
        "known": cost.known,
        "fixed": [_line_json(line) for line in cost.lines],
        "total": _delta(now, after),
        "by_cost_center": {c: _delta(n, a) for c, (n, a, _) in cost.centres().items()},
        "usage": [
            {
                "item": u.item,
                "unit": u.price.unit if u.price else None,
                "unit_price": _number(u.price.amount) if u.price else None,
                "source": u.price.source if u.price else None,
                "resources": list(u.names),
            }
            for u in cost.usage
        ],
    }


def _line_json(line: Line) -> dict[str, Any]:
    return {
        "item": line.item,
        "name": line.name,
        "cost_center": line.cost_center,
        "now": _side_json(line.now),
        "after": _side_json(line.after),
        "change": _money(line.change),
    }


def _side_json(side: Side) -> dict[str, Any]:
    return {
        "detail": side.detail,
        "quantity": _number(side.quantity),
        "unit": side.price.unit if side.price else None,
        "unit_price": _number(side.price.amount) if side.price else None,
        "monthly": _money(Decimal(0) if side.quantity == 0 else side.monthly),
        "monthly_most": _money(side.monthly_most),
        "saving": _money(side.saving),
    }


def _delta(now: Decimal | None, after: Decimal | None) -> dict[str, Any]:
    return {"now": _money(now), "after": _money(after), "change": _money(difference(now, after))}


def _since(use: FunctionUse) -> str | None:
    return None if use.provisioned_since is None else use.provisioned_since.isoformat()


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(CENT, ROUND_HALF_UP))


def _number(value: Decimal) -> float:
    return float(value)


def usage_text(costs: Sequence[FunctionCost], period: Period, region: str, known: bool) -> str:
    """What the suffix cost over the period, per function and per CostCenter, with a plain
    sentence for provisioned concurrency that is mostly idle."""
    days = period.days
    if not known:
        lines = [f"Cost of {period.said()}: unknown (no prices for {region}, never $0)."]
        lines += [f"  {c.use.name}: {c.use.invocations:,.0f} invocations" for c in costs]
        return "\n".join(lines)
    lines = [f"Cost of {period.said()}, {region} list prices:"]
    for c in costs:
        lines.append(
            f"  {c.use.name} [{c.use.cost_center}]: {dollars(c.total)} = requests "
            f"{dollars(c.requests)} ({c.use.invocations:,.0f}) + duration {dollars(c.duration)} "
            f"+ provisioned concurrency {dollars(c.provisioned)}{_held(c.use)} + logs "
            f"{dollars(c.logs)}"
        )
    for centre, (total, held) in by_cost_center(costs).items():
        lines.append(
            f"  {centre}: {dollars(total)}, of which provisioned concurrency {dollars(held)}"
        )
    lines += [_provisioned_sentence(c, days) for c in costs if c.use.provisioned]
    return "\n".join(lines)


def _held(use: FunctionUse) -> str:
    """How long the provisioned instances were held: since they were set, or the period."""
    if use.instance_seconds is not None:
        hours = use.instance_seconds / 3600
        return f" (held by its schedule, {use.scheduled}: {hours:,.0f} instance-hours)"
    if not use.provisioned:
        return ""
    since = "" if use.provisioned_since is None else f" since {_at(use.provisioned_since)}"
    return f" ({use.provisioned} held {_duration(use.provisioned_seconds)}{since})"


def _at(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: Decimal) -> str:
    """`15 s`, `42 min`, `3.5 h`, `12.0 days`: the unit a person reads at a glance."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.1f} {unit}" if unit != "min" else f"{seconds / size:.0f} min"
    return f"{seconds:.0f} s"


def _provisioned_sentence(cost: FunctionCost, days: int) -> str:
    with_pc = cost.total
    used = "" if cost.use.utilisation is None else f", {cost.use.utilisation:.0%} used on average"
    verdict = "mostly idle" if cost.idle else "in use"
    return (
        f"  {cost.use.name}: {cost.use.provisioned} provisioned instances were {verdict}{used}; "
        f"with them the traffic of {days} days cost {dollars(with_pc)}, on demand it would have "
        f"cost {dollars(cost.on_demand)}."
    )


def usage_json(
    costs: Sequence[FunctionCost], period: Period, region: str, known: bool
) -> dict[str, Any]:
    def money(value: Decimal) -> float | None:
        return _money(value) if known else None

    return {
        "currency": "USD",
        "days": period.days,
        "period": {"start": period.start.isoformat(), "end": period.now.isoformat()},
        "region": region,
        "known": known,
        "functions": [
            {
                "name": c.use.name,
                "cost_center": c.use.cost_center,
                "invocations": float(c.use.invocations),
                "provisioned_instances": c.use.provisioned,
                "provisioned_seconds": float(c.use.provisioned_seconds),
                "provisioned_since": _since(c.use),
                "utilisation": None if c.use.utilisation is None else float(c.use.utilisation),
                "requests": money(c.requests),
                "duration": money(c.duration),
                "provisioned": money(c.provisioned),
                "logs": money(c.logs),
                "total": money(c.total),
                "on_demand": money(c.on_demand),
                "idle": c.idle,
            }
            for c in costs
        ],
        "by_cost_center": {
            centre: {"total": money(total), "provisioned": money(held)}
            for centre, (total, held) in by_cost_center(costs).items()
        },
    }
