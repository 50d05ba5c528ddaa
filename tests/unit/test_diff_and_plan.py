"""Diff and plan: pure tables over the rendered transactions stack."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.apply.executor import waves
from reconciler.desired.load import load_stack
from reconciler.errors import InputError
from reconciler.expand.resources import Live, ResourceId
from reconciler.planning.diff import FieldChange, diff_fields
from reconciler.planning.plan import Op, order, plan_apply, plan_destroy
from tests.unit.helpers import ROOT, by_kind, live_of, rendered

RESOURCES = rendered()
FUNCTION = by_kind(RESOURCES, "lambda.function")
ROLE = by_kind(RESOURCES, "iam.role")


def test_the_stack_renders_every_resource_the_requirements_name() -> None:
    assert sorted(str(r.id) for r in RESOURCES) == [
        "cloudwatch.dashboard transactions-pr42",
        "dynamodb.table transactions-pr42",
        "iam.role lambda-function-role-pr42",
        "lambda.alias lambda-function-pr42:live",
        "lambda.function lambda-function-pr42",
        "lambda.provisioned_concurrency lambda-function-pr42:live",
        "logs.log_group /aws/lambda/lambda-function-pr42",
        "xray.group transactions-pr42",
    ]


def test_every_taggable_resource_carries_stack_and_ownership_tags() -> None:
    for resource in RESOURCES:
        if "tags" in resource.fields:
            assert resource.fields["tags"] == {
                "Environment": "production", "Team": "payments", "CostCenter": "fintech",
                "ManagedBy": "lambda-reconciler", "EnvironmentSuffix": "pr42",
                "Stack": "transactions",
            }  # fmt: skip


def test_the_role_policy_is_scoped_to_the_table_its_indexes_and_its_own_log_group() -> None:
    (policy,) = ROLE.fields["inline_policies"].values()
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/transactions-pr42"
    assert by_sid["TableLedger"]["Resource"] == [table, f"{table}/index/*"]
    assert all(a.startswith("dynamodb:") and "*" not in a for a in by_sid["TableLedger"]["Action"])
    assert by_sid["OwnLogGroup"]["Resource"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/lambda-function-pr42:*"
    )
    assert by_sid["OwnLogGroup"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert "logs:CreateLogGroup" not in str(policy)


def test_a_converged_resource_has_no_changes() -> None:
    for resource in RESOURCES:
        assert diff_fields(resource, live_of(resource)) == ()


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"memory_mb": 512}, [FieldChange("memory_mb", 512, 1024)]),
        ({"kms_key_arn": "arn:aws:kms:us-east-1:1:key/k"},
         [FieldChange("kms_key_arn", "arn:aws:kms:us-east-1:1:key/k", None)]),
        ({"tags": {**FUNCTION.fields["tags"], "Team": "other"}},
         [FieldChange("tags.Team", "other", "payments")]),
        ({"tags": {**FUNCTION.fields["tags"], "aws:cloudformation:stack": "x"}}, []),
        ({"environment": {**FUNCTION.fields["environment"], "EXTRA": "1"}},
         [FieldChange("environment.EXTRA", "1", None)]),
    ],
)  # fmt: skip
def test_one_changed_field_gives_exactly_that_change(
    override: dict[str, object], expected: list[FieldChange]
) -> None:
    assert list(diff_fields(FUNCTION, live_of(FUNCTION, **override))) == expected


def test_a_changed_secret_is_marked_sensitive_and_shown_masked() -> None:
    env = {**FUNCTION.fields["environment"], "API_KEY": "old-key-value"}
    (change,) = diff_fields(FUNCTION, live_of(FUNCTION, environment=env))
    assert change.path == "environment.API_KEY" and change.sensitive
    assert change.masked(change.old) == "(sensitive)" and change.masked(change.new) == "(sensitive)"


def test_policies_written_differently_but_equal_give_no_diff() -> None:
    (name, policy) = next(iter(ROLE.fields["inline_policies"].items()))
    shuffled = {
        "Version": "2012-10-17",
        "Statement": [
            {**s, "Action": sorted((a.upper() for a in s["Action"]), reverse=True)}
            if isinstance(s["Action"], list) else {**s, "Resource": [s["Resource"]]}
            for s in reversed(policy["Statement"])
        ],
    }  # fmt: skip
    assert diff_fields(ROLE, live_of(ROLE, inline_policies={name: shuffled})) == ()


def test_an_inline_policy_added_out_of_band_is_drift() -> None:
    extra = {**ROLE.fields["inline_policies"], "sneaky": {"Statement": []}}
    (change,) = diff_fields(ROLE, live_of(ROLE, inline_policies=extra))
    assert change.path == "inline_policies.sneaky" and change.new is None


def test_plan_creates_everything_in_dependency_order_on_an_empty_account() -> None:
    plan = plan_apply(RESOURCES, {}, "pr42")
    kinds = [a.id.kind for a in plan.actions]
    assert all(a.op is Op.CREATE for a in plan.actions)
    assert kinds.index("logs.log_group") < kinds.index("lambda.function")
    assert kinds.index("iam.role") < kinds.index("lambda.function")
    assert kinds.index("lambda.function") < kinds.index("lambda.alias")
    assert kinds.index("lambda.alias") < kinds.index("lambda.provisioned_concurrency")


def test_apply_waves_put_the_log_group_before_the_function() -> None:
    plan = plan_apply(RESOURCES, {}, "pr42")
    level = {a.id.kind: i for i, wave in enumerate(waves(plan)) for a in wave}
    assert level["logs.log_group"] < level["lambda.function"] < level["lambda.alias"]
    assert level["lambda.alias"] < level["lambda.provisioned_concurrency"]


def test_a_converged_stack_plans_nothing() -> None:
    live = {r.id: live_of(r) for r in RESOURCES}
    assert plan_apply(RESOURCES, live, "pr42").empty


def test_a_resource_with_our_name_but_not_our_tags_is_left_alone() -> None:
    live: dict[ResourceId, Live | None] = {r.id: live_of(r) for r in RESOURCES}
    live[FUNCTION.id] = live_of(FUNCTION, tags={"Team": "someone-else"})
    plan = plan_apply(RESOURCES, live, "pr42")
    skipped = {s.id for s in plan.skipped}
    assert FUNCTION.id in skipped
    assert all(a.id != FUNCTION.id for a in plan.actions)


def test_destroy_deletes_dependents_first_and_never_what_another_suffix_owns() -> None:
    live: dict[ResourceId, Live | None] = {r.id: live_of(r) for r in RESOURCES}
    table = by_kind(RESOURCES, "dynamodb.table")
    other = {**table.fields["tags"], "EnvironmentSuffix": "pr43"}
    live[table.id] = live_of(table, tags=other)
    plan = plan_destroy(RESOURCES, live, "pr42")
    kinds = [a.id.kind for a in plan.actions]
    assert "dynamodb.table" not in kinds
    assert kinds.index("lambda.provisioned_concurrency") < kinds.index("lambda.alias")
    assert kinds.index("lambda.function") < kinds.index("logs.log_group")
    assert kinds.index("lambda.function") < kinds.index("iam.role")


def test_a_key_schema_change_is_planned_as_replace() -> None:
    table = by_kind(RESOURCES, "dynamodb.table")
    plan = plan_apply([table], {table.id: live_of(table, key_schema="id:S")}, "pr42")
    assert [a.op for a in plan.actions] == [Op.REPLACE]


def test_order_puts_dependencies_first_whatever_the_input_order() -> None:
    shuffled = tuple(reversed(RESOURCES))
    names = [r.id.kind for r in order(shuffled)]
    assert names.index("lambda.function") > names.index("iam.role")


def test_ignored_fields_adopt_their_live_value_and_never_show_as_drift() -> None:
    ignored = replace(FUNCTION, ignore=("environment.FEATURE_*", "tags.Owner", "memory_mb"))
    env = {**FUNCTION.fields["environment"], "FEATURE_X": "on"}
    tags = {**FUNCTION.fields["tags"], "Owner": "platform"}
    live = live_of(FUNCTION, environment=env, tags=tags, memory_mb=2048, timeout_s=10)
    plan = plan_apply([ignored], {FUNCTION.id: live}, "pr42")
    (action,) = plan.actions
    assert [c.path for c in action.changes] == ["timeout_s"]
    # Applied, the whole environment is sent: someone else's variable must survive it.
    assert action.resource.fields["environment"]["FEATURE_X"] == "on"
    assert action.resource.fields["memory_mb"] == 2048


def test_an_ignore_entry_must_name_a_known_kind(tmp_path: Path) -> None:
    text = (ROOT / "desired_state" / "transactions.toml").read_text()
    (tmp_path / "desired_state").mkdir()
    (tmp_path / "handlers").symlink_to(ROOT / "handlers")
    path = tmp_path / "desired_state" / "transactions.toml"
    path.write_text('ignore = ["lambda.fn:tags.Owner"]\n' + text)
    with pytest.raises(InputError, match=r"ignore: 'lambda\.fn:tags\.Owner' is not `kind:field`"):
        load_stack(path)


def test_tags_and_environment_compare_as_maps_whatever_their_order() -> None:
    reversed_tags = dict(reversed(list(FUNCTION.fields["tags"].items())))
    reversed_env = dict(reversed(list(FUNCTION.fields["environment"].items())))
    live = live_of(FUNCTION, tags=reversed_tags, environment=reversed_env)
    assert diff_fields(FUNCTION, live) == ()


def test_a_trust_policy_with_a_one_element_principal_list_is_the_same_policy() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": ["STS:AssumeRole"],
            "Principal": {"Service": ["lambda.amazonaws.com"]},
            "Sid": "",
        },
    }
    assert diff_fields(ROLE, live_of(ROLE, trust_policy=trust)) == ()


def test_an_untagged_dashboard_identical_to_ours_is_ours_and_gets_its_tags() -> None:
    board = by_kind(RESOURCES, "cloudwatch.dashboard")
    plan = plan_apply([board], {board.id: live_of(board, tags={})}, "pr42")
    (action,) = plan.actions
    assert action.op is Op.UPDATE and all(c.path.startswith("tags.") for c in action.changes)
    other = live_of(board, tags={}, body={"widgets": []})
    plan = plan_apply([board], {board.id: other}, "pr42")
    assert plan.actions == () and plan.skipped[0].id == board.id
