"""Waits and retries: slow states, 409s, throttling, slow IAM, provisioned concurrency FAILED."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from reconciler.sandbox.control.faults import FaultRule
from tests.e2e.helpers import LocalAws, run


@pytest.fixture
def slow_aws(local_aws: LocalAws) -> Iterator[LocalAws]:
    """AWS at its slowest realistic pace; restored to the defaults afterwards."""
    defaults = local_aws.control.knobs()
    local_aws.control.configure(
        pending_seconds=1.0, update_seconds=1.0, iam_propagation_seconds=2.0, pc_ready_seconds=2.0
    )
    yield local_aws
    local_aws.control.clear_faults()
    local_aws.control.configure(**defaults.to_json())


def _events(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_apply_converges_through_slow_states_conflicts_throttling_and_iam_delay(
    slow_aws: LocalAws,
) -> None:
    control = slow_aws.control
    control.add_fault(
        FaultRule("lambda", "PutFunctionConcurrency", "ResourceConflictException", 409, 2)
    )
    control.add_fault(FaultRule("lambda", "GetFunction", "TooManyRequestsException", 429, 3))
    control.add_fault(FaultRule("iam", "GetRole", "Throttling", 400, 2))
    control.add_fault(FaultRule("logs", "CreateLogGroup", "ServiceUnavailableException", 503, 1))
    result = run(slow_aws, "--suffix", "slow")
    assert result.code == 0, result.stdout + result.stderr
    events = _events(result.stderr)
    retries = [e for e in events if e["event"] == "action.retry"]
    reasons = {e["reason"] for e in retries}
    assert "the role is not yet assumable" in reasons  # CreateFunction within 2 s of CreateRole
    assert "a Lambda update is still in progress" in reasons  # the injected 409s
    assert all(isinstance(e["attempt"], int) and e["kind"] for e in retries)
    waits = {e["waiting_for"] for e in events if e["event"] == "wait.progress"}
    assert "function lambda-function-slow ready" in waits
    assert "provisioned concurrency lambda-function-slow:live READY" in waits
    assert run(slow_aws, "plan", "--suffix", "slow").code == 0
    assert run(slow_aws, "destroy", "--suffix", "slow", "--yes").code == 0


def test_an_update_waits_for_the_previous_one_instead_of_failing(slow_aws: LocalAws) -> None:
    assert run(slow_aws, "--suffix", "upd").code == 0
    lam = slow_aws.client("lambda")
    # Leave an update in progress, then ask for another change right away.
    lam.update_function_configuration(FunctionName="lambda-function-upd", Timeout=10)
    lam_logs = slow_aws.client("logs")
    lam_logs.put_retention_policy(logGroupName="/aws/lambda/lambda-function-upd", retentionInDays=1)
    result = run(slow_aws, "--suffix", "upd")
    assert result.code == 0, result.stdout + result.stderr
    assert "timeout_s: 10 -> 30" in result.stdout
    assert lam.get_function_configuration(FunctionName="lambda-function-upd")["Timeout"] == 30
    assert run(slow_aws, "destroy", "--suffix", "upd", "--yes").code == 0


def test_provisioned_concurrency_failed_ends_the_run_with_aws_reason(slow_aws: LocalAws) -> None:
    slow_aws.control.configure(pc_fail_reason="FUNCTION_ERROR_INIT_FAILURE: init crashed")
    result = run(slow_aws, "--suffix", "pcf")
    assert result.code == 3, result.stdout + result.stderr
    assert "FAILED: FUNCTION_ERROR_INIT_FAILURE: init crashed" in result.stdout
    slow_aws.control.configure(pc_fail_reason="")
    assert run(slow_aws, "--suffix", "pcf").code == 0
    assert run(slow_aws, "destroy", "--suffix", "pcf", "--yes").code == 0


def test_a_small_account_is_refused_before_any_write(local_aws: LocalAws) -> None:
    local_aws.control.configure(account_concurrency=150)
    local_aws.control.reset_calls()
    try:
        result = run(local_aws, "--suffix", "small")
    finally:
        local_aws.control.configure(account_concurrency=1000)
    assert result.code == 1
    assert "account concurrency too low: 150 total, 150 unreserved" in result.stderr
    assert local_aws.control.writes() == []
