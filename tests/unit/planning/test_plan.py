"""Plan: field changes -> ordered actions; replacements, pruning and derived fields (pure)."""

from __future__ import annotations

from dataclasses import replace

from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.planning.plan import Op, order, plan_apply, plan_destroy
from tests.fixtures.small_stack import live_of, of_kind


def converged(resources: tuple[Resource, ...]) -> dict[ResourceId, Live | None]:
    return {r.id: live_of(r) for r in resources}


def test_plan_creates_everything_in_dependency_order_on_an_empty_account(
    resources: tuple[Resource, ...],
) -> None:
    plan = plan_apply(resources, {}, "u1")
    kinds = [a.id.kind for a in plan.actions]
    assert all(a.op is Op.CREATE for a in plan.actions)
    # Derived resources have nothing of their own to create.
    assert "lambda.layer_versions" not in kinds
    for first, then in [
        ("logs.log_group", "lambda.function"),
        ("iam.policy", "iam.role"),
        ("iam.role", "lambda.function"),
        ("lambda.layer", "lambda.function"),
        ("sqs.queue", "lambda.function"),
        ("lambda.function", "lambda.alias"),
        ("lambda.alias", "lambda.provisioned_concurrency"),
        ("sqs.queue", "cloudwatch.alarm"),
    ]:
        assert kinds.index(first) < kinds.index(then), (first, then)


def test_a_converged_stack_plans_nothing(resources: tuple[Resource, ...]) -> None:
    plan = plan_apply(resources, converged(resources), "u1")
    assert plan.empty and plan.skipped == ()


def test_order_puts_dependencies_first_whatever_the_input_order(
    resources: tuple[Resource, ...],
) -> None:
    forward = [r.id for r in order(resources)]
    assert [r.id for r in order(tuple(reversed(resources)))] == forward


def test_a_key_schema_change_is_planned_as_replace(resources: tuple[Resource, ...]) -> None:
    table = of_kind(resources, "dynamodb.table")
    plan = plan_apply([table], {table.id: live_of(table, key_schema="other:S")}, "u1")
    assert [a.op for a in plan.actions] == [Op.REPLACE]


def test_a_new_layer_version_plans_the_pruning_of_the_old_one(
    resources: tuple[Resource, ...],
) -> None:
    live = converged(resources)
    layer = of_kind(resources, "lambda.layer")
    live[layer.id] = live_of(layer, content_hash="0" * 16)
    kinds = [a.id.kind for a in plan_apply(resources, live, "u1").actions]
    assert kinds.index("lambda.layer") < kinds.index("lambda.layer_versions")


def test_orphans_the_suffix_owns_are_deleted_after_everything_else(
    resources: tuple[Resource, ...],
) -> None:
    orphan = Resource(ResourceId("lambda.function", "retired-u1"), {"tags": {}})
    live = {**converged(resources), orphan.id: Live({"tags": {}})}
    table = of_kind(resources, "dynamodb.table")
    live[table.id] = live_of(table, tags={**table.fields["tags"], "Team": "x"})
    plan = plan_apply(resources, live, "u1", orphans=[orphan])
    assert [(a.op, a.id) for a in plan.actions] == [(Op.UPDATE, table.id), (Op.DELETE, orphan.id)]


def test_destroy_deletes_dependents_first(resources: tuple[Resource, ...]) -> None:
    plan = plan_destroy(resources, converged(resources), "u1")
    kinds = [a.id.kind for a in plan.actions]
    assert all(a.op is Op.DELETE for a in plan.actions)
    assert kinds.index("lambda.provisioned_concurrency") < kinds.index("lambda.alias")
    assert kinds.index("lambda.function") < kinds.index("logs.log_group")
    assert kinds.index("lambda.function") < kinds.index("iam.role")
    assert kinds.index("iam.role") < kinds.index("iam.policy")


def test_destroy_of_nothing_live_plans_nothing(resources: tuple[Resource, ...]) -> None:
    assert plan_destroy(resources, {}, "u1").empty


def test_the_alias_fingerprint_follows_the_function_fields_adopted_from_live(
    resources: tuple[Resource, ...],
) -> None:
    """An ignored environment variable someone else sets is part of the next version: the
    alias must want a version with it, or every run would publish again."""
    live = converged(resources)
    function = replace(of_kind(resources, "lambda.function"), ignore=("environment.FEATURE_*",))
    env = {**function.fields["environment"], "FEATURE_X": "on"}
    live[function.id] = live_of(function, environment=env)
    alias = of_kind(resources, "lambda.alias")
    assert alias.computed_from is not None
    wanted = alias.computed_from.compute({**function.fields, "environment": env})
    live[alias.id] = Live(dict(wanted))
    others = [r for r in resources if r.id not in (function.id, alias.id)]
    assert plan_apply([*others, function, alias], live, "u1").empty


def test_a_runtime_and_code_change_is_flagged_for_the_window_between_the_two_calls(
    resources: tuple[Resource, ...],
) -> None:
    function = of_kind(resources, "lambda.function")
    live = {function.id: live_of(function, runtime="nodejs16.x", architecture="x86_64")}
    (action,) = plan_apply([function], live, "u1").actions
    assert len(action.notes) == 1 and "in two calls" in action.notes[0]
    memory_only = {function.id: live_of(function, memory_mb=512)}
    assert plan_apply([function], memory_only, "u1").actions[0].notes == ()
