"""Each adapter against moto + the fidelity layer: create, read back, see drift made through
boto3 and fix it, find it by discovery, delete it twice. Each test creates what it needs under a
suffix of its own, so any one runs alone."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import pytest

from reconciler.adapters import ADAPTERS, adapter_for
from reconciler.adapters.base import Context, Discoverer, DiscoveryScope, Listings
from reconciler.desired.model import StackSpec
from reconciler.expand.application_autoscaling import TARGET
from reconciler.expand.catalog import KEYS
from reconciler.expand.resources import Resource, ResourceId
from reconciler.planning.diff import adopt_ignored, diff_fields
from reconciler.planning.plan import order
from reconciler.sandbox.server import Sandbox
from tests.fixtures import small_stack
from tests.fixtures.by_hand import change_alarm

Drift = Callable[[Context, Resource], object]


def _stack(ctx: Context, small: StackSpec) -> dict[ResourceId, Resource]:
    return {r.id: r for r in small_stack.resources(small, ctx.target.suffix)}


def _spec(kind: str, small: StackSpec, scaled: StackSpec) -> StackSpec:
    """The small stack; scaled for the kind only a scaled alias has (the fixed one's count
    is adopted from live once scaled, so its own cases need the unscaled stack)."""
    return scaled if kind == TARGET.key else small


def _of_kind(stack: dict[ResourceId, Resource], kind: str) -> Resource:
    return next(r for r in stack.values() if r.id.kind == kind)


def _with_needs(stack: dict[ResourceId, Resource], resource: Resource) -> list[Resource]:
    """The resource and everything it depends on, dependencies first."""
    needed: dict[ResourceId, Resource] = {}
    pending = [resource]
    while pending:
        current = pending.pop()
        if current.id not in needed:
            needed[current.id] = current
            pending += [stack[d] for d in current.depends_on if d in stack]
    return order(list(needed.values()))


def _create(ctx: Context, stack: dict[ResourceId, Resource], kind: str) -> Resource:
    resource = _of_kind(stack, kind)
    for item in _with_needs(stack, resource):
        adapter_for(item.id.kind).create(ctx, item)
    return resource


def _diff(resource: Resource, live: Any) -> Any:
    """What the plan compares: fields someone else owns (a scaler's range) adopted first."""
    return diff_fields(adopt_ignored(resource, live), live)


def _read(ctx: Context, resource: Resource) -> Any:
    return adapter_for(resource.id.kind).read(ctx, resource)


# A policy attached by hand: everything on S3.
WIDE = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)


def _layer_zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("nodejs/node_modules/other/index.mjs", text)
    return buffer.getvalue()


def _foreign_layer_versions(ctx: Context, resource: Resource) -> None:
    """Two versions published by someone else: the older one is used by nothing."""
    for text in ("one", "two"):
        ctx.client("lambda").publish_layer_version(
            LayerName=resource.id.name, Content={"ZipFile": _layer_zip(text)}
        )


def _other_policy_version(ctx: Context, resource: Resource) -> None:
    arn = f"arn:aws:iam::123456789012:policy/{resource.id.name}"
    wide = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    ctx.client("iam").create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(wide), SetAsDefault=True
    )


def _alarm_threshold(ctx: Context, resource: Resource) -> None:
    change_alarm(ctx.client("cloudwatch"), resource.id.name, Threshold=5.0)


def _night_by_hand(ctx: Context, resource: Resource) -> None:
    """A scheduled action edited and a step policy added, both on our target."""
    scaling = ctx.client("application-autoscaling")
    key = {
        "ServiceNamespace": "lambda",
        "ScalableDimension": "lambda:function:ProvisionedConcurrency",
        "ResourceId": f"function:{resource.id.name}",
    }
    scaling.put_scheduled_action(
        ScheduledActionName="night",
        Schedule="cron(0 22 ? * MON-FRI *)",
        Timezone="America/New_York",
        ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 2},
        **key,
    )
    scaling.put_scaling_policy(
        PolicyName="by-hand",
        PolicyType="StepScaling",
        StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity"},
        **key,
    )


