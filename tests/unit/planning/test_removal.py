"""Removing what existed before us: released, never deleted, unless the user says so (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import InputError
from reconciler.expand.ownership import ADOPTED, RELEASED
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.output.text import action_lines, plan_text
from reconciler.planning.plan import Op, Plan, plan_apply, plan_destroy, plan_release
from reconciler.planning.removal import Removal
from tests.fixtures import small_stack
from tests.fixtures.small_stack import live_of, of_kind

TODAY = Removal(today="2026-12-06")
WITH_ADOPTED = Removal(include_adopted=True, today="2026-12-06")
OURS = {"ManagedBy", "EnvironmentSuffix", "Stack", ADOPTED}


def _live(resources: tuple[Resource, ...]) -> dict[ResourceId, Live | None]:
    return {r.id: live_of(r) for r in resources}


def _adopted(resource: Resource, **fields: object) -> Live:
    return live_of(resource, tags={**resource.fields["tags"], ADOPTED: "2026-01-05"}, **fields)


def _ops(plan: Plan) -> dict[ResourceId, Op]:
    return {a.id: a.op for a in plan.actions}


def test_destroy_releases_an_adopted_table_and_says_why(resources: tuple[Resource, ...]) -> None:
    table = of_kind(resources, "dynamodb.table")
    live = {**_live(resources), table.id: _adopted(table)}
    plan = plan_destroy(resources, live, "u1", removal=TODAY)
    (action,) = [a for a in plan.actions if a.id == table.id]
    assert action.op is Op.RELEASE
    assert {c.path: c.new for c in action.changes} == {
        **{f"tags.{key}": None for key in OURS},
        f"tags.{RELEASED}": "2026-12-06",
    }
    assert action.notes == (
        "adopted 2026-01-05, it existed before us: released, not deleted "
        "(--include-adopted deletes it)",
    )
    # Everything we created still goes.
    others = {op for rid, op in _ops(plan).items() if rid != table.id}
    assert others == {Op.DELETE}


def test_include_adopted_deletes_it_and_the_plan_says_it_existed_before_us(
    resources: tuple[Resource, ...],
) -> None:
    table = of_kind(resources, "dynamodb.table")
    live = {**_live(resources), table.id: _adopted(table)}
    plan = plan_destroy(resources, live, "u1", removal=WITH_ADOPTED)
    (action,) = [a for a in plan.actions if a.id == table.id]
    assert action.op is Op.DELETE
    assert action.notes == (
        "adopted 2026-01-05: deleted, with its data, because of --include-adopted",
    )


@pytest.mark.parametrize("removal", [TODAY, WITH_ADOPTED], ids=["plain", "include-adopted"])
def test_a_protected_table_is_never_deleted(
    resources: tuple[Resource, ...], removal: Removal
) -> None:
    table = of_kind(resources, "dynamodb.table")
    for live_table in (
        live_of(table, deletion_protection=True),
        _adopted(table, deletion_protection=True),
    ):
        live = {**_live(resources), table.id: live_table}
        plan = plan_destroy(resources, live, "u1", removal=removal)
        assert _ops(plan)[table.id] is Op.RELEASE
        (action,) = [a for a in plan.actions if a.id == table.id]
        assert "deletion protection is on" in action.notes[0]
        # Releasing changes tags only: the protection stays as it is.
        assert all(c.path.startswith("tags.") for c in action.changes)


def test_what_a_kept_function_needs_and_holds_stays_with_it(
    resources: tuple[Resource, ...],
) -> None:
    function = of_kind(resources, "lambda.function")
    live = {**_live(resources), function.id: _adopted(function)}
    plan = plan_destroy(resources, live, "u1", removal=TODAY)
    ops = _ops(plan)
    needs = [of_kind(resources, k) for k in ("iam.role", "logs.log_group", "sqs.queue")]
    assert ops[function.id] is Op.RELEASE
    # Its role, log group and dead-letter queue were ours, but the function stays and needs
    # them to run.
    for needed in needs:
        assert ops[needed.id] is Op.RELEASE
        (action,) = [a for a in plan.actions if a.id == needed.id]
        assert action.notes == (f"{function.id}, which is kept, needs it: released with it",)
    alias = of_kind(resources, "lambda.alias")
    concurrency = of_kind(resources, "lambda.provisioned_concurrency")
    assert alias.id not in ops and concurrency.id not in ops
    reasons = {s.id: s.reason for s in plan.skipped}
    assert reasons[alias.id] == f"part of {function.id}, which is kept"
    assert reasons[concurrency.id] == f"part of {alias.id}, which is kept"
    # What nothing kept needs is deleted as before: its alarms, the dashboard, the table. A
    # layer version keeps serving functions that use it after it is deleted (AWS), so it goes.
    for kind in ("cloudwatch.alarm", "cloudwatch.dashboard", "dynamodb.table", "lambda.layer"):
        assert ops[of_kind(resources, kind).id] is Op.DELETE, kind


def test_apply_releases_an_adopted_resource_the_desired_state_dropped(
    resources: tuple[Resource, ...],
) -> None:
    dropped = Resource(ResourceId("dynamodb.table", "ledger-u1"), {"tags": {}})
    tags = {"ManagedBy": "lambda-reconciler", "EnvironmentSuffix": "u1", "Stack": "small"}
    live = {**_live(resources), dropped.id: Live({"tags": {**tags, ADOPTED: "2026-01-05"}})}
    plan = plan_apply(resources, live, "u1", orphans=[dropped], removal=TODAY)
    assert [(a.op, a.id) for a in plan.actions] == [(Op.RELEASE, dropped.id)]


def test_release_hands_back_what_is_named_and_refuses_what_is_not_ours(
    resources: tuple[Resource, ...],
) -> None:
    table = of_kind(resources, "dynamodb.table")
    live = _live(resources)
    plan = plan_release(resources, live, "u1", [table.id.name], "2026-12-06")
    assert [(a.op, a.id) for a in plan.actions] == [(Op.RELEASE, table.id)]
    with pytest.raises(InputError, match="release nope-u1: no resource of suffix 'u1'"):
        plan_release(resources, live, "u1", ["nope-u1"], "2026-12-06")
    theirs = {**live, table.id: live_of(table, tags={"Team": "payments"})}
    with pytest.raises(InputError, match=r"release items-u1: dynamodb\.table exists without"):
        plan_release(resources, theirs, "u1", [table.id.name], "2026-12-06")
    handed_back = {**live, table.id: live_of(table, tags={RELEASED: "2026-12-06"})}
    assert plan_release(resources, handed_back, "u1", [table.id.name], "2026-12-06").empty


def test_what_was_released_is_left_alone_and_says_so(resources: tuple[Resource, ...]) -> None:
    table = of_kind(resources, "dynamodb.table")
    live = {**_live(resources), table.id: live_of(table, tags={RELEASED: "2026-12-06"})}
    plan = plan_apply(resources, live, "u1", removal=TODAY)
    assert table.id not in _ops(plan)
    reasons = {s.id: s.reason for s in plan.skipped}
    assert reasons[table.id] == "released 2026-12-06: no longer ours (--adopt takes it back)"


def test_another_stacks_resource_is_never_changed_or_taken(
    resources: tuple[Resource, ...],
) -> None:
    table = of_kind(resources, "dynamodb.table")
    theirs = {**table.fields["tags"], "Stack": "ledger", "Team": "other"}
    live = {**_live(resources), table.id: live_of(table, tags=theirs, billing_mode="PROVISIONED")}
    reason = "owned by stack 'ledger' of this suffix: never changed by stack 'small'"
    for adopt in (False, True):
        plan = plan_apply(resources, live, "u1", adopt=adopt, removal=TODAY)
        assert table.id not in _ops(plan)
        assert {s.id: s.reason for s in plan.skipped}[table.id] == reason
    destroyed = plan_destroy(resources, live, "u1", removal=TODAY)
    assert table.id not in _ops(destroyed)


def _table(tmp_path: Path, declared: str) -> Resource:
    toml = small_stack.TOML.replace('hash_key_type = "S"\n', f'hash_key_type = "S"\n{declared}', 1)
    return of_kind(small_stack.resources(small_stack.load(tmp_path, toml)), "dynamodb.table")


def test_undeclared_protection_is_kept_as_it_is(tmp_path: Path) -> None:
    table = _table(tmp_path, "")
    for protected in (True, False):
        live = {table.id: live_of(table, deletion_protection=protected)}
        assert plan_apply([table], live, "u1", removal=TODAY).empty
    # A table created anew is created without.
    (created,) = plan_apply([table], {table.id: None}, "u1", removal=TODAY).actions
    assert created.resource.fields["deletion_protection"] is False


def test_declared_false_turns_protection_off_on_a_line_of_its_own(tmp_path: Path) -> None:
    table = _table(tmp_path, "deletion_protection = false\n")
    live = {table.id: live_of(table, deletion_protection=True)}
    (action,) = plan_apply([table], live, "u1", removal=TODAY).actions
    (change,) = action.changes
    assert change.lifts_protection
    assert (
        "  ! deletion_protection: true -> false   "
        "(turns deletion protection OFF: it can then be deleted with its data)"
    ) in action_lines(action)


def test_declared_true_turns_it_on_as_an_ordinary_change(tmp_path: Path) -> None:
    table = _table(tmp_path, "deletion_protection = true\n")
    (action,) = plan_apply(
        [table], {table.id: live_of(table, deletion_protection=False)}, "u1"
    ).actions
    assert "    deletion_protection: false -> true" in action_lines(action)


def test_a_release_reads_as_one_in_the_plan(resources: tuple[Resource, ...]) -> None:
    table = of_kind(resources, "dynamodb.table")
    plan = plan_release(resources, _live(resources), "u1", [table.id.name], "2026-12-06")
    text = plan_text(plan, "release").splitlines()
    assert "> dynamodb.table items-u1 (released: kept as it is, our tags removed)" in text
    assert '    tags.ManagedBy: "lambda-reconciler" -> (none)' in text
    assert "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 to release." in text
