"""Every AWS call is recorded; faults and latency are injected on demand."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.control.faults import FaultRule
from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import (
    TRUST_POLICY,
    client,
    client_kwargs,
    create_function,
    error_code,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient


def test_every_aws_call_is_recorded_with_service_operation_and_status(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn)
    lam.get_function(FunctionName="app")

    calls = [(c.service, c.operation, c.status) for c in sandbox.fidelity.calls()]

    assert calls == [
        ("iam", "CreateRole", 200),
        ("lambda", "CreateFunction", 201),
        ("lambda", "GetFunction", 200),
    ]


def test_reads_and_writes_are_told_apart(
    sandbox: Sandbox, lam: LambdaClient, iam: IAMClient, role_arn: str
) -> None:
    sandbox.fidelity.reset_calls()
    iam.get_role(RoleName="app-role")
    lam.list_functions()
    client(sandbox.url, "sts").get_caller_identity()
    create_function(lam, role_arn)

    assert [(c.operation, c.write) for c in sandbox.fidelity.calls()] == [
        ("GetRole", False),
        ("ListFunctions", False),
        ("GetCallerIdentity", False),
        ("CreateFunction", True),
    ]
    assert [c.operation for c in sandbox.fidelity.writes()] == ["CreateFunction"]


def test_json_protocol_services_are_recorded_under_their_botocore_names(sandbox: Sandbox) -> None:
    client(sandbox.url, "logs").create_log_group(logGroupName="/app")
    client(sandbox.url, "ssm").get_parameters_by_path(Path="/app")
    client(sandbox.url, "sqs").create_queue(QueueName="jobs")
    client(sandbox.url, "dynamodb").list_tables()
    client(sandbox.url, "cloudwatch").describe_alarms()

    assert [(c.service, c.operation) for c in sandbox.fidelity.calls()] == [
        ("logs", "CreateLogGroup"),
        ("ssm", "GetParametersByPath"),
        ("sqs", "CreateQueue"),
        ("dynamodb", "ListTables"),
        ("cloudwatch", "DescribeAlarms"),
    ]


def test_an_injected_fault_raises_the_matching_client_error(
    sandbox: Sandbox, lam: LambdaClient
) -> None:
    sandbox.fidelity.add_fault(
        FaultRule("lambda", "ListFunctions", "TooManyRequestsException", 429, times=1)
    )

    with pytest.raises(ClientError) as caught:
        lam.list_functions()

    assert error_code(caught.value) == "TooManyRequestsException"
    assert caught.value.response["Error"]["Message"] == "injected fault"


def test_a_fault_stops_after_its_number_of_uses(sandbox: Sandbox, lam: LambdaClient) -> None:
    sandbox.fidelity.add_fault(FaultRule("lambda", "ListFunctions", "ServiceException", 500, 2))

    outcomes = []
    for _ in range(3):
        try:
            lam.list_functions()
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(error_code(exc))

    assert outcomes == ["ServiceException", "ServiceException", "ok"]


def test_faults_on_query_protocol_services_parse_as_aws_errors(
    sandbox: Sandbox, iam: IAMClient
) -> None:
    sandbox.fidelity.add_fault(FaultRule("iam", "GetRole", "Throttling", 400, 1, "slow down"))

    with pytest.raises(ClientError) as caught:
        iam.get_role(RoleName="anything")

    assert error_code(caught.value) == "Throttling"
    assert caught.value.response["Error"]["Message"] == "slow down"


def test_faults_on_json_protocol_services_parse_as_aws_errors(
    sandbox: Sandbox, cloudwatch: CloudWatchClient
) -> None:
    sandbox.fidelity.add_fault(FaultRule("cloudwatch", "*", "ThrottlingException", 400, 1))

    with pytest.raises(ClientError) as caught:
        cloudwatch.list_dashboards()

    assert error_code(caught.value) == "ThrottlingException"


def test_a_wildcard_fault_hits_any_operation_of_its_service_only(
    sandbox: Sandbox, lam: LambdaClient, iam: IAMClient
) -> None:
    sandbox.fidelity.add_fault(FaultRule("lambda", "*", "ServiceException", 500, 1))

    iam.list_roles()
    with pytest.raises(ClientError):
        lam.get_account_settings()
    lam.get_account_settings()


def test_faulted_calls_are_recorded_with_their_status(sandbox: Sandbox, lam: LambdaClient) -> None:
    sandbox.fidelity.add_fault(FaultRule("lambda", "ListFunctions", "ServiceException", 500, 1))

    with pytest.raises(ClientError):
        lam.list_functions()

    assert [(c.operation, c.status) for c in sandbox.fidelity.calls()] == [("ListFunctions", 500)]


def test_the_sdk_retries_through_a_single_throttle(sandbox: Sandbox) -> None:
    retrying: LambdaClient = boto3.client("lambda", **client_kwargs(sandbox.url, retries=3))
    sandbox.fidelity.add_fault(
        FaultRule("lambda", "ListFunctions", "TooManyRequestsException", 429, 1)
    )

    retrying.list_functions()

    assert [c.status for c in sandbox.fidelity.calls()] == [429, 200]


def test_the_latency_knob_delays_every_call(sandbox: Sandbox, lam: LambdaClient) -> None:
    sandbox.fidelity.configure(latency_ms=150)

    started = time.monotonic()
    lam.list_functions()

    assert time.monotonic() - started >= 0.15


def test_concurrent_calls_are_each_recorded_once(sandbox: Sandbox, lam: LambdaClient) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: lam.list_functions(), range(24)))

    assert len(sandbox.fidelity.calls()) == 24


def test_writes_past_the_freeze_point_are_held_then_refused_unperformed(
    sandbox: Sandbox, iam: IAMClient
) -> None:
    sandbox.fidelity.reset_calls()
    sandbox.fidelity.configure(freeze_after_writes=1)
    iam.create_role(RoleName="first", AssumeRolePolicyDocument=TRUST_POLICY)
    outcome: dict[str, str] = {}

    def second() -> None:
        try:
            iam.create_role(RoleName="second", AssumeRolePolicyDocument=TRUST_POLICY)
        except ClientError as exc:
            outcome["code"] = exc.response["Error"]["Code"]

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()  # held while frozen
    sandbox.fidelity.configure(freeze_after_writes=-1)
    thread.join(timeout=5)
    assert outcome["code"] == "ServiceUnavailable"
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert "first" in names and "second" not in names