# What someone changes by hand on each kind, and the fields the adapter must then see.
DRIFT: dict[str, tuple[Drift, set[str]]] = {
    "dynamodb.table": (
        lambda c, r: c.client("dynamodb").tag_resource(
            ResourceArn=f"arn:aws:dynamodb:us-east-1:123456789012:table/{r.id.name}",
            Tags=[{"Key": "Team", "Value": "someone-else"}],
        ),
        {"tags.Team"},
    ),
    "sqs.queue": (
        lambda c, r: c.client("sqs").set_queue_attributes(
            QueueUrl=c.client("sqs").get_queue_url(QueueName=r.id.name)["QueueUrl"],
            Attributes={"VisibilityTimeout": "99"},
        ),
        {"visibility_timeout_s"},
    ),
    "lambda.layer": (
        _foreign_layer_versions,
        {"content_hash", "compatible_runtimes", "compatible_architectures"},
    ),
    "lambda.layer_versions": (_foreign_layer_versions, {"unused_versions"}),
    "logs.log_group": (
        lambda c, r: c.client("logs").put_retention_policy(
            logGroupName=r.id.name, retentionInDays=30
        ),
        {"retention_days"},
    ),
    "iam.policy": (_other_policy_version, {"document"}),
    "iam.role": (
        lambda c, r: c.client("iam").put_role_policy(
            RoleName=r.id.name,
            PolicyName="extra",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        ),
        {"inline_policies.extra"},
    ),
    "lambda.function": (
        lambda c, r: c.client("lambda").update_function_configuration(
            FunctionName=r.id.name, MemorySize=512
        ),
        {"memory_mb"},
    ),
    "lambda.event_invoke_config": (
        lambda c, r: c.client("lambda").put_function_event_invoke_config(
            FunctionName=r.id.name, MaximumRetryAttempts=0, MaximumEventAgeInSeconds=600
        ),
        {"max_retry_attempts"},
    ),
    "lambda.alias": (
        lambda c, r: c.client("lambda").update_alias(
            FunctionName=r.payload["function"], Name="live", FunctionVersion="$LATEST"
        ),
        {"version_fingerprint"},
    ),
    "lambda.provisioned_concurrency": (
        lambda c, r: c.client("lambda").put_provisioned_concurrency_config(
            FunctionName=r.payload["function"], Qualifier="live", ProvisionedConcurrentExecutions=2
        ),
        {"count", "status"},
    ),
    "application-autoscaling.target": (_night_by_hand, {"schedule.night", "other_policies"}),
    "cloudwatch.alarm": (_alarm_threshold, {"threshold"}),
    "xray.group": (
        lambda c, r: c.client("xray").update_group(
            GroupName=r.id.name, FilterExpression='service("other")'
        ),
        {"filter_expression"},
    ),
    "cloudwatch.dashboard": (
        lambda c, r: c.client("cloudwatch").put_dashboard(
            DashboardName=r.id.name, DashboardBody='{"widgets": []}'
        ),
        {"body"},
    ),
}


def test_there_is_a_drift_case_for_every_kind() -> None:
    assert set(DRIFT) == set(KEYS)


@pytest.mark.parametrize("kind", KEYS)
def test_a_created_resource_reads_back_exactly_as_desired(
    ctx: Context, small: StackSpec, scaled: StackSpec, kind: str
) -> None:
    stack = _stack(ctx, _spec(kind, small, scaled))
    resource = _of_kind(stack, kind)
    if not resource.derived:
        assert _read(ctx, resource) is None
    _create(ctx, stack, kind)
    live = _read(ctx, resource)
    assert live is not None and _diff(resource, live) == ()


