"""A freshly created role cannot be assumed by Lambda until it has propagated."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import create_function, create_role, error_code, wait_until

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient


def try_create(lam: LambdaClient, role_arn: str) -> bool:
    try:
        create_function(lam, role_arn)
    except ClientError:
        return False
    return True


def test_a_function_cannot_use_a_role_that_has_not_propagated(
    sandbox: Sandbox, lam: LambdaClient, iam: IAMClient
) -> None:
    sandbox.fidelity.configure(iam_propagation_seconds=5)
    fresh_role = create_role(iam)

    with pytest.raises(ClientError) as caught:
        create_function(lam, fresh_role)

    assert error_code(caught.value) == "InvalidParameterValueException"
    assert "cannot be assumed by Lambda" in str(caught.value)


def test_the_role_becomes_usable_once_propagated(
    sandbox: Sandbox, lam: LambdaClient, iam: IAMClient
) -> None:
    sandbox.fidelity.configure(iam_propagation_seconds=0.3)
    fresh_role = create_role(iam)

    wait_until(lambda: try_create(lam, fresh_role))


def test_switching_to_a_fresh_role_is_refused_too(
    sandbox: Sandbox, lam: LambdaClient, iam: IAMClient, role_arn: str
) -> None:
    create_function(lam, role_arn)
    sandbox.fidelity.configure(iam_propagation_seconds=5)
    fresh_role = create_role(iam, "second-role")

    with pytest.raises(ClientError) as caught:
        lam.update_function_configuration(FunctionName="app", Role=fresh_role)

    assert error_code(caught.value) == "InvalidParameterValueException"
