"""Pending after create, InProgress after updates, and the conflicts they cause."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import create_function, error_code, handler_zip, wait_until

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def state(lam: LambdaClient) -> str:
    return lam.get_function_configuration(FunctionName="app")["State"]


def update_status(lam: LambdaClient) -> str:
    return lam.get_function(FunctionName="app")["Configuration"]["LastUpdateStatus"]


def test_a_new_function_is_pending_then_active(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    sandbox.fidelity.configure(pending_seconds=0.3)

    created = create_function(lam, role_arn)

    assert created["State"] == "Pending"
    assert created["StateReason"] == "The function is being created."
    assert created["StateReasonCode"] == "Creating"
    assert state(lam) == "Pending"
    wait_until(lambda: state(lam) == "Active")
    assert "StateReasonCode" not in lam.get_function_configuration(FunctionName="app")


def test_a_configuration_update_is_in_progress_then_successful(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn)
    sandbox.fidelity.configure(update_seconds=0.3)

    updated = lam.update_function_configuration(FunctionName="app", MemorySize=256)

    assert updated["LastUpdateStatus"] == "InProgress"
    assert update_status(lam) == "InProgress"
    wait_until(lambda: update_status(lam) == "Successful")


def test_a_code_update_is_in_progress_too(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn)
    sandbox.fidelity.configure(update_seconds=0.3)

    updated = lam.update_function_code(FunctionName="app", ZipFile=handler_zip())

    assert updated["LastUpdateStatus"] == "InProgress"


def test_changing_a_pending_function_is_a_conflict(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    sandbox.fidelity.configure(pending_seconds=0.3)
    create_function(lam, role_arn)

    with pytest.raises(ClientError) as caught:
        lam.update_function_configuration(FunctionName="app", Timeout=10)

    assert error_code(caught.value) == "ResourceConflictException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


@pytest.mark.parametrize("operation", ["configuration", "code", "publish"])
def test_changing_a_function_while_an_update_runs_is_a_conflict(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str, operation: str
) -> None:
    create_function(lam, role_arn)
    sandbox.fidelity.configure(update_seconds=5)
    lam.update_function_configuration(FunctionName="app", Timeout=10)

    with pytest.raises(ClientError) as caught:
        if operation == "configuration":
            lam.update_function_configuration(FunctionName="app", Timeout=20)
        elif operation == "code":
            lam.update_function_code(FunctionName="app", ZipFile=handler_zip())
        else:
            lam.publish_version(FunctionName="app")

    assert error_code(caught.value) == "ResourceConflictException"
    assert "An update is in progress for resource: arn:aws:lambda:" in str(caught.value)


def test_with_zero_delays_functions_are_settled_at_once(lam: LambdaClient, role_arn: str) -> None:
    created = create_function(lam, role_arn)
    updated = lam.update_function_configuration(FunctionName="app", Timeout=10)
    lam.update_function_configuration(FunctionName="app", Timeout=20)

    assert created["State"] == "Active"
    assert updated["LastUpdateStatus"] == "Successful"
    assert lam.publish_version(FunctionName="app")["Version"] == "1"


def test_the_versions_of_a_function_that_does_not_exist_are_not_found(
    lam: LambdaClient,
) -> None:
    # moto lists none; AWS answers 404, and the reconciler must read it as absence.
    with pytest.raises(ClientError) as missing:
        lam.list_versions_by_function(FunctionName="nowhere")
    assert error_code(missing.value) == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "Function not found: arn:aws:lambda:" in missing.value.response["Error"]["Message"]
