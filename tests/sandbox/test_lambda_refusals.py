"""What AWS refuses and moto accepts (or answers otherwise): each refusal with AWS's code and
HTTP status, and nothing changed by it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import TRUST_POLICY as TRUST
from tests.sandbox.helpers import client_kwargs
from tests.sandbox.test_invoke import zipped

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def fn(lam: LambdaClient, role_arn: str) -> str:
    """A function with version 1 behind alias `live`; its unqualified ARN."""
    created = lam.create_function(
        FunctionName="app",
        Runtime="nodejs24.x",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": zipped("export const handler = async () => 1;\n", "index.mjs")},
    )
    lam.publish_version(FunctionName="app")
    lam.create_alias(FunctionName="app", Name="live", FunctionVersion="1")
    return created["FunctionArn"]


def refused(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    answer = caught.value.response
    return (
        answer["ResponseMetadata"]["HTTPStatusCode"],
        answer["Error"]["Code"],
        str(answer["Error"]["Message"]),
    )


def test_a_statement_id_the_policy_has_is_a_conflict(lam: LambdaClient, fn: str) -> None:
    grant = {
        "FunctionName": "app",
        "StatementId": "sns",
        "Action": "lambda:InvokeFunction",
        "Principal": "sns.amazonaws.com",
    }
    lam.add_permission(**grant)  # type: ignore[arg-type]
    status, code, message = refused(lambda: lam.add_permission(**grant))  # type: ignore[arg-type]
    assert (status, code) == (409, "ResourceConflictException")
    assert "The statement id (sns) provided already exists" in message


def test_one_provisioned_concurrency_per_version(lam: LambdaClient, fn: str) -> None:
    lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=2
    )
    on_version = refused(
        lambda: lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="1", ProvisionedConcurrentExecutions=2
        )
    )
    assert on_version[:2] == (409, "ResourceConflictException")
    lam.delete_provisioned_concurrency_config(FunctionName="app", Qualifier="live")
    lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    on_alias = refused(
        lambda: lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=2
        )
    )
    assert on_alias[:2] == (409, "ResourceConflictException")
    configs = lam.list_provisioned_concurrency_configs(FunctionName="app")
    assert [c["FunctionArn"] for c in configs["ProvisionedConcurrencyConfigs"]] == [f"{fn}:1"]


def test_capacity_past_the_accounts_floor_or_an_invalid_value_is_refused(
    lam: LambdaClient, fn: str, sandbox: Sandbox
) -> None:
    # 1,000 in the account, 100 always unreserved: 900 is the most a function may take.
    below_floor = refused(
        lambda: lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=901
        )
    )
    assert below_floor[:2] == (400, "InvalidParameterValueException")
    assert "below its minimum value of [100]" in below_floor[2]
    past_limit = refused(
        lambda: lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=5000
        )
    )
    assert past_limit[:2] == (400, "InvalidParameterValueException")
    # botocore refuses 0 itself; sent anyway, AWS's model constraint answers.
    raw = boto3.client(
        "lambda", **{**client_kwargs(sandbox.url), "config": Config(parameter_validation=False)}
    )
    invalid = refused(
        lambda: raw.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=0
        )
    )
    assert invalid[:2] == (400, "ValidationException")
    assert (
        lam.list_provisioned_concurrency_configs(FunctionName="app")[
            "ProvisionedConcurrencyConfigs"
        ]
        == []
    )
    assert (
        lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=900
        )["RequestedProvisionedConcurrentExecutions"]
        == 900
    )


def test_routing_weights_above_one_or_on_the_primary_version_are_refused(
    lam: LambdaClient, fn: str
) -> None:
    lam.update_function_configuration(FunctionName="app", MemorySize=256)
    lam.publish_version(FunctionName="app")
    too_much = refused(
        lambda: lam.update_alias(
            FunctionName="app", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}}
        )
    )
    assert too_much[:2] == (400, "ValidationException")
    created = refused(
        lambda: lam.create_alias(
            FunctionName="app",
            Name="canary",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"2": 2.0}},
        )
    )
    assert created[:2] == (400, "ValidationException")
    primary = refused(
        lambda: lam.update_alias(
            FunctionName="app", Name="live", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}
        )
    )
    assert primary[:2] == (400, "InvalidParameterValueException")
    assert "Function version 1 is already included in routing configuration" in primary[2]
    assert "RoutingConfig" not in lam.get_alias(FunctionName="app", Name="live")
    moved = lam.update_alias(
        FunctionName="app", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}}
    )
    assert moved["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}


def test_event_source_mappings_that_do_not_exist(
    lam: LambdaClient, sqs: SQSClient, fn: str
) -> None:
    for call in (
        lambda: lam.delete_event_source_mapping(UUID=UNKNOWN_UUID),
        lambda: lam.update_event_source_mapping(UUID=UNKNOWN_UUID, BatchSize=5),
    ):
        assert refused(call)[:2] == (404, "ResourceNotFoundException")
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    missing = refused(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=arn["QueueArn"], FunctionName="nowhere"
        )
    )
    assert missing == (400, "InvalidParameterValueException", "Function does not exist")
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []


def test_tags_go_on_the_function_only_and_at_most_fifty(lam: LambdaClient, fn: str) -> None:
    for qualified in (f"{fn}:1", f"{fn}:live", f"{fn}:nowhere"):
        status, code, _ = refused(partial(lam.tag_resource, Resource=qualified, Tags={"a": "b"}))
        assert (status, code) == (400, "InvalidParameterValueException"), qualified
    lam.tag_resource(Resource=fn, Tags={f"k{i}": "v" for i in range(50)})
    one_more = refused(lambda: lam.tag_resource(Resource=fn, Tags={"k50": "v"}))
    assert one_more[:2] == (400, "InvalidParameterValueException")
    assert len(lam.list_tags(Resource=fn)["Tags"]) == 50


def test_qualifiers_that_disagree_and_another_regions_arn(lam: LambdaClient, fn: str) -> None:
    mismatch = refused(lambda: lam.get_function(FunctionName=f"{fn}:live", Qualifier="1"))
    assert mismatch[:2] == (400, "InvalidParameterValueException")
    qualified = refused(
        lambda: lam.put_function_concurrency(
            FunctionName=f"{fn}:live", ReservedConcurrentExecutions=5
        )
    )
    assert qualified[:2] == (400, "InvalidParameterValueException")
    elsewhere = fn.replace(":us-east-1:", ":eu-west-1:")
    for call in (
        lambda: lam.get_function(FunctionName=elsewhere),
        lambda: lam.put_function_concurrency(
            FunctionName=elsewhere, ReservedConcurrentExecutions=5
        ),
    ):
        assert refused(call)[:2] == (404, "ResourceNotFoundException")
    assert "Concurrency" not in lam.get_function(FunctionName="app")


def test_a_destination_that_does_not_exist_or_is_the_function_itself(
    lam: LambdaClient, fn: str
) -> None:
    for destination in (fn.replace(":function:app", ":function:nowhere"), fn):
        status, code, _ = refused(
            partial(
                lam.put_function_event_invoke_config,
                FunctionName="app",
                DestinationConfig={"OnFailure": {"Destination": destination}},
            )
        )
        assert (status, code) == (400, "InvalidParameterValueException"), destination
    configs = lam.list_function_event_invoke_configs(FunctionName="app")
    assert configs["FunctionEventInvokeConfigs"] == []


def _second_version(lam: LambdaClient, **change: Any) -> None:
    lam.update_function_configuration(FunctionName="app", **change)
    lam.publish_version(FunctionName="app")


def test_a_weighted_alias_holds_two_published_versions_that_run_alike(
    lam: LambdaClient, fn: str, iam: Any
) -> None:
    _second_version(lam, MemorySize=256)
    _second_version(lam, MemorySize=512)
    two_more = refused(
        lambda: lam.update_alias(
            FunctionName="app",
            Name="live",
            RoutingConfig={"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}},
        )
    )
    assert two_more[:2] == (400, "ValidationException")
    latest = refused(
        lambda: lam.update_alias(
            FunctionName="app",
            Name="live",
            FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
        )
    )
    assert latest[:2] == (400, "InvalidParameterValueException")
    other = iam.create_role(RoleName="other", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    _second_version(lam, Role=other)
    another_role = refused(
        lambda: lam.update_alias(
            FunctionName="app", Name="live", RoutingConfig={"AdditionalVersionWeights": {"4": 0.1}}
        )
    )
    assert another_role[:2] == (400, "InvalidParameterValueException")
    assert "RoutingConfig" not in lam.get_alias(FunctionName="app", Name="live")
    lam.update_alias(
        FunctionName="app", Name="live", RoutingConfig={"AdditionalVersionWeights": {"3": 0.1}}
    )


def test_no_provisioned_concurrency_is_set_on_an_alias_while_it_routes_by_weight(
    lam: LambdaClient, fn: str
) -> None:
    _second_version(lam, MemorySize=256)
    lam.update_alias(
        FunctionName="app", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}}
    )
    weighted = refused(
        lambda: lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=2
        )
    )
    assert weighted == (
        400,
        "InvalidParameterValueException",
        "Alias with weights can not be used with Provisioned Concurrency",
    )
    # The version itself, by number, can be warmed before it takes traffic.
    lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier="2", ProvisionedConcurrentExecutions=2
    )
