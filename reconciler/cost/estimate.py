"""What the configuration costs per month, now (live) and after the plan (desired) (pure).

Fixed items are read from the real configuration, each kind saying how it is billed (its
descriptor's `fixed`): provisioned concurrency is instances x memory x seconds at the
function's architecture's price, each alarm at its resolution's price, each dashboard.
Usage-priced items (its `usage`: requests, duration, logs, traces, queue and table requests)
depend on traffic: they are listed with their prices, never summed as if known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from reconciler.cost.prices import Price, PriceTable, table_for
from reconciler.expand.catalog import BY_KEY, KINDS
from reconciler.expand.kind import Charge, Fields, Kind
from reconciler.expand.resources import Live, Resource, ResourceId

UNTAGGED = "(no CostCenter)"


@dataclass(frozen=True)
class Side:
    """One item's configuration on one side of the plan: how much, at what price."""

    quantity: Decimal
    price: Price | None
    detail: str
    # Target tracking: the quantity if traffic held the ceiling all month (a range, not a
    # guess); a schedule: what a fixed allocation would bill instead, and which one.
    most: Decimal | None = None
    instead: Decimal | None = None
    instead_words: str = ""

    @property
    def monthly(self) -> Decimal | None:
        return self._priced(self.quantity)

    @property
    def monthly_most(self) -> Decimal | None:
        return None if self.most is None else self._priced(self.most)

    @property
    def saving(self) -> Decimal | None:
        """What the schedule saves against the fixed allocation (None: no schedule)."""
        if self.instead is None or self.price is None:
            return None
        return (self.instead - self.quantity) * self.price.amount

    def _priced(self, quantity: Decimal) -> Decimal | None:
        return None if self.price is None else quantity * self.price.amount


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
    month: dt.date | None = None,
) -> Estimate:
    """The monthly cost now and after the plan; `removes`: after a destroy, nothing.
    `month`: the calendar month a schedule is priced for (default: this one, UTC)."""
    table = table_for(region)
    desired = {} if removes else {r.id: r.fields for r in resources}
    current = {rid: found.fields for rid, found in live.items() if found is not None}
    month = month or dt.datetime.now(dt.UTC).date().replace(day=1)
    lines = tuple(_fixed(desired, current, table, month))
    return Estimate(region, table, lines, _usage([] if removes else resources, table))


def _fixed(
    desired: Mapping[ResourceId, Fields],
    current: Mapping[ResourceId, Fields],
    table: PriceTable | None,
    month: dt.date,
) -> list[Line]:
    """A line for each resource billed by the month (its kind's `fixed`), in creation order,
    before and after (orphans go to none)."""
    out = []
    for kind in KINDS:
        ids = sorted({rid for rid in (*desired, *current) if rid.kind == kind.key}, key=str)
        for rid in ids:
            now, after = _charge(kind, rid, current, month), _charge(kind, rid, desired, month)
            named = after or now
            if named is None:
                continue
            centre = _cost_center(named.tags)
            out.append(Line(named.label, rid.name, centre, _side(now, table), _side(after, table)))
    return out


def _charge(
    kind: Kind, rid: ResourceId, side: Mapping[ResourceId, Fields], month: dt.date
) -> Charge | None:
    fields = side.get(rid)
    return None if fields is None else kind.fixed(rid, fields, side.get, month)


def _side(charge: Charge | None, table: PriceTable | None) -> Side:
    if charge is None:
        return NOTHING
    price = table[charge.item] if table else None
    return Side(
        charge.quantity,
        price,
        charge.detail,
        charge.most,
        charge.instead,
        charge.instead_words,
    )


def _cost_center(tags: Fields) -> str:
    return str(tags.get("CostCenter") or UNTAGGED)


def _usage(resources: Sequence[Resource], table: PriceTable | None) -> tuple[Usage, ...]:
    """The traffic-priced items the stacks' resources incur (their kinds' `usage`), each with
    its price."""
    names: dict[str, list[str]] = {}
    fields = {r.id: r.fields for r in resources}
    for resource in resources:
        for item in BY_KEY[resource.id.kind].usage(resource, fields.get):
            names.setdefault(item, []).append(resource.id.name)
    return tuple(
        Usage(item, table[item] if table else None, tuple(sorted(found)))
        for item, found in sorted(names.items())
    )
