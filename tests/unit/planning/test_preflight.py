"""Preflight: what AWS would refuse midway is refused before the first write (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from reconciler.desired.model import ScalingSpec
from reconciler.errors import PreflightError
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.planning.plan import Action, Op, Plan, plan_apply
from reconciler.planning.preflight import check_concurrency, runtime_problems
from tests.fixtures.small_stack import live_of, of_kind


def test_a_deprecated_runtime_warns_and_a_blocked_one_is_refused(
    resources: tuple[Resource, ...],
) -> None:
    function = of_kind(resources, "lambda.function")
    stale = replace(function, fields={**function.fields, "runtime": "nodejs18.x"})
    live = live_of(function, runtime="nodejs18.x", memory_mb=512)
    plan = plan_apply([stale], {stale.id: live}, "u1")
    assert plan.actions[0].op is Op.UPDATE
    refusals, warnings = runtime_problems(plan, dt.date(2026, 11, 23))
    assert refusals == [] and "deprecated since 2025-09-01" in warnings[0]
    refusals, _ = runtime_problems(plan, dt.date(2027, 3, 3))
    assert "AWS blocks updating nodejs18.x functions since 2027-03-03" in refusals[0]
    refusals, _ = runtime_problems(plan_apply([stale], {}, "u1"), dt.date(2027, 2, 1))
    assert "AWS blocks creating nodejs18.x functions since 2027-02-01" in refusals[0]


def _settings(total: int, unreserved: int) -> Any:
    limit = {"ConcurrentExecutions": total, "UnreservedConcurrentExecutions": unreserved}
    return lambda: {"AccountLimit": limit}


def test_provisioned_concurrency_without_a_reservation_comes_out_of_the_unreserved_pool() -> None:
    def capacity(reserved: int | None, count: int = 850) -> Action:
        resource = Resource(
            ResourceId("lambda.provisioned_concurrency", "fn-u1:live"),
            {"count": count, "status": "READY", "elsewhere": ()},
            payload={"function": "fn-u1", "alias": "live", "reserved": reserved},
        )
        return Action(Op.CREATE, resource)

    # 1,000 in the account, 100 unreserved at least: 850 of an unreserved function's
    # instances fit in 950 unreserved, 851 do not.
    check_concurrency(_settings(1000, 950), Plan((capacity(None),)), {})
    with pytest.raises(PreflightError, match="the stack reserves 851"):
        check_concurrency(_settings(1000, 950), Plan((capacity(None, 851),)), {})
    # Inside a reservation they take nothing more from the pool.
    check_concurrency(_settings(1000, 100), Plan((capacity(200),)), {})


def test_a_scaled_alias_of_an_unreserved_function_counts_at_its_max() -> None:
    """The scaler may hold `max` at any hour: the account must have room for it before the
    first write, whatever the alias holds at the moment."""
    scaling = ScalingSpec(1, 860)
    target = Resource(
        ResourceId("application-autoscaling.target", "fn-u1:live"),
        {"min": 1, "max": 860, "schedule": {}, "tracking": None, "tags": {}},
        payload={"scaling": scaling, "reserved": None},
    )
    capacity = Resource(
        ResourceId("lambda.provisioned_concurrency", "fn-u1:live"),
        {"count": None, "status": "READY", "elsewhere": ()},
        payload={"function": "fn-u1", "alias": "live", "reserved": None, "scaling": scaling},
    )
    plan = Plan((Action(Op.CREATE, capacity), Action(Op.CREATE, target)))
    with pytest.raises(PreflightError, match="the stack reserves 860"):
        check_concurrency(_settings(1000, 950), plan, {})
    # What the alias holds now counts as given back: with 10 held (940 unreserved), a max of
    # 850 leaves the 100 AWS keeps, and 851 does not.
    held = {capacity.id: Live({"count": 10, "status": "READY", "elsewhere": ()})}
    for most, fits in ((850, True), (851, False)):
        sized = replace(target, payload={"scaling": ScalingSpec(1, most), "reserved": None})
        one = Plan((Action(Op.UPDATE, sized),))
        if fits:
            check_concurrency(_settings(1000, 940), one, held)
        else:
            with pytest.raises(PreflightError, match="reserves 851"):
                check_concurrency(_settings(1000, 940), one, held)
    # Inside a reservation the scaler takes nothing more from the pool.
    reserved = replace(target, payload={"scaling": scaling, "reserved": 900})
    check_concurrency(_settings(1000, 100), Plan((Action(Op.CREATE, reserved),)), {})


def test_reserved_concurrency_must_leave_the_account_its_unreserved_minimum(
    resources: tuple[Resource, ...],
) -> None:
    function = of_kind(resources, "lambda.function")  # reserves 3
    plan = plan_apply([function], {}, "u1")
    check_concurrency(_settings(1000, 103), plan, {})
    with pytest.raises(PreflightError, match=r"the stack reserves 3 \(reserved and provisioned\)"):
        check_concurrency(_settings(1000, 102), plan, {})
    # A new account with 10 executions keeps all 10 unreserved.
    with pytest.raises(PreflightError, match="AWS keeps at least 10 unreserved"):
        check_concurrency(_settings(10, 10), plan, {})


def test_what_a_changed_function_already_holds_counts_as_freed(
    resources: tuple[Resource, ...],
) -> None:
    function = of_kind(resources, "lambda.function")
    live: dict[ResourceId, Live | None] = {
        function.id: live_of(function, reserved_concurrency=3, memory_mb=512)
    }
    plan = plan_apply([function], live, "u1")
    check_concurrency(_settings(1000, 100), plan, live)


def test_a_plan_that_reserves_nothing_never_reads_the_account(
    resources: tuple[Resource, ...],
) -> None:
    table = of_kind(resources, "dynamodb.table")

    def unreachable() -> dict[str, Any]:
        raise AssertionError("a converged or reservation-free plan must not read the account")

    check_concurrency(unreachable, plan_apply([table], {}, "u1"), {})
