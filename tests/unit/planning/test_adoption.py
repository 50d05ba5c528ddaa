"""Taking over what already runs (--adopt): explicit, shown, in place, never someone else's."""

from __future__ import annotations

import pytest

from reconciler.expand.ownership import ADOPTED, foreign_owner
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.output.text import action_lines
from reconciler.planning.plan import NOT_OURS, Op, plan_apply
from reconciler.planning.removal import Removal
from tests.fixtures.small_stack import live_of, of_kind

LEGACY_TAGS = {"Team": "unit", "owner": "payments-legacy"}
ON_THE_DAY = Removal(today="2026-12-06")


def _legacy(
    resources: tuple[Resource, ...], kind: str, **fields: object
) -> dict[ResourceId, Live | None]:
    """Everything converged and ours, but one resource of `kind` deployed by hand years ago."""
    live: dict[ResourceId, Live | None] = {r.id: live_of(r) for r in resources}
    resource = of_kind(resources, kind)
    live[resource.id] = live_of(resource, tags=LEGACY_TAGS, **fields)
    return live


def test_without_adopt_an_untagged_resource_is_left_alone_with_a_hint(
    resources: tuple[Resource, ...],
) -> None:
    live = _legacy(resources, "lambda.function", memory_mb=128)
    plan = plan_apply(resources, live, "u1")
    function = of_kind(resources, "lambda.function")
    assert function.id not in {a.id for a in plan.actions}
    assert {s.id: s.reason for s in plan.skipped}[function.id] == NOT_OURS


def test_nothing_is_added_to_a_function_left_alone(resources: tuple[Resource, ...]) -> None:
    """Its alias and provisioned concurrency do not exist yet: creating them would publish a
    version and add an alias on someone else's function."""
    live = _legacy(resources, "lambda.function")
    parts = [of_kind(resources, k) for k in ("lambda.alias", "lambda.provisioned_concurrency")]
    for part in parts:
        live[part.id] = None
    plan = plan_apply(resources, live, "u1")
    assert not {p.id for p in parts} & {a.id for a in plan.actions}
    reasons = {s.id: s.reason for s in plan.skipped}
    function = of_kind(resources, "lambda.function").id
    assert reasons[parts[0].id] == f"belongs to {function}, which is not ours"
    assert reasons[parts[1].id] == f"belongs to {parts[0].id}, which is not ours"


def test_adopt_takes_it_over_in_place_with_every_change_and_the_tags_it_adds(
    resources: tuple[Resource, ...],
) -> None:
    live = _legacy(resources, "lambda.function", memory_mb=128, runtime="nodejs14.x")
    (action,) = plan_apply(resources, live, "u1", adopt=True, removal=ON_THE_DAY).actions
    assert action.op is Op.ADOPT and action.id == of_kind(resources, "lambda.function").id
    assert {c.path: (c.old, c.new) for c in action.changes} == {
        "runtime": ("nodejs14.x", "nodejs24.x"),
        "memory_mb": (128, 256),
        "tags.ManagedBy": (None, "lambda-reconciler"),
        "tags.EnvironmentSuffix": (None, "u1"),
        "tags.Stack": (None, "small"),
        # In the same tag call: what existed before us says so from then on.
        "tags.Adopted": (None, "2026-12-06"),
        "tags.owner": ("payments-legacy", None),
    }


def test_the_adoption_record_stays_on_later_runs(resources: tuple[Resource, ...]) -> None:
    function = of_kind(resources, "lambda.function")
    live = {r.id: live_of(r) for r in resources}
    live[function.id] = live_of(function, tags={**function.fields["tags"], ADOPTED: "2025-01-02"})
    later = Removal(today="2026-12-06")
    assert plan_apply(resources, live, "u1", removal=later).empty


def test_what_hangs_off_an_adopted_function_is_planned_as_usual(
    resources: tuple[Resource, ...],
) -> None:
    live = _legacy(resources, "lambda.function", memory_mb=128)
    alias = of_kind(resources, "lambda.alias")
    live[alias.id] = live_of(alias, version_fingerprint="legacy")
    plan = plan_apply(resources, live, "u1", adopt=True)
    assert {a.id: a.op for a in plan.actions}[alias.id] is Op.UPDATE
    assert plan.skipped == ()


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        (
            {"ManagedBy": "lambda-reconciler", "EnvironmentSuffix": "u2", "Stack": "small"},
            "owned by suffix 'u2': never taken over",
        ),
        (
            {
                "aws:cloudformation:stack-name": "payments-prod",
                "aws:cloudformation:logical-id": "Fn",
            },
            "managed by CloudFormation stack 'payments-prod': never taken over; release it first "
            "(DeletionPolicy: Retain on it, remove it from the template, update the stack)",
        ),
    ],
)
def test_another_suffixs_or_a_cloudformation_stacks_resource_is_never_adopted(
    resources: tuple[Resource, ...], tags: dict[str, str], reason: str
) -> None:
    live: dict[ResourceId, Live | None] = {r.id: live_of(r) for r in resources}
    queue = of_kind(resources, "sqs.queue")
    live[queue.id] = live_of(queue, tags=tags)
    plan = plan_apply(resources, live, "u1", adopt=True)
    assert queue.id not in {a.id for a in plan.actions}
    assert {s.id: s.reason for s in plan.skipped}[queue.id] == reason
    assert foreign_owner(tags, "u1") == reason


def test_a_field_aws_cannot_change_on_an_adopted_table_is_a_replacement_that_says_what_is_lost(
    resources: tuple[Resource, ...],
) -> None:
    live = _legacy(resources, "dynamodb.table", key_schema="pk:S")
    (action,) = plan_apply(resources, live, "u1", adopt=True).actions
    assert action.op is Op.REPLACE
    assert action.notes == (
        "replacing it deletes the existing dynamodb.table with its data (key_schema)",
    )


def test_our_own_dashboard_left_untagged_by_a_crash_is_not_an_adoption(
    resources: tuple[Resource, ...],
) -> None:
    board = of_kind(resources, "cloudwatch.dashboard")
    plan = plan_apply([board], {board.id: live_of(board, tags={})}, "u1", adopt=True)
    assert [a.op for a in plan.actions] == [Op.UPDATE]


def test_what_callers_rely_on_is_listed_with_the_adoption(
    resources: tuple[Resource, ...],
) -> None:
    live = _legacy(resources, "lambda.function", memory_mb=128)
    function = of_kind(resources, "lambda.function")
    kept = ("alias prod (version 3): not declared, kept", "function URL https://x (NONE): kept")
    legacy = live[function.id]
    assert legacy is not None
    live[function.id] = Live(dict(legacy.fields), {"kept": kept})
    (action,) = plan_apply(resources, live, "u1", adopt=True).actions
    assert action.notes == kept
    text = "\n".join(action_lines(action))
    assert text.startswith("@ lambda.function worker-u1 (taken over: tagged and changed in place)")
    assert "    note: alias prod (version 3): not declared, kept" in text
