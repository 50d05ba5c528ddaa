"""Every account is its own: what the layer adds to moto (account settings, provisioned
concurrency, async invoke settings, X-Ray groups, alarm tags, log classes, faults) is kept per
account and region, as AWS keeps it. The same names in two accounts never meet."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.control.faults import FaultRule
from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import client_kwargs, create_function, create_role

HUB, SPOKE = "123456789012", "222222222222"


def _in(sandbox: Sandbox, service: str, account: str, region: str = "us-east-1") -> Any:
    kwargs = {**client_kwargs(sandbox.url), "region_name": region}
    client = boto3.client(service, **kwargs)  # type: ignore[call-overload]
    client.meta.events.register(
        f"before-sign.{service}.*",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id", account),
    )
    return client


def _function(sandbox: Sandbox, account: str) -> Any:
    lam = _in(sandbox, "lambda", account)
    create_function(lam, create_role(_in(sandbox, "iam", account)), name="same")
    return lam


def test_account_settings_count_each_accounts_own_functions(sandbox: Sandbox) -> None:
    hub, spoke = _function(sandbox, HUB), _function(sandbox, SPOKE)
    hub.put_function_concurrency(FunctionName="same", ReservedConcurrentExecutions=300)
    assert hub.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 700
    assert spoke.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000


def test_provisioned_concurrency_and_invoke_settings_stay_in_their_account(
    sandbox: Sandbox,
) -> None:
    hub, spoke = _function(sandbox, HUB), _function(sandbox, SPOKE)
    for lam in (hub, spoke):
        version = lam.publish_version(FunctionName="same")["Version"]
        lam.create_alias(FunctionName="same", Name="live", FunctionVersion=version)
    hub.put_provisioned_concurrency_config(
        FunctionName="same", Qualifier="live", ProvisionedConcurrentExecutions=5
    )
    hub.put_function_event_invoke_config(FunctionName="same", MaximumRetryAttempts=0)
    listed = spoke.list_provisioned_concurrency_configs(FunctionName="same")
    assert listed["ProvisionedConcurrencyConfigs"] == []
    with pytest.raises(ClientError) as raised:
        spoke.get_function_event_invoke_config(FunctionName="same")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    got = hub.get_provisioned_concurrency_config(FunctionName="same", Qualifier="live")
    assert got["RequestedProvisionedConcurrentExecutions"] == 5


def test_xray_groups_and_alarm_tags_are_per_account_and_region(sandbox: Sandbox) -> None:
    _in(sandbox, "xray", HUB).create_group(GroupName="traces", FilterExpression='service("a")')
    for account, region in ((SPOKE, "us-east-1"), (HUB, "eu-west-1")):
        names = {
            g["GroupName"] for g in _in(sandbox, "xray", account, region).get_groups()["Groups"]
        }
        assert names == {"Default"}, (account, region)
    for account in (HUB, SPOKE):
        _in(sandbox, "cloudwatch", account).put_metric_alarm(
            AlarmName="same",
            MetricName="Errors",
            Namespace="AWS/Lambda",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            Tags=[{"Key": "owner", "Value": account}],
        )
    for account in (HUB, SPOKE):
        cw = _in(sandbox, "cloudwatch", account)
        arn = f"arn:aws:cloudwatch:us-east-1:{account}:alarm:same"
        assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
            {"Key": "owner", "Value": account}
        ]


def test_log_group_classes_are_per_account(sandbox: Sandbox) -> None:
    _in(sandbox, "logs", HUB).create_log_group(
        logGroupName="/same", logGroupClass="INFREQUENT_ACCESS"
    )
    _in(sandbox, "logs", SPOKE).create_log_group(logGroupName="/same")
    for account, wanted in ((HUB, "INFREQUENT_ACCESS"), (SPOKE, "STANDARD")):
        (group,) = _in(sandbox, "logs", account).describe_log_groups()["logGroups"]
        assert group["logGroupClass"] == wanted, account


def test_a_fault_naming_an_account_hits_that_account_only(sandbox: Sandbox) -> None:
    hub, spoke = _function(sandbox, HUB), _function(sandbox, SPOKE)
    sandbox.fidelity.add_fault(
        FaultRule("lambda", "*", "TooManyRequestsException", 429, 100, account=SPOKE)
    )
    try:
        assert hub.get_function(FunctionName="same")["Configuration"]["FunctionName"] == "same"
        with pytest.raises(ClientError) as raised:
            spoke.get_function(FunctionName="same")
        assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    finally:
        sandbox.fidelity.clear_faults()
