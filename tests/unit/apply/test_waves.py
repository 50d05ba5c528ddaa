"""Apply waves: each wave needs only earlier ones; deletes go in reverse creation order."""

from __future__ import annotations

from reconciler.apply.executor import waves
from reconciler.expand.catalog import rank
from reconciler.expand.resources import Resource
from reconciler.planning.plan import Op, plan_apply, plan_destroy
from tests.fixtures.small_stack import live_of


def test_creates_wait_for_what_they_depend_on(resources: tuple[Resource, ...]) -> None:
    grouped = waves(plan_apply(resources, {}, "u1"))
    level = {a.id: i for i, wave in enumerate(grouped) for a in wave}
    for wave in grouped:
        for action in wave:
            for needed in action.resource.depends_on:
                assert level[needed] < level[action.id], (needed, action.id)


def test_independent_resources_share_the_first_wave(resources: tuple[Resource, ...]) -> None:
    first = {a.id.kind for a in waves(plan_apply(resources, {}, "u1"))[0]}
    assert {"dynamodb.table", "sqs.queue", "lambda.layer", "logs.log_group"} <= first


def test_deletes_come_one_wave_per_kind_in_reverse_creation_order(
    resources: tuple[Resource, ...],
) -> None:
    live = {r.id: live_of(r) for r in resources}
    grouped = waves(plan_destroy(resources, live, "u1"))
    kinds = [{a.id.kind for a in wave} for wave in grouped]
    assert all(len(k) == 1 for k in kinds)
    order = [rank(next(iter(k))) for k in kinds]
    assert order == sorted(order, reverse=True)
    assert all(a.op is Op.DELETE for wave in grouped for a in wave)
