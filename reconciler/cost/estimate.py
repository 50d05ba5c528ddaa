"""What the configuration costs per month, now (live) and after the plan (desired) (pure).

Fixed items are read from the real configuration: provisioned concurrency is instances x
memory x seconds at the function's architecture's price, each alarm at its resolution's
price, each dashboard. Usage-priced items (requests, duration, logs, traces, queue and table
requests) depend on traffic: they are listed with their prices, never summed as if known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reconciler.cost.prices import SECONDS_PER_MONTH, Price, PriceTable, table_for
from reconciler.expand.resources import Live, Resource, ResourceId

GB = Decimal(1024)
UNTAGGED = "(no CostCenter)"
Fields = Mapping[str, Any]


@dataclass(frozen=True)
class Side:
    """One item's configuration on one side of the plan: how much, at what price."""

    quantity: Decimal
    price: Price | None
    detail: str

    @property
    def monthly(self) -> Decimal | None:
        return None if self.price is None else self.quantity * self.price.amount


NOTHING = Side(Decimal(0), None, "none")


@dataclass(frozen=True)
class Line:
    item: str
    name: str
    cost_center: str
    now: Side
    after: Side

    @property
    def change(self) -> Decimal | None:
        return difference(_monthly(self.now), _monthly(self.after))


@dataclass(frozen=True)
class Usage:
    """A usage-priced item: its price, and the resources whose traffic it bills."""

    item: str
    price: Price | None
    names: tuple[str, ...]


@dataclass(frozen=True)
class Estimate:
    region: str
    table: PriceTable | None
    lines: tuple[Line, ...]
    usage: tuple[Usage, ...]

    @property
    def known(self) -> bool:
        return self.table is not None

    def total(self, side: str) -> Decimal | None:
        """The fixed monthly total `now` or `after` (None: a price is unknown)."""
        return _sum([_monthly(getattr(line, side)) for line in self.lines])

    def totals(self) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        """The fixed monthly total now, after, and the change (None where unknown)."""
        now, after = self.total("now"), self.total("after")
        return now, after, difference(now, after)

    def centres(self) -> dict[str, tuple[Decimal | None, Decimal | None, Decimal | None]]:
        """Each CostCenter's now, after and change."""
        return {c: (n, a, difference(n, a)) for c, (n, a) in self.by_cost_center().items()}

    def by_cost_center(self) -> dict[str, tuple[Decimal | None, Decimal | None]]:
        centres = sorted({line.cost_center for line in self.lines})
        return {
            c: (
                _sum([_monthly(line.now) for line in self.lines if line.cost_center == c]),
                _sum([_monthly(line.after) for line in self.lines if line.cost_center == c]),
            )
            for c in centres
        }


def difference(now: Decimal | None, after: Decimal | None) -> Decimal | None:
    return None if now is None or after is None else after - now


def _monthly(side: Side) -> Decimal | None:
    # Nothing configured costs nothing, whatever the price table says.
    return Decimal(0) if side.quantity == 0 else side.monthly


def _sum(values: list[Decimal | None]) -> Decimal | None:
    """The sum, or None when any part is unknown (an unknown is never counted as $0)."""
    total = Decimal(0)
    for value in values:
        if value is None:
            return None
        total += value
    return total


def estimate(
    resources: Sequence[Resource],
    live: Mapping[ResourceId, Live | None],
    region: str,
    removes: bool = False,
) -> Estimate:
    """The monthly cost now and after the plan; `removes`: after a destroy, nothing."""
    table = table_for(region)
    desired = {} if removes else {r.id: r.fields for r in resources}
    current = {rid: found.fields for rid, found in live.items() if found is not None}
    lines = [
        *_provisioned(resources, desired, current, table),
        *_per_unit(desired, current, table),
    ]
    return Estimate(region, table, tuple(lines), _usage([] if removes else resources, table))


