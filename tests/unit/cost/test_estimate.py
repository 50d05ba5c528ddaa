"""The plan's cost, against figures worked out by hand from AWS's us-east-1 list prices."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.cost.estimate import estimate
from reconciler.desired.compat import checked_packages
from reconciler.desired.load import load_stack
from reconciler.expand import Target, expand
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.output.cost import cost_json, cost_text

ROOT = Path(__file__).parents[3]
SECRETS = {
    ("transactions", "processor", "DATABASE_URL"): "postgres://u:Sup3r-pw@db/x",
    ("transactions", "processor", "API_KEY"): "key-abc-123",
}
# 730 hours a month, in seconds.
MONTH_S = Decimal(730 * 3600)
ARM_PC, X86_PC = Decimal("0.0000033334"), Decimal("0.0000041667")


def _stack(name: str, region: str = "us-east-1") -> tuple[Resource, ...]:
    spec = load_stack(ROOT / "desired_state" / f"{name}.toml")
    target = Target("pr42", "123456789012", region)
    return tuple(expand(spec, target, SECRETS, checked_packages(spec)))


def _by_id(resources: tuple[Resource, ...]) -> dict[ResourceId, Resource]:
    return {r.id: r for r in resources}


PC = ResourceId("lambda.provisioned_concurrency", "lambda-function-pr42:live")
FUNCTION = ResourceId("lambda.function", "lambda-function-pr42")


def _live_as_desired(resources: tuple[Resource, ...], **changes: Any) -> dict[ResourceId, Live]:
    """Live state equal to the desired one, with some fields of the PC or function changed."""
    live = {r.id: Live(dict(r.fields)) for r in resources}
    for key, value in changes.items():
        rid = PC if key == "count" else FUNCTION
        live[rid] = Live({**live[rid].fields, key: value})
    return live


def test_the_transactions_stack_costs_its_provisioned_concurrency_and_dashboard() -> None:
    cost = estimate(_stack("transactions"), {}, "us-east-1")
    lines = {line.name: line for line in cost.lines}
    # 5 instances x 1 GB x 730 h on arm64: 5 x 1 x 2,628,000 s x $0.0000033334 = $43.800876.
    pc = lines["lambda-function-pr42:live"]
    assert pc.after.monthly == 5 * 1 * MONTH_S * ARM_PC == Decimal("43.800876")
    assert pc.after.detail == "5 x 1 GB x 730 h, arm64"
    assert pc.now.quantity == 0 and pc.change == Decimal("43.800876")
    assert lines["transactions-pr42"].after.monthly == Decimal("3.00")
    assert cost.total("now") == 0 and cost.total("after") == Decimal("46.800876")
    assert cost.by_cost_center() == {"fintech": (Decimal(0), Decimal("46.800876"))}
    text = cost_text(cost)
    assert "  total: $0.00 -> $46.80 (+$46.80)" in text
    assert "by CostCenter: fintech $46.80 (+$46.80)" in text
    assert "lambda.provisioned_duration.arm64 $0.0000077778 per GB-second" in text


def test_the_etl_stack_costs_its_six_alarms() -> None:
    cost = estimate(_stack("etl"), {}, "us-east-1")
    assert [line.item for line in cost.lines] == ["alarm"] * 6
    assert cost.total("after") == Decimal("0.60")
    assert cost.by_cost_center() == {"data-platform": (Decimal(0), Decimal("0.60"))}
    usage = {u.item: u for u in cost.usage}
    assert usage["sqs.requests"].price is not None
    assert usage["sqs.requests"].price.amount == Decimal("0.40")
    assert len(usage["lambda.requests"].names) == 3


def test_raising_provisioned_concurrency_from_5_to_10_costs_43_80_more() -> None:
    resources = _stack("transactions")
    wanted = _by_id(resources)
    ten = replace(wanted[PC], fields={**wanted[PC].fields, "count": 10})
    desired = tuple(ten if r.id == PC else r for r in resources)
    cost = estimate(desired, _live_as_desired(resources), "us-east-1")
    (line,) = [line for line in cost.lines if line.change]
    assert line.change == 5 * MONTH_S * ARM_PC == Decimal("43.800876")
    assert "(+$43.80)" in cost_text(cost)


def test_moving_off_arm64_to_x86_raises_the_same_five_instances_price() -> None:
    resources = _stack("transactions")
    # Live runs on x86_64 today; the desired state is arm64: the plan saves the difference.
    cost = estimate(resources, _live_as_desired(resources, architecture="x86_64"), "us-east-1")
    (line,) = [line for line in cost.lines if line.change]
    saved = 5 * MONTH_S * (X86_PC - ARM_PC)
    assert line.now.monthly == Decimal("54.750438") and line.change == -saved
    assert saved == Decimal("10.949562")
    assert "(-$10.95)" in cost_text(cost)


def test_a_converged_plan_changes_nothing_and_says_so() -> None:
    resources = _stack("transactions")
    cost = estimate(resources, _live_as_desired(resources), "us-east-1")
    assert all(line.change == 0 for line in cost.lines)
    assert "  total: $46.80 -> $46.80 (+$0.00)" in cost_text(cost)


def test_destroying_saves_everything_and_an_orphan_alarm_goes_too() -> None:
    resources = _stack("transactions")
    live: dict[ResourceId, Live | None] = dict(_live_as_desired(resources))
    live[ResourceId("cloudwatch.alarm", "old-alarm-pr42")] = Live(
        {"tags": {"CostCenter": "fintech"}}
    )
    cost = estimate(resources, live, "us-east-1", removes=True)
    assert cost.total("after") == 0
    assert cost.total("now") == Decimal("46.900876")
    assert cost.usage == ()
    kept = estimate(resources, live, "us-east-1")
    orphan = next(line for line in kept.lines if line.name == "old-alarm-pr42")
    assert orphan.change == Decimal("-0.10")


def test_a_high_resolution_alarm_costs_thirty_cents() -> None:
    resources = _stack("etl")
    alarm = next(r for r in resources if r.id.kind == "cloudwatch.alarm")
    fast = replace(alarm, fields={**alarm.fields, "period_s": 10})
    cost = estimate((fast,), {}, "us-east-1")
    assert cost.total("after") == Decimal("0.30")


def test_a_region_without_prices_is_unknown_never_zero() -> None:
    cost = estimate(_stack("transactions", "eu-west-1"), {}, "eu-west-1")
    assert not cost.known
    assert cost.total("after") is None
    assert cost.by_cost_center() == {"fintech": (Decimal(0), None)}
    text = cost_text(cost)
    assert "no prices for eu-west-1" in text and "unknown, not $0" in text
    # Nothing runs yet, which costs nothing anywhere; what the plan adds is unknown, not $0.
    assert "  total: $0.00 -> unknown (unknown)" in text
    assert "provisioned concurrency lambda-function-pr42:live [fintech]: none -> " in text
    document = cost_json(cost)
    assert document["total"] == {"now": 0.0, "after": None, "change": None}


def test_the_cost_document_matches_the_published_schema_and_holds_no_secret() -> None:
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())["properties"]["cost"]
    for name in ("transactions", "etl"):
        document = cost_json(estimate(_stack(name), {}, "us-east-1"))
        jsonschema.validate(document, schema)
        text = json.dumps(document) + cost_text(estimate(_stack(name), {}, "us-east-1"))
        assert all(secret not in text for secret in SECRETS.values())


SCALED = ResourceId("application-autoscaling.target", "lambda-function-pr42:live")


def _prod(month: dt.date) -> Any:
    spec = load_stack(ROOT / "desired_state" / "transactions.toml", env="prod")
    target = Target("pr42", "123456789012", "us-east-1")
    resources = tuple(expand(spec, target, SECRETS, checked_packages(spec)))
    return estimate(resources, {}, "us-east-1", month=month)


@pytest.mark.parametrize(
    ("month", "weekdays", "hours"),
    [
        # Daylight saving starts on 14 March: the month has 743 hours in New York.
        (dt.date(2027, 3, 1), 23, 743),
        # It ends on 1 November 2026: 721 hours.
        (dt.date(2026, 11, 1), 21, 721),
        (dt.date(2027, 2, 1), 20, 672),
    ],
)
def test_business_hours_are_priced_by_the_hours_they_hold(
    month: dt.date, weekdays: int, hours: int
) -> None:
    """12 h at 5 on each weekday, the rest of the month at 1, x 1 GB x arm64's price; the
    saving is against a fixed 5 for the same hours."""
    cost = _prod(month)
    # One line for the alias's capacity (the target's and the configuration's share a name):
    # the scaler's capacity is priced once, by its schedule, not also as a fixed count.
    [line] = [x for x in cost.lines if x.name == SCALED.name]
    business = weekdays * 12
    instance_hours = business * 5 + (hours - business) * 1
    assert line.after.quantity == instance_hours * 3600
    assert line.after.monthly == instance_hours * 3600 * ARM_PC
    assert line.after.saving == (5 * hours - instance_hours) * 3600 * ARM_PC
    text = cost_text(cost)
    assert "5 from 08:00 Mon-Fri, 1 from 20:00, America/New_York" in text
    assert f"{instance_hours:,} instance-hours in {month:%B %Y}" in text
    assert "against a fixed 5 all month" in text


def test_target_tracking_is_priced_as_a_range_never_one_number() -> None:
    fields = {
        "min": 2,
        "max": 10,
        "schedule": {},
        "tracking": {"target": 0.7, "scale_in_cooldown_s": 0, "scale_out_cooldown_s": 0},
        "tags": {},
    }
    function = ResourceId("lambda.function", "fn-x")
    desired = [
        Resource(function, {"memory_mb": 512, "architecture": "x86_64", "tags": {}}),
        Resource(ResourceId("application-autoscaling.target", "fn-x:live"), fields),
    ]
    cost = estimate(desired, {}, "us-east-1", month=dt.date(2027, 1, 1))
    [line] = cost.lines
    hours = 31 * 24
    assert line.after.quantity == 2 * hours * 3600 / 2
    assert line.after.monthly_most == 10 * hours * 3600 * X86_PC / 2
    assert " to $" in cost_text(cost) and "with traffic" in cost_text(cost)