@pytest.mark.parametrize("kind", KEYS)
def test_drift_made_by_hand_is_seen_and_corrected(
    ctx: Context, small: StackSpec, scaled: StackSpec, kind: str
) -> None:
    stack = _stack(ctx, _spec(kind, small, scaled))
    resource = _create(ctx, stack, kind)
    mutate, expected = DRIFT[kind]
    mutate(ctx, resource)
    live = _read(ctx, resource)
    changes = _diff(resource, live)
    assert {c.path for c in changes} == expected
    adapter_for(kind).update(ctx, resource, changes, live)
    assert _diff(resource, _read(ctx, resource)) == ()


@pytest.mark.parametrize("kind", KEYS)
def test_a_resource_is_deleted_and_a_second_delete_is_harmless(
    ctx: Context, small: StackSpec, scaled: StackSpec, kind: str
) -> None:
    stack = _stack(ctx, _spec(kind, small, scaled))
    resource = _create(ctx, stack, kind)
    adapter = adapter_for(kind)
    if resource.derived:
        # Nothing of its own: deleting its layer removes every version.
        resource = _of_kind(stack, "lambda.layer")
        adapter = adapter_for("lambda.layer")
    adapter.delete(ctx, resource, _read(ctx, resource))
    assert _read(ctx, resource) is None
    adapter.delete(ctx, resource, None)


DISCOVERABLE = [kind for kind, adapter in ADAPTERS.items() if hasattr(adapter, "discover")]


@pytest.mark.parametrize("kind", DISCOVERABLE)
def test_discovery_finds_a_resource_of_the_suffix_with_its_tags(
    ctx: Context, small: StackSpec, scaled: StackSpec, kind: str
) -> None:
    stack = _stack(ctx, _spec(kind, small, scaled))
    resource = _create(ctx, stack, kind)
    discoverer = cast(Discoverer, adapter_for(kind))
    # What observe knows in a real run: the rest of the stack, not this one.
    others = frozenset(rid for rid in stack if rid != resource.id)
    (mine,) = [
        f
        for f in discoverer.discover(ctx, DiscoveryScope(ctx.target.suffix, others))
        if f.id == resource.id
    ]
    assert dict(mine.tags or {}) == dict(resource.fields["tags"])
    # Names observe already covers are not listed twice.
    known = DiscoveryScope(ctx.target.suffix, frozenset({resource.id}))
    assert resource.id not in {f.id for f in discoverer.discover(ctx, known)}


def test_function_drift_in_kms_tags_and_reserved_concurrency_is_corrected(
    ctx: Context, small: StackSpec
) -> None:
    stack = _stack(ctx, small)
    function = _create(ctx, stack, "lambda.function")
    lam = ctx.client("lambda")
    arn = lam.get_function(FunctionName=function.id.name)["Configuration"]["FunctionArn"]
    lam.update_function_configuration(
        FunctionName=function.id.name, KMSKeyArn="arn:aws:kms:us-east-1:1:key/x"
    )
    lam.untag_resource(Resource=arn, TagKeys=["Team"])
    lam.put_function_concurrency(FunctionName=function.id.name, ReservedConcurrentExecutions=7)
    live = _read(ctx, function)
    changes = diff_fields(function, live)
    assert {c.path for c in changes} == {"kms_key_arn", "tags.Team", "reserved_concurrency"}
    adapter_for("lambda.function").update(ctx, function, changes, live)
    config = lam.get_function_configuration(FunctionName=function.id.name)
    assert "KMSKeyArn" not in config
    assert diff_fields(function, _read(ctx, function)) == ()


def test_a_role_loses_policies_attached_by_hand(ctx: Context, small: StackSpec) -> None:
    stack = _stack(ctx, small)
    role = _create(ctx, stack, "iam.role")
    iam = ctx.client("iam")
    policy = iam.create_policy(PolicyName=f"extra-{ctx.target.suffix}", PolicyDocument=WIDE)
    iam.attach_role_policy(RoleName=role.id.name, PolicyArn=policy["Policy"]["Arn"])
    live = _read(ctx, role)
    adapter_for("iam.role").update(ctx, role, diff_fields(role, live), live)
    assert iam.list_attached_role_policies(RoleName=role.id.name)["AttachedPolicies"] == []


