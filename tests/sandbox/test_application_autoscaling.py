"""Application Auto Scaling of provisioned concurrency: registration brings capacity inside
the range, scheduled actions fire by the local AWS's clock, target tracking follows the
utilization metric, deregistering takes actions and policies with it, tags, refusals, and the
service-linked role the IAM gate asks for."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import client, create_function, error_code, wait_until

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

RID = "function:app:live"
KEY = {"ServiceNamespace": "lambda", "ScalableDimension": "lambda:function:ProvisionedConcurrency"}
LINKED = "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"
SERVICE = "lambda.application-autoscaling.amazonaws.com"


@pytest.fixture
def scaling(sandbox: Sandbox) -> Any:
    return client(sandbox.url, "application-autoscaling")


@pytest.fixture
def alias(lam: LambdaClient, role_arn: str) -> str:
    """`app` with version 1, alias `live` on it, 1 provisioned instance READY."""
    create_function(lam, role_arn)
    version = lam.publish_version(FunctionName="app")["Version"]
    lam.create_alias(FunctionName="app", Name="live", FunctionVersion=version)
    lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    return version


def requested(lam: LambdaClient) -> int:
    config = lam.get_provisioned_concurrency_config(FunctionName="app", Qualifier="live")
    return int(config["RequestedProvisionedConcurrentExecutions"])


def register(scaling: Any, low: int, high: int, **extra: Any) -> str:
    answer = scaling.register_scalable_target(
        ResourceId=RID, MinCapacity=low, MaxCapacity=high, **KEY, **extra
    )
    return str(answer["ScalableTargetARN"])


def test_registering_brings_capacity_inside_the_range(
    lam: LambdaClient, scaling: Any, alias: str
) -> None:
    register(scaling, 3, 6)
    assert requested(lam) == 3
    register(scaling, 1, 2)
    assert requested(lam) == 2
    [target] = scaling.describe_scalable_targets(ResourceIds=[RID], **KEY)["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 2)
    assert target["RoleARN"].endswith(f"/lambda.application-autoscaling.amazonaws.com/{LINKED}")


def test_what_aws_refuses_is_refused(scaling: Any, lam: LambdaClient, alias: str) -> None:
    for rid, says in (("function:nope:live", "not found"), ("function:app:$LATEST", "LATEST")):
        with pytest.raises(ClientError) as refused:
            scaling.register_scalable_target(ResourceId=rid, MinCapacity=1, MaxCapacity=2, **KEY)
        assert error_code(refused.value) == "ValidationException" and says in str(refused.value)
    with pytest.raises(ClientError) as unregistered:
        scaling.put_scheduled_action(
            ScheduledActionName="x", ResourceId=RID, Schedule="cron(0 8 ? * * *)", **KEY
        )
    assert error_code(unregistered.value) == "ObjectNotFoundException"
    register(scaling, 1, 2)
    with pytest.raises(ClientError) as bad:
        scaling.put_scheduled_action(
            ScheduledActionName="x", ResourceId=RID, Schedule="cron(0 8 * * MON *)", **KEY
        )
    assert error_code(bad.value) == "ValidationException"
    with pytest.raises(ClientError) as zone:
        scaling.put_scheduled_action(
            ScheduledActionName="x",
            ResourceId=RID,
            Schedule="cron(0 8 ? * MON *)",
            Timezone="Mars/Olympus",
            **KEY,
        )
    assert error_code(zone.value) == "ValidationException"


def test_tags_are_kept_on_the_target(scaling: Any, alias: str) -> None:
    arn = register(scaling, 1, 2, Tags={"ManagedBy": "lambda-reconciler"})
    scaling.tag_resource(ResourceARN=arn, Tags={"Team": "payments"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["ManagedBy"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Team": "payments"}
    with pytest.raises(ClientError) as unknown:
        scaling.list_tags_for_resource(ResourceARN=arn + "x")
    assert error_code(unknown.value) == "ObjectNotFoundException"


def test_deregistering_deletes_the_targets_actions_and_policies(scaling: Any, alias: str) -> None:
    register(scaling, 1, 2)
    scaling.put_scheduled_action(
        ScheduledActionName="day",
        ResourceId=RID,
        Schedule="cron(0 8 ? * MON-FRI *)",
        ScalableTargetAction={"MinCapacity": 2, "MaxCapacity": 2},
        **KEY,
    )
    scaling.put_scaling_policy(
        PolicyName="util",
        ResourceId=RID,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 0.7,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"
            },
        },
        **KEY,
    )
    scaling.deregister_scalable_target(ResourceId=RID, **KEY)
    assert scaling.describe_scheduled_actions(ResourceId=RID, **KEY)["ScheduledActions"] == []
    assert scaling.describe_scaling_policies(ResourceId=RID, **KEY)["ScalingPolicies"] == []
    with pytest.raises(ClientError) as again:
        scaling.deregister_scalable_target(ResourceId=RID, **KEY)
    assert error_code(again.value) == "ObjectNotFoundException"


def test_scheduled_actions_fire_by_the_local_clock(
    sandbox: Sandbox, lam: LambdaClient, scaling: Any, alias: str
) -> None:
    sandbox.fidelity.configure(clock="2026-12-07T07:59:50-05:00")
    register(scaling, 1, 5)
    scaling.put_scheduled_action(
        ScheduledActionName="day",
        ResourceId=RID,
        Schedule="cron(0 8 ? * MON-FRI *)",
        Timezone="America/New_York",
        ScalableTargetAction={"MinCapacity": 4, "MaxCapacity": 4},
        **KEY,
    )
    time.sleep(0.5)
    assert requested(lam) == 1, "nothing fires before its time"
    sandbox.fidelity.configure(clock="2026-12-07T08:00:10-05:00")
    wait_until(lambda: requested(lam) == 4)
    [target] = scaling.describe_scalable_targets(ResourceIds=[RID], **KEY)["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (4, 4)
    # Every answer is dated by that clock, as AWS dates its own.
    date = scaling.describe_scalable_targets(**KEY)["ResponseMetadata"]["HTTPHeaders"]["date"]
    assert date == "Mon, 07 Dec 2026 13:00:10 GMT"


def test_target_tracking_follows_the_utilization_metric(
    sandbox: Sandbox, lam: LambdaClient, scaling: Any, alias: str
) -> None:
    """1 instance fully used against a target of 0.5: the next capacity is 2."""
    sandbox.fidelity.configure(alarm_evaluation_seconds=0.2, metric_period_scale=0.02)
    register(scaling, 1, 4)
    scaling.put_scaling_policy(
        PolicyName="util",
        ResourceId=RID,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 0.5,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"
            },
        },
        **KEY,
    )
    watch = client(sandbox.url, "cloudwatch")
    deadline = time.monotonic() + 10
    while requested(lam) == 1:
        assert time.monotonic() < deadline, "target tracking never scaled out"
        watch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "ProvisionedConcurrencyUtilization",
                    "Dimensions": [
                        {"Name": "FunctionName", "Value": "app"},
                        {"Name": "Resource", "Value": "app:live"},
                    ],
                    "Value": 1.0,
                    "Timestamp": dt.datetime.now(dt.UTC),
                }
            ],
        )
        time.sleep(0.1)
    assert requested(lam) == 2


def test_the_first_target_needs_the_service_linked_role_and_creates_it(
    sandbox: Sandbox, scaling: Any, alias: str
) -> None:
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": "*"}
    ]
    policy = {"Version": "2012-10-17", "Statement": statements}
    sandbox.fidelity.configure(enforce_policy=json.dumps(policy))
    try:
        with pytest.raises(ClientError) as denied:
            register(scaling, 1, 2)
        assert "iam:CreateServiceLinkedRole" in str(denied.value)
        linked = {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:aws:iam::*:role/aws-service-role/*/{LINKED}",
            "Condition": {
                "StringEquals": {
                    "iam:AWSServiceName": "lambda.application-autoscaling.amazonaws.com"
                }
            },
        }
        statements.append(linked)
        sandbox.fidelity.configure(enforce_policy=json.dumps(policy))
        register(scaling, 1, 2)
        # The role exists now: a later registration needs no permission for it.
        statements.pop()
        sandbox.fidelity.configure(enforce_policy=json.dumps(policy))
        register(scaling, 1, 3)
    finally:
        sandbox.fidelity.configure(enforce_policy="")
    roles = client(sandbox.url, "iam").list_roles(PathPrefix="/aws-service-role/")["Roles"]
    assert [r["RoleName"] for r in roles] == [LINKED]
