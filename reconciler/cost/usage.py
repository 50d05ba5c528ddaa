"""What a suffix really cost over the last days, priced from its metrics (pure).

Per function: requests, duration (on demand, and at the provisioned rate for the share of
invocations provisioned concurrency served), the provisioned instances held, and its log
group's ingestion and storage. Against that, what the same traffic would have cost on demand,
so a mostly idle provisioned concurrency is plain to see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reconciler.cost.prices import PriceTable

MILLION = Decimal(1_000_000)
GB = Decimal(1024)
BYTES_PER_GB = Decimal(1_000_000_000)
# Used on average below this share of its instances, provisioned concurrency is called idle.
IDLE_BELOW = Decimal("0.2")


@dataclass(frozen=True)
class FunctionUse:
    """What one function did over the period, as its metrics say, and how it is configured."""

    name: str
    cost_center: str
    memory_mb: int
    architecture: str
    invocations: Decimal
    duration_ms: Decimal
    # Provisioned concurrency on its alias (0: none), how long of the period it was held
    # (from its last modification), and what it served.
    provisioned: int = 0
    provisioned_seconds: Decimal = Decimal(0)
    provisioned_since: dt.datetime | None = None
    provisioned_invocations: Decimal = Decimal(0)
    spillover_invocations: Decimal = Decimal(0)
    utilisation: Decimal | None = None  # average share of the instances in use
    log_ingested_bytes: Decimal = Decimal(0)
    log_stored_bytes: Decimal = Decimal(0)
    # Held by a schedule: the instance-seconds it held over the period (None: a fixed count,
    # `provisioned` for `provisioned_seconds`), and the schedule in words.
    instance_seconds: Decimal | None = None
    scheduled: str = ""


@dataclass(frozen=True)
class FunctionCost:
    use: FunctionUse
    requests: Decimal
    duration: Decimal
    provisioned: Decimal  # the instances held, whatever the traffic
    logs: Decimal
    on_demand: Decimal  # the same traffic, no provisioned concurrency

    @property
    def total(self) -> Decimal:
        return self.requests + self.duration + self.provisioned + self.logs

    @property
    def idle(self) -> bool:
        util = self.use.utilisation
        return self.use.provisioned > 0 and util is not None and util < IDLE_BELOW


@dataclass(frozen=True)
class Period:
    """What is priced: the `days` ending `now`."""

    days: int
    now: dt.datetime

    @property
    def start(self) -> dt.datetime:
        return self.now - dt.timedelta(days=self.days)

    @property
    def seconds(self) -> Decimal:
        return Decimal(self.days * 86400)

    def said(self) -> str:
        """`the 30 days from 2026-11-07 01:50 to 2026-12-07 01:50 UTC`."""
        shown = "%Y-%m-%d %H:%M"
        return (
            f"the {self.days} days from {self.start.strftime(shown)} to "
            f"{self.now.strftime(shown)} UTC"
        )


def held_seconds(since: dt.datetime | None, period: Period) -> Decimal:
    """How long of the period provisioned concurrency set at `since` was held: never before
    it was set, never more than the period (all of it when AWS gives no time)."""
    if since is None:
        return period.seconds
    held = Decimal(str((period.now - since).total_seconds()))
    return max(Decimal(0), min(period.seconds, held))


def priced(use: FunctionUse, period: Period, table: PriceTable) -> FunctionCost:
    gb = Decimal(use.memory_mb) / GB
    seconds = use.duration_ms / 1000
    # The metrics do not split duration by who served it: split it as the invocations split.
    served = (
        min(Decimal(1), use.provisioned_invocations / use.invocations)
        if use.invocations and use.provisioned
        else Decimal(0)
    )
    on_rate = table[f"lambda.duration.{use.architecture}"].amount
    pc_rate = table[f"lambda.provisioned_duration.{use.architecture}"].amount
    requests = use.invocations / MILLION * table["lambda.requests"].amount
    duration = seconds * gb * ((1 - served) * on_rate + served * pc_rate)
    instance_seconds = (
        Decimal(use.provisioned) * use.provisioned_seconds
        if use.instance_seconds is None
        else use.instance_seconds
    )
    held = instance_seconds * gb
    provisioned = held * table[f"lambda.provisioned.{use.architecture}"].amount
    logs = (
        use.log_ingested_bytes / BYTES_PER_GB * table["logs.ingestion"].amount
        + use.log_stored_bytes / BYTES_PER_GB * table["logs.storage"].amount * period.days / 30
    )
    on_demand = requests + seconds * gb * on_rate + logs
    return FunctionCost(use, requests, duration, provisioned, logs, on_demand)


def by_cost_center(costs: Sequence[FunctionCost]) -> dict[str, tuple[Decimal, Decimal]]:
    """Each cost center's total, and the part of it that is provisioned concurrency held."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for cost in costs:
        total, held = out.get(cost.use.cost_center, (Decimal(0), Decimal(0)))
        out[cost.use.cost_center] = (total + cost.total, held + cost.provisioned)
    return dict(sorted(out.items()))


def unpriced(use: FunctionUse) -> FunctionCost:
    """A function's use where the region has no prices: shown, never priced as $0."""
    zero = Decimal(0)
    return FunctionCost(use, zero, zero, zero, zero, zero)
