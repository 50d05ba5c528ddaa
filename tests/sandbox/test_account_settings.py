"""GetAccountSettings and the account's unreserved-concurrency floor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import create_function, error_code

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def test_account_settings_report_the_configured_concurrency(
    sandbox: Sandbox, lam: LambdaClient
) -> None:
    sandbox.fidelity.configure(account_concurrency=400)

    limit = lam.get_account_settings()["AccountLimit"]

    assert limit["ConcurrentExecutions"] == 400
    assert limit["UnreservedConcurrentExecutions"] == 400
    assert limit["TotalCodeSize"] == 80530636800
    assert limit["CodeSizeUnzipped"] == 262144000
    assert limit["CodeSizeZipped"] == 52428800


def test_reserved_concurrency_is_taken_out_of_the_unreserved_pool(
    lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn, "a")
    create_function(lam, role_arn, "b")
    lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=100)
    lam.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=50)

    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 850


def test_account_usage_counts_functions_and_their_code(lam: LambdaClient, role_arn: str) -> None:
    size = create_function(lam, role_arn, "a")["CodeSize"]
    create_function(lam, role_arn, "b")
    lam.publish_version(FunctionName="a")

    usage = lam.get_account_settings()["AccountUsage"]

    assert usage == {"FunctionCount": 2, "TotalCodeSize": 3 * size}


def test_a_reservation_that_leaves_less_than_the_minimum_unreserved_is_refused(
    lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn)

    with pytest.raises(ClientError) as caught:
        lam.put_function_concurrency(FunctionName="app", ReservedConcurrentExecutions=901)

    assert error_code(caught.value) == "InvalidParameterValueException"
    assert "below its minimum value of [100]" in str(caught.value)


def test_a_function_may_restate_its_own_reservation_at_the_limit(
    lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn)
    lam.put_function_concurrency(FunctionName="app", ReservedConcurrentExecutions=900)

    again = lam.put_function_concurrency(FunctionName="app", ReservedConcurrentExecutions=900)

    assert again["ReservedConcurrentExecutions"] == 900


def test_small_accounts_keep_their_whole_limit_as_the_minimum(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    sandbox.fidelity.configure(account_concurrency=50)
    create_function(lam, role_arn)

    with pytest.raises(ClientError) as caught:
        lam.put_function_concurrency(FunctionName="app", ReservedConcurrentExecutions=1)

    assert "below its minimum value of [50]" in str(caught.value)
