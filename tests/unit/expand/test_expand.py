"""Expansion of the tests' own small stack: one resource of each kind, named, tagged, linked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.desired.model import StackSpec
from reconciler.errors import InputError
from reconciler.expand import declared_names
from reconciler.expand.catalog import KEYS
from reconciler.expand.lambda_ import alias_fields, version_fingerprint
from reconciler.expand.resources import Resource, ResourceId
from tests.fixtures import small_stack
from tests.fixtures.small_stack import SECRET, of_kind

OWNERSHIP = {"ManagedBy": "lambda-reconciler", "EnvironmentSuffix": "u1", "Stack": "small"}


def test_the_stack_expands_to_one_resource_of_every_kind(tmp_path: Path) -> None:
    resources = small_stack.resources(small_stack.load(tmp_path, small_stack.SCALED))
    assert sorted(str(r.id) for r in resources) == [
        "application-autoscaling.target worker-u1:live",
        "cloudwatch.alarm worker-dlq-u1",
        "cloudwatch.alarm worker-errors-u1",
        "cloudwatch.dashboard small-u1",
        "dynamodb.table items-u1",
        "iam.policy small-boundary-u1",
        "iam.role worker-role-u1",
        "lambda.alias worker-u1:live",
        "lambda.event_invoke_config worker-u1",
        "lambda.function worker-u1",
        "lambda.layer common-u1",
        "lambda.layer_versions common-u1",
        "lambda.provisioned_concurrency worker-u1:live",
        "logs.log_group /aws/lambda/worker-u1",
        "sqs.queue worker-dlq-u1",
        "xray.group small-u1",
    ]
    assert {r.id.kind for r in resources} == set(KEYS)


def test_every_taggable_resource_carries_the_stack_tags_and_ownership(
    resources: tuple[Resource, ...],
) -> None:
    tagged = [r for r in resources if "tags" in r.fields]
    assert len(tagged) == 10
    assert all(r.fields["tags"] == {"Team": "unit", **OWNERSHIP} for r in tagged)


def test_a_stack_tag_cannot_claim_or_disown_a_resource(tmp_path: Path) -> None:
    toml = small_stack.TOML.replace('Team = "unit"', 'Team = "unit"\nManagedBy = "someone"')
    items = small_stack.resources(small_stack.load(tmp_path, toml))
    assert of_kind(items, "dynamodb.table").fields["tags"]["ManagedBy"] == "lambda-reconciler"


def test_every_resource_of_a_named_kind_is_named_from_its_declaration(
    small: StackSpec, resources: tuple[Resource, ...]
) -> None:
    declared = {
        ResourceId(d.kind.key, d.template.replace("{suffix}", "u1")) for d in declared_names(small)
    }
    named = {r.id for r in resources if r.id.kind in {d.kind.key for d in declared_names(small)}}
    assert named == declared


def test_the_role_allows_its_table_log_group_queue_and_xray_and_nothing_else(
    resources: tuple[Resource, ...],
) -> None:
    role = of_kind(resources, "iam.role")
    (document,) = role.fields["inline_policies"].values()
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/items-u1"
    assert by_sid["TableItems"] == {
        "Sid": "TableItems",
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem"],
        "Resource": [table, f"{table}/index/*"],
    }
    log_group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/worker-u1:*"
    assert by_sid["OwnLogGroup"]["Resource"] == log_group
    assert by_sid["OwnDeadLetterQueue"]["Resource"].endswith(":worker-dlq-u1")
    assert set(by_sid) == {"TableItems", "OwnLogGroup", "XRayWrite", "OwnDeadLetterQueue"}
    assert "logs:CreateLogGroup" not in str(document)


def test_the_role_is_capped_by_the_boundary_made_of_what_the_roles_allow(
    resources: tuple[Resource, ...],
) -> None:
    role, boundary = of_kind(resources, "iam.role"), of_kind(resources, "iam.policy")
    assert role.fields["permissions_boundary"].endswith(":policy/small-boundary-u1")
    assert boundary.id in role.depends_on
    allowed = {a for s in boundary.fields["document"]["Statement"] for a in s["Action"]}
    assert "dynamodb:GetItem" in allowed and "sqs:SendMessage" in allowed


def test_the_function_needs_its_role_log_group_queue_and_layer_first(
    resources: tuple[Resource, ...],
) -> None:
    function = of_kind(resources, "lambda.function")
    assert {str(d) for d in function.depends_on} == {
        "iam.role worker-role-u1",
        "logs.log_group /aws/lambda/worker-u1",
        "sqs.queue worker-dlq-u1",
        "lambda.layer common-u1",
    }
    layer = of_kind(resources, "lambda.layer")
    assert function.fields["layers"] == (f"common-u1@{layer.fields['content_hash']}",)
    assert function.fields["environment"] == {"TABLE": "items-u1", "TOKEN": SECRET}
    assert function.sensitive == frozenset({"environment.TOKEN"})


def test_the_alias_fingerprint_is_computed_from_the_function_and_follows_it(
    resources: tuple[Resource, ...],
) -> None:
    function, alias = of_kind(resources, "lambda.function"), of_kind(resources, "lambda.alias")
    assert alias.fields == alias_fields(function.fields)
    assert alias.computed_from is not None and alias.computed_from.source == function.id
    # Tags and concurrency are the function's, not the version's: they change no fingerprint.
    untagged = {**function.fields, "tags": {}, "reserved_concurrency": None}
    assert version_fingerprint(untagged) == alias.fields["version_fingerprint"]
    assert (
        version_fingerprint({**function.fields, "memory_mb": 512})
        != (alias.fields["version_fingerprint"])
    )


def test_unused_layer_versions_wait_for_every_function_using_the_layer(
    resources: tuple[Resource, ...],
) -> None:
    pruning = of_kind(resources, "lambda.layer_versions")
    assert pruning.derived and pruning.follows == (of_kind(resources, "lambda.layer").id,)
    assert of_kind(resources, "lambda.function").id in pruning.depends_on


def test_alarms_watch_the_function_or_its_dlq(resources: tuple[Resource, ...]) -> None:
    alarms = {r.id.name: r for r in resources if r.id.kind == "cloudwatch.alarm"}
    assert alarms["worker-errors-u1"].fields["dimensions"] == {"FunctionName": "worker-u1"}
    assert alarms["worker-dlq-u1"].fields["dimensions"] == {"QueueName": "worker-dlq-u1"}
    assert ResourceId("sqs.queue", "worker-dlq-u1") in alarms["worker-dlq-u1"].depends_on


def test_ignore_entries_go_to_their_kind_only(tmp_path: Path) -> None:
    toml = 'ignore = ["lambda.function:tags.Owner", "logs.log_group:retention_days"]\n'
    items = small_stack.resources(small_stack.load(tmp_path, toml + small_stack.TOML))
    assert of_kind(items, "lambda.function").ignore == ("tags.Owner",)
    assert of_kind(items, "logs.log_group").ignore == ("deletion_protection", "retention_days")
    # The table's own: deletion protection it does not declare is kept as it is.
    assert of_kind(items, "dynamodb.table").ignore == ("deletion_protection",)


def test_an_unknown_placeholder_in_a_name_is_named(small: StackSpec) -> None:
    broken = replace(small, tables=(replace(small.tables[0], name="items-{nope}-{suffix}"),))
    with pytest.raises(InputError, match=r"tables.items.name: unknown placeholder \{nope\}"):
        small_stack.resources(broken)
