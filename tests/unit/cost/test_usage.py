"""What a month of traffic cost, priced by hand-checked figures (pure)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from reconciler.cost.prices import table_for
from reconciler.cost.read import _scheduled
from reconciler.cost.usage import (
    FunctionUse,
    Period,
    by_cost_center,
    held_seconds,
    priced,
    unpriced,
)
from reconciler.expand.resources import Live
from reconciler.output.cost import usage_json, usage_text

TABLE = table_for("us-east-1")
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
MONTH = Period(30, NOW)


def _use(**kwargs: object) -> FunctionUse:
    base: dict[str, object] = {
        "name": "api-pr1",
        "cost_center": "data-platform",
        "memory_mb": 512,
        "architecture": "arm64",
        "invocations": Decimal(2_000_000),
        "duration_ms": Decimal(2_000_000 * 100),
    }
    return FunctionUse(**{**base, **kwargs})  # type: ignore[arg-type]


def test_on_demand_traffic_is_requests_plus_duration() -> None:
    assert TABLE is not None
    cost = priced(_use(), MONTH, TABLE)
    # 2 million requests x $0.20 = $0.40; 200,000 s x 0.5 GB x $0.0000133334 = $1.33334.
    assert cost.requests == Decimal("0.40")
    assert cost.duration == Decimal("1.33334")
    assert cost.provisioned == 0 and not cost.idle
    assert cost.total == cost.on_demand == Decimal("1.73334")


def test_provisioned_capacity_mostly_used_is_not_idle_and_logs_are_priced() -> None:
    assert TABLE is not None
    use = _use(
        provisioned=2,
        provisioned_seconds=MONTH.seconds,
        provisioned_invocations=Decimal(2_000_000),
        utilisation=Decimal("0.7"),
        log_ingested_bytes=Decimal(2_000_000_000),
        log_stored_bytes=Decimal(10_000_000_000),
    )
    cost = priced(use, MONTH, TABLE)
    # All served at the provisioned rate: 100,000 GB-s x $0.0000077778 = $0.77778.
    assert cost.duration == Decimal("0.77778")
    # 2 x 0.5 GB x 2,592,000 s x $0.0000033334 = $8.6401728.
    assert cost.provisioned == Decimal("8.6401728")
    # 2 GB ingested x $0.50 + 10 GB stored x $0.03 for the month = $1.30.
    assert cost.logs == Decimal("1.30")
    assert not cost.idle
    assert by_cost_center([cost]) == {"data-platform": (cost.total, cost.provisioned)}


def test_without_prices_the_cost_is_unknown_never_zero() -> None:
    costs = [unpriced(_use())]
    text = usage_text(costs, MONTH, "eu-west-1", known=False)
    assert text.splitlines()[0] == (
        "Cost of the 30 days from 2026-11-07 12:00 to 2026-12-07 12:00 UTC: unknown (no "
        "prices for eu-west-1, never $0)."
    )
    assert "$" not in text.split("\n", 1)[1]
    (function,) = usage_json(costs, MONTH, "eu-west-1", known=False)["functions"]
    assert function["total"] is None and function["invocations"] == 2_000_000


def test_capacity_is_held_from_when_it_was_set_within_the_period() -> None:
    assert held_seconds(NOW - dt.timedelta(seconds=15), MONTH) == 15
    assert held_seconds(NOW - dt.timedelta(days=3), MONTH) == 3 * 86400
    # Set before the period began: the whole period; set "later" than now: nothing.
    assert held_seconds(NOW - dt.timedelta(days=90), MONTH) == MONTH.seconds
    assert held_seconds(NOW + dt.timedelta(seconds=5), MONTH) == 0
    # AWS gave no time: the whole period, as before.
    assert held_seconds(None, MONTH) == MONTH.seconds


def test_fifteen_seconds_of_capacity_cost_fifteen_seconds() -> None:
    assert TABLE is not None
    use = _use(memory_mb=1024, provisioned=5, provisioned_seconds=Decimal(15))
    # 5 x 1 GB x 15 s x $0.0000033334 = $0.000250005, not a month's $43.20.
    assert priced(use, MONTH, TABLE).provisioned == Decimal("0.000250005")
    text = usage_text([priced(use, MONTH, TABLE)], MONTH, "us-east-1", known=True)
    assert "provisioned concurrency $0.00 (5 held 15 s)" in text


def test_capacity_on_a_schedule_is_priced_by_what_each_action_held() -> None:
    """The business-hours target, registered on Monday 30 November 2026 at 00:00 New York
    time, read at noon on Monday 7 December: 5 weekdays x 12 h at 5 (Mon-Fri 08:00-20:00),
    and Monday the 7th from 08:00 to noon at 5: 64 h x 5; the other 116 of the 180 hours at 1.
    """
    assert TABLE is not None
    action = {"timezone": "America/New_York"}
    fields = {
        "min": 1,
        "max": 5,
        "schedule": {
            "business-hours": {**action, "cron": "cron(0 8 ? * MON-FRI *)", "min": 5, "max": 5},
            "after-hours": {**action, "cron": "cron(0 20 ? * MON-FRI *)", "min": 1, "max": 1},
        },
    }
    created = dt.datetime(2026, 11, 30, 5, 0, tzinfo=dt.UTC)
    now = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)
    seconds, said = _scheduled(Live(fields, {"created": created}), Period(30, now))
    assert said == "5 from 08:00 Mon-Fri, 1 from 20:00, America/New_York"
    assert seconds == (64 * 5 + 116 * 1) * 3600
    use = _use(memory_mb=1024, provisioned=5, instance_seconds=seconds, scheduled=said)
    cost = priced(use, Period(30, now), TABLE)
    # 436 instance-hours x 1 GB x 3,600 s x $0.0000033334.
    assert cost.provisioned == Decimal(436 * 3600) * Decimal("0.0000033334")
    text = usage_text([cost], Period(30, now), "us-east-1", known=True)
    assert "held by its schedule, 5 from 08:00 Mon-Fri" in text and "436 instance-hours" in text
