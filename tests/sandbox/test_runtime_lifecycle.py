"""Lambda's runtime lifecycle on the `today` knob: what AWS refuses on a deprecated runtime."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.control.knobs import KnobError, Knobs
from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import error_code, handler_zip, wait_until

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.literals import RuntimeType

BEFORE = "2023-06-01"  # nodejs14.x deprecated since 2023-12-04, blocked from 2027
AFTER = "2027-06-01"  # past nodejs14.x's create (2027-02-01) and update (2027-03-03) blocks


SetToday = Callable[[str], None]


@pytest.fixture
def on_date(sandbox: Sandbox) -> Iterator[SetToday]:
    def set_today(day: str) -> None:
        sandbox.fidelity.configure(today=day)

    yield set_today
    sandbox.fidelity.configure(today="")


def _create(lam: LambdaClient, role_arn: str, runtime: RuntimeType = "nodejs14.x") -> None:
    lam.create_function(
        FunctionName="legacy",
        Runtime=runtime,
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": handler_zip()},
        Architectures=["x86_64"],
    )
    wait_until(lambda: lam.get_function_configuration(FunctionName="legacy")["State"] == "Active")


def _refused(call: Callable[[], object]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert error_code(caught.value) == "InvalidParameterValueException"
    return str(caught.value)


def test_a_runtime_can_be_created_before_its_create_block(
    lam: LambdaClient, role_arn: str, on_date: SetToday
) -> None:
    on_date(BEFORE)
    _create(lam, role_arn)
    assert lam.get_function_configuration(FunctionName="legacy")["Runtime"] == "nodejs14.x"


def test_creating_a_function_on_a_blocked_runtime_is_refused(
    lam: LambdaClient, role_arn: str, on_date: SetToday
) -> None:
    on_date(AFTER)
    message = _refused(lambda: _create(lam, role_arn))
    assert "The runtime parameter of nodejs14.x is no longer supported" in message


def test_after_the_update_block_code_and_configuration_updates_are_refused(
    lam: LambdaClient, role_arn: str, on_date: SetToday
) -> None:
    on_date(BEFORE)
    _create(lam, role_arn)
    on_date(AFTER)
    _refused(lambda: lam.update_function_code(FunctionName="legacy", ZipFile=handler_zip()))
    _refused(lambda: lam.update_function_configuration(FunctionName="legacy", MemorySize=256))
    # Sending the function's own runtime again is setting it: refused as well.
    _refused(lambda: lam.update_function_configuration(FunctionName="legacy", Runtime="nodejs14.x"))


def test_moving_off_a_blocked_runtime_is_allowed_and_unblocks_the_code(
    lam: LambdaClient, role_arn: str, on_date: SetToday
) -> None:
    on_date(BEFORE)
    _create(lam, role_arn)
    on_date(AFTER)
    lam.update_function_configuration(FunctionName="legacy", Runtime="nodejs24.x", MemorySize=512)
    wait_until(
        lambda: (
            lam.get_function_configuration(FunctionName="legacy")["LastUpdateStatus"]
            == "Successful"
        )
    )
    lam.update_function_code(FunctionName="legacy", ZipFile=handler_zip(), Architectures=["arm64"])
    config = lam.get_function_configuration(FunctionName="legacy")
    assert (config["Runtime"], config["MemorySize"]) == ("nodejs24.x", 512)


def test_moving_to_another_blocked_runtime_is_refused(
    lam: LambdaClient, role_arn: str, on_date: SetToday
) -> None:
    on_date(BEFORE)
    _create(lam, role_arn)
    on_date(AFTER)
    _refused(lambda: lam.update_function_configuration(FunctionName="legacy", Runtime="nodejs16.x"))


def test_today_must_be_an_iso_date() -> None:
    with pytest.raises(KnobError, match="knob today is not an ISO date"):
        Knobs().replaced({"today": "yesterday"})
    assert Knobs().replaced({"today": "2023-06-01"}).today == "2023-06-01"
