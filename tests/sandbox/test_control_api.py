"""The HTTP control API, driven through SandboxControl as an out-of-process test would."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox import FaultRule, SandboxControl, SandboxControlError
from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import create_function, error_code

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


@pytest.fixture
def control(sandbox: Sandbox) -> SandboxControl:
    return SandboxControl(sandbox.url)


def test_configure_changes_the_knobs(sandbox: Sandbox, control: SandboxControl) -> None:
    control.configure(pending_seconds=2.5, account_concurrency="300")

    knobs = control.knobs()
    assert (knobs.pending_seconds, knobs.account_concurrency) == (2.5, 300)
    assert sandbox.fidelity.knobs == knobs


def test_unknown_knobs_are_refused(control: SandboxControl) -> None:
    with pytest.raises(SandboxControlError, match="no_such_knob"):
        control.configure(no_such_knob=1)


def test_calls_and_writes_come_back_over_http(
    control: SandboxControl, lam: LambdaClient, role_arn: str
) -> None:
    control.reset_calls()
    lam.list_functions()
    create_function(lam, role_arn)

    assert [(c.operation, c.write) for c in control.calls()] == [
        ("ListFunctions", False),
        ("CreateFunction", True),
    ]
    assert [c.operation for c in control.writes()] == ["CreateFunction"]
    assert all(c.status in (200, 201) and c.at > 0 for c in control.calls())


def test_reset_calls_empties_the_log(control: SandboxControl, lam: LambdaClient) -> None:
    lam.list_functions()

    control.reset_calls()

    assert control.calls() == []


def test_faults_are_added_and_cleared_over_http(control: SandboxControl, lam: LambdaClient) -> None:
    control.add_fault(FaultRule("lambda", "ListFunctions", "ServiceException", 500, times=5))
    with pytest.raises(ClientError) as caught:
        lam.list_functions()
    assert error_code(caught.value) == "ServiceException"

    control.clear_faults()

    lam.list_functions()


def test_reset_wipes_aws_state_and_recorded_calls(
    control: SandboxControl, lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn)

    control.reset()

    assert control.calls() == []
    assert lam.list_functions()["Functions"] == []
