"""The one retry policy: which AWS errors clear by themselves, and that every write of a
client handed to adapters goes through it (real botocore clients, answers stubbed)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from reconciler.aws.retry import RetryingClient, RetryPolicy, transient_reason

FAST = RetryPolicy(deadline_s=5, base_s=0.001, cap_s=0.002)


def _error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


REASONS = [
    ("ResourceConflictException", "update in progress", "UpdateFunctionCode",
     "a Lambda update is still in progress"),
    ("ResourceConflictException", "Function already exist: f", "CreateFunction", None),
    ("InvalidParameterValueException", "The role defined for the function cannot be assumed",
     "CreateFunction", "the role is not yet assumable"),
    ("InvalidParameterValueException", "Unzipped size must be smaller", "CreateFunction", None),
    ("AWS.SimpleQueueService.QueueDeletedRecently", "", "CreateQueue",
     "the queue name is cooling down"),
    ("QueueDeletedRecently", "", "CreateQueue", "the queue name is cooling down"),
    ("ResourceInUseException", "", "UpdateTable", "the table is busy with another change"),
    ("ResourceInUseException", "Table already exists", "CreateTable", None),
    ("AccessDeniedException", "", "CreateFunction", None),
    ("ValidationException", "", "PutMetricAlarm", None),
]  # fmt: skip


@pytest.mark.parametrize(("code", "message", "operation", "reason"), REASONS)
def test_each_transient_error_says_why_and_permanent_ones_are_not_retried(
    code: str, message: str, operation: str, reason: str | None
) -> None:
    assert transient_reason(_error(code, message), operation) == reason


def test_anything_but_an_aws_error_is_never_retried() -> None:
    assert transient_reason(TimeoutError("slow"), "CreateFunction") is None


def _lambda() -> Any:
    return boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_a_write_is_retried_through_a_transient_error_until_it_succeeds() -> None:
    client = _lambda()
    with Stubber(client) as stub:
        for _ in range(2):
            stub.add_client_error(
                "put_function_concurrency", "ResourceConflictException", "update in progress"
            )
        stub.add_response(
            "put_function_concurrency",
            {"ReservedConcurrentExecutions": 3},
            {"FunctionName": "f", "ReservedConcurrentExecutions": 3},
        )
        got = RetryingClient(client, FAST).put_function_concurrency(
            FunctionName="f", ReservedConcurrentExecutions=3
        )
        stub.assert_no_pending_responses()
    assert got["ReservedConcurrentExecutions"] == 3


def test_a_permanent_error_of_a_write_is_raised_at_once() -> None:
    client = _lambda()
    with Stubber(client) as stub:
        stub.add_client_error("delete_function", "AccessDeniedException", "no")
        with pytest.raises(ClientError, match="AccessDeniedException"):
            RetryingClient(client, FAST).delete_function(FunctionName="f")
        stub.assert_no_pending_responses()


def test_reads_are_never_retried_by_the_policy() -> None:
    """A read that meets a 409 reports it: only writes wait for AWS to settle."""
    client = _lambda()
    with Stubber(client) as stub:
        stub.add_client_error("get_function", "ResourceConflictException", "busy")
        with pytest.raises(ClientError):
            RetryingClient(client, FAST).get_function(FunctionName="f")
        stub.assert_no_pending_responses()


def test_paginators_and_meta_pass_straight_through() -> None:
    client = _lambda()
    wrapped = RetryingClient(client, FAST)
    assert wrapped.meta is client.meta
    assert wrapped.can_paginate("list_functions")


def test_the_retry_gives_up_at_its_deadline() -> None:
    client = _lambda()
    policy = RetryPolicy(deadline_s=0.05, base_s=0.01, cap_s=0.01)
    with Stubber(client) as stub:
        for _ in range(50):
            stub.add_client_error("publish_version", "ResourceConflictException", "busy")
        with pytest.raises(ClientError, match="ResourceConflictException"):
            RetryingClient(client, policy).publish_version(FunctionName="f")
