"""Ownership fails closed: what is not provably ours is never changed or deleted (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.adapters.base import Found
from reconciler.expand.ownership import owned_by, ownership_tags
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.observe.discover import classify
from reconciler.planning.plan import NOT_OURS, UNREADABLE, Op, plan_apply, plan_destroy
from tests.fixtures.small_stack import live_of, of_kind

OURS = ownership_tags("u1", "small")


@pytest.mark.parametrize(
    ("tags", "ours"),
    [
        (OURS, True),
        ({**OURS, "Team": "x"}, True),
        ({**OURS, "EnvironmentSuffix": "u2"}, False),
        ({**OURS, "ManagedBy": "terraform"}, False),
        ({"EnvironmentSuffix": "u1", "Stack": "small"}, False),
        ({}, False),
        (None, False),
        ("ManagedBy=lambda-reconciler", False),
    ],
)
def test_only_our_tool_and_suffix_make_a_resource_ours(tags: object, ours: bool) -> None:
    assert owned_by(tags, "u1") is ours


def _found(name: str, tags: dict[str, str] | None) -> Found:
    return Found(ResourceId("lambda.function", name), tags)


def test_discovery_keeps_what_the_suffix_owns_in_the_stacks_run() -> None:
    found = [
        _found("a-u1", OURS),
        _found("b-u1", {**OURS, "Stack": "other"}),
        _found("c-u1", {**OURS, "EnvironmentSuffix": "u2"}),
        _found("d-u1", {"Team": "x"}),
        _found("e-u1", None),
    ]
    kept = classify(found, "u1", ["small"])
    assert [r.id.name for r in kept.orphans] == ["a-u1"]
    assert kept.orphans[0].stack == "small"
    assert kept.unreadable == (ResourceId("lambda.function", "e-u1"),)
    every_stack = classify(found, "u1", None)
    assert [r.id.name for r in every_stack.orphans] == ["a-u1", "b-u1"]


def test_a_resource_with_our_name_but_not_our_tags_is_left_alone_with_what_hangs_off_it(
    resources: tuple[Resource, ...],
) -> None:
    live: dict[ResourceId, Live | None] = {r.id: live_of(r) for r in resources}
    function = of_kind(resources, "lambda.function")
    live[function.id] = live_of(function, tags={"Team": "someone-else"}, memory_mb=128)
    alias = of_kind(resources, "lambda.alias")
    live[alias.id] = live_of(alias, version_fingerprint="older")
    plan = plan_apply(resources, live, "u1")
    reasons = {s.id: s.reason for s in plan.skipped}
    assert reasons[function.id] == NOT_OURS
    assert reasons[alias.id] == f"belongs to {function.id}, which is not ours"
    assert {a.id for a in plan.actions}.isdisjoint({function.id, alias.id})


def test_destroy_never_deletes_what_another_suffix_owns(resources: tuple[Resource, ...]) -> None:
    live: dict[ResourceId, Live | None] = {r.id: live_of(r) for r in resources}
    table = of_kind(resources, "dynamodb.table")
    live[table.id] = live_of(table, tags={**table.fields["tags"], "EnvironmentSuffix": "u2"})
    plan = plan_destroy(resources, live, "u1")
    assert table.id not in {a.id for a in plan.actions}
    assert table.id in {s.id for s in plan.skipped}


def test_unreadable_tags_are_work_left_undone_never_a_delete(
    resources: tuple[Resource, ...],
) -> None:
    unknown = ResourceId("sqs.queue", "mystery-u1")
    for planner in (plan_apply, plan_destroy):
        plan = planner(resources, {}, "u1", (), (unknown,))
        (skipped,) = [s for s in plan.skipped if s.id == unknown]
        assert skipped.reason == UNREADABLE and skipped.undone
        assert unknown not in {a.id for a in plan.actions}


def test_an_untagged_dashboard_identical_to_ours_is_ours_left_by_a_crash(
    resources: tuple[Resource, ...],
) -> None:
    board = of_kind(resources, "cloudwatch.dashboard")
    plan = plan_apply([board], {board.id: live_of(board, tags={})}, "u1")
    (action,) = plan.actions
    assert action.op is Op.UPDATE and all(c.path.startswith("tags.") for c in action.changes)


def test_an_untagged_dashboard_that_differs_is_someone_elses(
    resources: tuple[Resource, ...],
) -> None:
    board = of_kind(resources, "cloudwatch.dashboard")
    plan = plan_apply([board], {board.id: live_of(board, tags={}, body={"widgets": []})}, "u1")
    assert plan.actions == () and plan.skipped[0].id == board.id


def test_only_kinds_tagged_after_create_are_recognised_untagged(
    resources: tuple[Resource, ...],
) -> None:
    """A table is tagged in its create call: untagged, it was never ours."""
    table = of_kind(resources, "dynamodb.table")
    plan = plan_apply([table], {table.id: live_of(table, tags={})}, "u1")
    assert plan.actions == () and plan.skipped[0].id == table.id


def test_ignored_fields_adopt_their_live_value_and_never_show_as_drift(
    resources: tuple[Resource, ...],
) -> None:
    function = of_kind(resources, "lambda.function")
    ignored = replace(function, ignore=("environment.FEATURE_*", "tags.Owner", "memory_mb"))
    env = {**function.fields["environment"], "FEATURE_X": "on"}
    tags = {**function.fields["tags"], "Owner": "platform"}
    live = live_of(function, environment=env, tags=tags, memory_mb=2048, timeout_s=3)
    (action,) = plan_apply([ignored], {function.id: live}, "u1").actions
    assert [c.path for c in action.changes] == ["timeout_s"]
    # Applied, the whole environment is sent: someone else's variable must survive it.
    assert action.resource.fields["environment"]["FEATURE_X"] == "on"
    assert action.resource.fields["memory_mb"] == 2048