def test_the_alias_reuses_a_matching_version_instead_of_publishing(
    ctx: Context, small: StackSpec
) -> None:
    stack = _stack(ctx, small)
    alias = _create(ctx, stack, "lambda.alias")
    lam = ctx.client("lambda")
    function = alias.payload["function"]
    before = len(lam.list_versions_by_function(FunctionName=function)["Versions"])
    lam.update_alias(FunctionName=function, Name="live", FunctionVersion="$LATEST")
    live = _read(ctx, alias)
    adapter_for("lambda.alias").update(ctx, alias, diff_fields(alias, live), live)
    assert len(lam.list_versions_by_function(FunctionName=function)["Versions"]) == before
    assert diff_fields(alias, _read(ctx, alias)) == ()


def test_a_function_moves_off_a_blocked_runtime_with_its_code_and_architecture(
    ctx: Context, small: StackSpec, sandbox: Sandbox
) -> None:
    """Deployed years ago on nodejs14.x and x86_64, updated after AWS stopped taking updates
    on 14.x: the runtime moves first (AWS allows only that), then the code and architecture."""
    stack = _stack(ctx, small)
    function = _of_kind(stack, "lambda.function")
    needs = [r for r in _with_needs(stack, function) if r.id != function.id]
    for item in needs:
        adapter_for(item.id.kind).create(ctx, item)
    legacy = {**function.fields, "runtime": "nodejs14.x", "architecture": "x86_64"}
    sandbox.fidelity.configure(today="2023-06-01")
    try:
        adapter_for("lambda.function").create(ctx, replace(function, fields=legacy))
        sandbox.fidelity.configure(today="2027-06-01")
        live = _read(ctx, function)
        changes = diff_fields(function, live)
        assert {c.path for c in changes} == {"runtime", "architecture"}
        adapter_for("lambda.function").update(ctx, function, changes, live)
    finally:
        sandbox.fidelity.configure(today="")
    assert diff_fields(function, _read(ctx, function)) == ()


