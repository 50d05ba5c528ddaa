"""Callers on a qualifier, as AWS keeps them: a mapping on an alias follows the alias, and a
resource policy belongs to one qualifier."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import client_kwargs, error_code
from tests.sandbox.test_invoke import ECHO, FAST, queue, zipped

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

ARN = "arn:aws:lambda:us-east-1:123456789012:function:echo"


@pytest.fixture(autouse=True)
def fast(fresh: Sandbox) -> None:
    fresh.fidelity.configure(**FAST)


@pytest.fixture
def make(lam: LambdaClient, role_arn: str) -> Callable[..., str]:
    def create(source: str = ECHO, **extra: Any) -> str:
        lam.create_function(
            FunctionName="echo",
            Runtime="nodejs24.x",
            Role=role_arn,
            Handler="index.handler",
            Code={"ZipFile": zipped(source)},
            **extra,
        )
        return "echo"

    return create


def _two_versions(lam: LambdaClient, make: Callable[..., str]) -> None:
    """echo with versions 1 and 2, and alias live on 1."""
    make(Publish=True)
    lam.update_function_code(FunctionName="echo", ZipFile=zipped(_echo("two")))
    lam.publish_version(FunctionName="echo")
    lam.create_alias(FunctionName="echo", Name="live", FunctionVersion="1")


def _echo(tag: str) -> str:
    return (
        "exports.handler = async (event, context) => {\n"
        f'  console.log("{tag}", context.functionVersion, event.Records[0].body);\n'
        "  return {};\n};\n"
    )


def _lines(sandbox: Sandbox, wanted: str, seconds: float = 10.0) -> list[str]:
    logs = boto3.client("logs", **client_kwargs(sandbox.url))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName="/aws/lambda/echo").get("events", [])
        except ClientError:  # no invocation has written its group yet
            events = []
        found = [str(e["message"]) for e in events if wanted in str(e["message"])]
        if found:
            return found
        time.sleep(0.05)
    return []


def _empty(sqs: SQSClient, url: str) -> bool:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    counts = (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"])
    return counts == ("0", "0")


def test_a_mapping_on_an_alias_keeps_the_alias_and_follows_it(
    fresh: Sandbox, lam: LambdaClient, sqs: SQSClient, make: Callable[..., str]
) -> None:
    make(source=_echo("one"), Publish=True)
    lam.update_function_code(FunctionName="echo", ZipFile=zipped(_echo("two")))
    lam.publish_version(FunctionName="echo")
    lam.create_alias(FunctionName="echo", Name="live", FunctionVersion="1")
    url, queue_arn = queue(sqs, "orders")
    created = lam.create_event_source_mapping(FunctionName=f"{ARN}:live", EventSourceArn=queue_arn)
    assert created["FunctionArn"] == f"{ARN}:live"
    got = lam.get_event_source_mapping(UUID=created["UUID"])
    assert got["FunctionArn"] == f"{ARN}:live"
    on_alias = lam.list_event_source_mappings(FunctionName="echo:live")["EventSourceMappings"]
    assert [m["UUID"] for m in on_alias] == [created["UUID"]]
    on_version = lam.list_event_source_mappings(FunctionName="echo:1")["EventSourceMappings"]
    assert on_version == []

    sqs.send_message(QueueUrl=url, MessageBody="first")
    assert _lines(fresh, "first") and all("one 1 first" in line for line in _lines(fresh, "first"))
    lam.update_alias(FunctionName="echo", Name="live", FunctionVersion="2")
    sqs.send_message(QueueUrl=url, MessageBody="second")
    assert any("two 2 second" in line for line in _lines(fresh, "second"))
    # Delivered and deleted: nothing is left on the queue.
    deadline = time.monotonic() + 5
    while not _empty(sqs, url) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _empty(sqs, url)


def test_a_mapping_on_a_weighted_alias_follows_its_routing(
    fresh: Sandbox, lam: LambdaClient, sqs: SQSClient, make: Callable[..., str]
) -> None:
    """A mapping invokes the alias, so a rollout's weights split its batches too; a policy on
    the alias still answers for it while it is weighted."""
    make(source=_echo("one"), Publish=True)
    lam.update_function_code(FunctionName="echo", ZipFile=zipped(_echo("two")))
    lam.publish_version(FunctionName="echo")
    lam.create_alias(
        FunctionName="echo",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    _api_gateway_on_live(lam)
    assert lam.get_policy(FunctionName="echo", Qualifier="live")["Policy"]
    url, queue_arn = queue(sqs, "split")
    lam.create_event_source_mapping(
        FunctionName=f"{ARN}:live", EventSourceArn=queue_arn, BatchSize=1
    )
    for n in range(16):
        sqs.send_message(QueueUrl=url, MessageBody=f"order-{n}")
    assert _lines(fresh, "one 1 order-") and _lines(fresh, "two 2 order-")


def test_a_failed_batch_goes_back_to_the_queue_and_its_redrive_applies(
    fresh: Sandbox, lam: LambdaClient, sqs: SQSClient, make: Callable[..., str]
) -> None:
    failing = 'exports.handler = async () => { throw new Error("no"); };\n'
    make(source=failing)
    dlq_url, dlq_arn = queue(sqs, "orders-dlq")
    url, queue_arn = queue(sqs, "orders")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "1"}
    )
    lam.create_event_source_mapping(FunctionName="echo", EventSourceArn=queue_arn)
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    deadline = time.monotonic() + 15
    moved: list[Any] = []
    while not moved and time.monotonic() < deadline:
        moved = sqs.receive_message(QueueUrl=dlq_url).get("Messages", [])
        time.sleep(0.1)
    assert [m["Body"] for m in moved] == ["poison"]


def _api_gateway_on_live(lam: LambdaClient, **extra: Any) -> None:
    lam.add_permission(
        FunctionName="echo",
        Qualifier="live",
        StatementId="api-gateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        **extra,
    )


def test_a_resource_policy_belongs_to_one_qualifier(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    _two_versions(lam, make)
    _api_gateway_on_live(lam, SourceArn="arn:aws:execute-api:us-east-1:123456789012:api/*")
    policy = json.loads(lam.get_policy(FunctionName="echo", Qualifier="live")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Resource"] == f"{ARN}:live"
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(":api/*")
    for other in ({}, {"Qualifier": "1"}, {"Qualifier": "2"}):
        with pytest.raises(ClientError) as missing:
            lam.get_policy(FunctionName="echo", **other)
        assert error_code(missing.value) == "ResourceNotFoundException"
    # It stays with the alias when the alias moves.
    lam.update_alias(FunctionName="echo", Name="live", FunctionVersion="2")
    assert lam.get_policy(FunctionName="echo", Qualifier="live")["Policy"]
    with pytest.raises(ClientError) as twice:
        _api_gateway_on_live(lam)
    assert error_code(twice.value) == "ResourceConflictException"
    with pytest.raises(ClientError) as nowhere:
        lam.get_policy(FunctionName="echo", Qualifier="staging")
    assert error_code(nowhere.value) == "ResourceNotFoundException"
    lam.remove_permission(FunctionName="echo", Qualifier="live", StatementId="api-gateway")
    with pytest.raises(ClientError) as removed:
        lam.get_policy(FunctionName="echo", Qualifier="live")
    assert error_code(removed.value) == "ResourceNotFoundException"


def test_a_version_published_after_a_permission_has_no_policy_of_its_own(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make()
    lam.add_permission(
        FunctionName="echo",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
    )
    version = lam.publish_version(FunctionName="echo")["Version"]
    assert json.loads(lam.get_policy(FunctionName="echo")["Policy"])["Statement"]
    with pytest.raises(ClientError) as missing:
        lam.get_policy(FunctionName="echo", Qualifier=version)
    assert error_code(missing.value) == "ResourceNotFoundException"