def _provisioned(
    resources: Sequence[Resource],
    desired: Mapping[ResourceId, Fields],
    current: Mapping[ResourceId, Fields],
    table: PriceTable | None,
) -> list[Line]:
    out = []
    for resource in resources:
        if resource.id.kind != "lambda.provisioned_concurrency":
            continue
        function = ResourceId("lambda.function", resource.payload["function"])
        wanted = _pc_side(desired.get(resource.id), desired.get(function), table)
        live = _pc_side(current.get(resource.id), current.get(function), table)
        centre = _cost_center(desired.get(function) or current.get(function))
        out.append(Line("provisioned concurrency", resource.id.name, centre, live, wanted))
    return out


def _pc_side(pc: Fields | None, function: Fields | None, table: PriceTable | None) -> Side:
    if pc is None or function is None or not pc.get("count"):
        return NOTHING
    count, memory = Decimal(pc["count"]), Decimal(function["memory_mb"])
    arch = str(function.get("architecture") or "x86_64")
    price = table[f"lambda.provisioned.{arch}"] if table else None
    detail = f"{count} x {memory / GB:.3g} GB x 730 h, {arch}"
    return Side(count * memory / GB * SECONDS_PER_MONTH, price, detail)


def _per_unit(
    desired: Mapping[ResourceId, Fields],
    current: Mapping[ResourceId, Fields],
    table: PriceTable | None,
) -> list[Line]:
    """Alarms and dashboards: one unit each, before and after (orphans go to none)."""
    out = []
    for rid in sorted(set(desired) | set(current), key=str):
        if rid.kind not in ("cloudwatch.alarm", "cloudwatch.dashboard"):
            continue
        item = "alarm" if rid.kind == "cloudwatch.alarm" else "dashboard"
        now, after = current.get(rid), desired.get(rid)
        centre = _cost_center(after or now)
        out.append(Line(item, rid.name, centre, _unit(rid, now, table), _unit(rid, after, table)))
    return out


def _unit(rid: ResourceId, fields: Fields | None, table: PriceTable | None) -> Side:
    if fields is None:
        return NOTHING
    if rid.kind == "cloudwatch.dashboard":
        return Side(Decimal(1), table["cloudwatch.dashboard"] if table else None, "1 dashboard")
    # An alarm's resolution is its period: under 60 s it is a high-resolution alarm.
    period = fields.get("period_s")
    high = isinstance(period, int) and period < 60
    key = "cloudwatch.alarm.high_resolution" if high else "cloudwatch.alarm.standard"
    return Side(Decimal(1), table[key] if table else None, f"1 {key.rsplit('.', 1)[1]} alarm")


def _cost_center(fields: Fields | None) -> str:
    tags = (fields or {}).get("tags") or {}
    return str(tags.get("CostCenter") or UNTAGGED)


def _usage(resources: Sequence[Resource], table: PriceTable | None) -> tuple[Usage, ...]:
    """The traffic-priced items the stacks' resources incur, each with its price."""
    names: dict[str, list[str]] = {}
    arch = {
        r.id.name: r.fields.get("architecture") for r in resources if r.id.kind == "lambda.function"
    }
    for resource in resources:
        items = _usage_items(resource)
        if resource.id.kind == "lambda.provisioned_concurrency":
            # Invocations its instances serve are billed at the provisioned duration price.
            function = resource.payload["function"]
            items = [f"lambda.provisioned_duration.{arch.get(function) or 'x86_64'}"]
        for item in items:
            names.setdefault(item, []).append(resource.id.name)
    return tuple(
        Usage(item, table[item] if table else None, tuple(sorted(found)))
        for item, found in sorted(names.items())
    )


def _usage_items(resource: Resource) -> list[str]:
    kind, fields = resource.id.kind, resource.fields
    if kind == "lambda.function":
        arch = str(fields.get("architecture") or "x86_64")
        items = ["lambda.requests", f"lambda.duration.{arch}"]
        return [*items, "xray.traces"] if fields.get("tracing") == "Active" else items
    if kind == "logs.log_group":
        return ["logs.ingestion", "logs.storage"]
    if kind == "sqs.queue":
        return ["sqs.requests"]
    if kind == "dynamodb.table" and fields.get("billing_mode") == "PAY_PER_REQUEST":
        return ["dynamodb.reads", "dynamodb.writes"]
    return []
