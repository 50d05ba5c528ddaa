"""Each adapter against moto + the fidelity layer: create, read back, fix drift, delete."""

from __future__ import annotations

import json

import pytest

from reconciler.adapters import adapter_for
from reconciler.adapters.base import Context
from reconciler.expand.resources import Resource
from reconciler.planning.diff import diff_fields
from reconciler.planning.plan import order
from tests.unit.helpers import by_kind, rendered

RESOURCES = tuple(order(rendered("adp")))


def _read(ctx: Context, resource: Resource) -> dict[str, object]:
    live = adapter_for(resource.id.kind).read(ctx, resource)
    assert live is not None, resource.id
    return dict(live.fields)


def _converge(ctx: Context, resource: Resource) -> None:
    adapter = adapter_for(resource.id.kind)
    live = adapter.read(ctx, resource)
    assert live is not None
    changes = diff_fields(resource, live)
    assert changes, "the out-of-band change must show as drift"
    adapter.update(ctx, resource, changes, live)
    after = adapter.read(ctx, resource)
    assert after is not None and diff_fields(resource, after) == ()


def test_every_kind_is_created_and_reads_back_exactly_as_desired(ctx: Context) -> None:
    for resource in RESOURCES:
        adapter = adapter_for(resource.id.kind)
        assert adapter.read(ctx, resource) is None, resource.id
        adapter.create(ctx, resource)
        live = adapter.read(ctx, resource)
        assert live is not None, resource.id
        assert diff_fields(resource, live) == (), resource.id


def test_function_drift_in_memory_kms_and_tags_is_corrected(ctx: Context) -> None:
    function = by_kind(RESOURCES, "lambda.function")
    lam = ctx.client("lambda")
    arn = lam.get_function(FunctionName=function.id.name)["Configuration"]["FunctionArn"]
    lam.update_function_configuration(
        FunctionName=function.id.name, MemorySize=256, KMSKeyArn="arn:aws:kms:us-east-1:1:key/x"
    )
    lam.untag_resource(Resource=arn, TagKeys=["Team"])
    lam.put_function_concurrency(FunctionName=function.id.name, ReservedConcurrentExecutions=7)
    _converge(ctx, function)
    config = lam.get_function_configuration(FunctionName=function.id.name)
    assert config["MemorySize"] == 1024 and "KMSKeyArn" not in config


def test_role_drift_extra_policies_and_a_wider_policy_are_removed(ctx: Context) -> None:
    role = by_kind(RESOURCES, "iam.role")
    iam = ctx.client("iam")
    name = role.id.name
    wide = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    })  # fmt: skip
    iam.put_role_policy(RoleName=name, PolicyName="extra", PolicyDocument=wide)
    policy = iam.create_policy(PolicyName="adp-extra", PolicyDocument=wide)
    iam.attach_role_policy(RoleName=name, PolicyArn=policy["Policy"]["Arn"])
    _converge(ctx, role)
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == [f"{name}-access"]
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []


@pytest.mark.parametrize(
    ("kind", "drift"),
    [
        ("logs.log_group", lambda c, r: c.client("logs").put_retention_policy(
            logGroupName=r.id.name, retentionInDays=30)),
        ("xray.group", lambda c, r: c.client("xray").update_group(
            GroupName=r.id.name, FilterExpression='service("other")')),
        ("cloudwatch.dashboard", lambda c, r: c.client("cloudwatch").put_dashboard(
            DashboardName=r.id.name, DashboardBody='{"widgets": []}')),
        ("dynamodb.table", lambda c, r: c.client("dynamodb").tag_resource(
            ResourceArn=f"arn:aws:dynamodb:us-east-1:123456789012:table/{r.id.name}",
            Tags=[{"Key": "Team", "Value": "someone-else"}])),
        ("lambda.provisioned_concurrency", lambda c, r: c.client("lambda")
            .put_provisioned_concurrency_config(
                FunctionName=r.payload["function"], Qualifier="live",
                ProvisionedConcurrentExecutions=2)),
    ],
)  # fmt: skip
def test_out_of_band_changes_are_seen_and_corrected(ctx: Context, kind: str, drift: object) -> None:
    resource = by_kind(RESOURCES, kind)
    assert callable(drift)
    drift(ctx, resource)
    _converge(ctx, resource)


def test_the_alias_reuses_a_matching_version_instead_of_publishing(ctx: Context) -> None:
    alias = by_kind(RESOURCES, "lambda.alias")
    lam = ctx.client("lambda")
    function = alias.payload["function"]
    before = len(lam.list_versions_by_function(FunctionName=function)["Versions"])
    lam.update_alias(FunctionName=function, Name="live", FunctionVersion="$LATEST")
    _converge(ctx, alias)
    assert len(lam.list_versions_by_function(FunctionName=function)["Versions"]) == before


def test_every_kind_is_deleted_dependents_first_and_a_second_delete_is_harmless(
    ctx: Context,
) -> None:
    for resource in reversed(RESOURCES):
        adapter = adapter_for(resource.id.kind)
        adapter.delete(ctx, resource, adapter.read(ctx, resource))
        assert adapter.read(ctx, resource) is None, resource.id
        adapter.delete(ctx, resource, None)