def _attach_callers(ctx: Context, stack: dict[ResourceId, Resource], name: str) -> tuple[str, str]:
    """What callers of a function deployed by someone else rely on: an alias, a mapping, a
    permission, a URL, and the role it ran as. Returns the alias's version and that role."""
    lam, sqs, iam = ctx.client("lambda"), ctx.client("sqs"), ctx.client("iam")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lam.untag_resource(Resource=arn, TagKeys=["ManagedBy", "EnvironmentSuffix", "Stack"])
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="prod", FunctionVersion=version)
    queue = sqs.create_queue(QueueName=f"orders-{ctx.target.suffix}")["QueueUrl"]
    source = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=source["Attributes"]["QueueArn"]
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="api-gateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn="arn:aws:execute-api:us-east-1:123456789012:abc123/*",
    )
    trust = json.dumps(_of_kind(stack, "iam.role").fields["trust_policy"])
    shared = f"legacy-shared-{ctx.target.suffix}"
    role = iam.create_role(RoleName=shared, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    lam.update_function_configuration(FunctionName=name, Role=role)
    lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    return version, shared


def test_a_function_someone_else_deployed_lists_what_its_callers_rely_on(
    ctx: Context, small: StackSpec
) -> None:
    """Read before taking it over: every alias it does not declare, event source mapping,
    permission and URL is listed (and nothing of ours is read for a function of ours)."""
    stack = _stack(ctx, small)
    function = _of_kind(stack, "lambda.function")
    for item in _with_needs(stack, function):
        adapter_for(item.id.kind).create(ctx, item)
    assert "kept" not in _read(ctx, function).meta
    version, shared = _attach_callers(ctx, stack, function.id.name)
    kept = _read(ctx, function).meta["kept"]
    assert f"alias prod (version {version}): not declared, kept" in kept
    assert any(line.startswith("event source mapping ") and ":orders-" in line for line in kept)
    assert (
        "permission api-gateway for apigateway.amazonaws.com from "
        "arn:aws:execute-api:us-east-1:123456789012:abc123/* to invoke it: kept"
    ) in kept
    assert f"role {shared}: no longer used by this function, not ours: left in place" in kept
    assert any(line.startswith("function URL ") and "(AWS_IAM)" in line for line in kept)


def test_a_log_group_declared_without_retention_loses_the_one_it_has(
    ctx: Context, small: StackSpec
) -> None:
    """A stack imported as it ran keeps its never-expiring logs until it names a retention."""
    stack = _stack(ctx, small)
    group = _create(ctx, stack, "logs.log_group")
    forever = replace(group, fields={**group.fields, "retention_days": None})
    live = _read(ctx, forever)
    changes = diff_fields(forever, live)
    assert [(c.path, c.old, c.new) for c in changes] == [("retention_days", 7, None)]
    adapter_for("logs.log_group").update(ctx, forever, changes, live)
    assert diff_fields(forever, _read(ctx, forever)) == ()


def test_a_fleets_shared_role_listing_reads_what_the_direct_reads_do(
    ctx: Context, small: StackSpec
) -> None:
    """A fleet reads roles whole from GetAccountAuthorizationDetails; a lone run with four
    reads per role. Both must see the same role, drift and all, and the same tags."""
    stack = _stack(ctx, small)
    role = _create(ctx, stack, "iam.role")
    iam = ctx.client("iam")
    policy = iam.create_policy(PolicyName=f"byhand-{ctx.target.suffix}", PolicyDocument=WIDE)
    iam.attach_role_policy(RoleName=role.id.name, PolicyArn=policy["Policy"]["Arn"])
    iam.put_role_policy(RoleName=role.id.name, PolicyName="extra", PolicyDocument=WIDE)
    iam.tag_role(RoleName=role.id.name, Tags=[{"Key": "Team", "Value": "ops"}])
    direct = _read(ctx, role)
    shared = replace(ctx, listings=Listings(shared=True))
    assert _read(shared, role) == direct
    assert direct.fields["managed_policies"] == (policy["Policy"]["Arn"],)
    assert direct.fields["tags"]["Team"] == "ops"
    absent = replace(role, id=ResourceId(role.id.kind, f"absent-{ctx.target.suffix}"))
    assert _read(shared, absent) is None
    roles = cast(Discoverer, adapter_for("iam.role"))
    found = roles.discover(shared, DiscoveryScope(ctx.target.suffix))
    assert {f.id for f in found} >= {role.id}
    assert next(f for f in found if f.id == role.id).tags == direct.fields["tags"]


def test_a_log_group_declared_unprotected_loses_protection_set_by_hand(
    ctx: Context, small: StackSpec
) -> None:
    """Undeclared, protection set by hand is kept; declared `false`, it is lifted on the
    change the plan shows on its own line."""
    stack = _stack(ctx, small)
    group = _create(ctx, stack, "logs.log_group")
    ctx.client("logs").put_log_group_deletion_protection(
        logGroupIdentifier=group.id.name, deletionProtectionEnabled=True
    )
    live = _read(ctx, group)
    assert live.fields["deletion_protection"] is True
    assert diff_fields(adopt_ignored(group, live), live) == ()
    declared = replace(group, ignore=())
    changes = diff_fields(declared, live)
    assert [(c.path, c.old, c.new) for c in changes] == [("deletion_protection", True, False)]
    assert changes[0].lifts_protection
    adapter_for("logs.log_group").update(ctx, declared, changes, live)
    assert _read(ctx, declared).fields["deletion_protection"] is False
