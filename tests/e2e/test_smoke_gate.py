"""The payments function in the local AWS: its conditional write records a retried transaction
once, and its `live` alias moves only to a version that passes the smoke test."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import (
    SECRET_DB,
    LocalAws,
    Run,
    burst,
    copy_tree,
    run,
    throttles_recorded,
    wait_idle,
)

SUFFIX = "smk"
FN = f"lambda-function-{SUFFIX}"
TABLE = f"transactions-{SUFFIX}"
HANDLER = "handlers/transactions/index.mjs"
TRANSACTION = {
    "transactionId": "txn-0001",
    "accountId": "acct-42",
    "amount": 12.5,
    "currency": "EUR",
    "type": "debit",
    "occurredAt": "2026-11-30T10:00:00Z",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the stacks whose handler the tests edit, as a developer does."""
    return copy_tree(tmp_path_factory.mktemp("smoke"))


def apply(aws: LocalAws, tree: Path, *args: str) -> Run:
    """`reconcile [args] --suffix smk` on the private copy of the stacks."""
    return run(aws, *args, "--suffix", SUFFIX, "--desired-dir", str(tree))


@pytest.fixture(scope="module")
def deployed(local_aws: LocalAws, tree: Path) -> Iterator[str]:
    """The stack as first deployed; the version `live` then pointed to (later tests move it)."""
    local_aws.control.configure(async_retry_seconds=0.2)
    result = apply(local_aws, tree)
    assert result.code == 0, result.stdout + result.stderr
    yield live_version(local_aws)
    local_aws.control.configure(async_retry_seconds=60.0)
    assert (
        run(local_aws, "destroy", "--yes", "--suffix", SUFFIX, "--desired-dir", str(tree)).code == 0
    )


def live_version(aws: LocalAws) -> str:
    return str(aws.client("lambda").get_alias(FunctionName=FN, Name="live")["FunctionVersion"])


def ledger(aws: LocalAws, transaction_id: str) -> list[dict[str, Any]]:
    ddb = aws.client("dynamodb")
    items = ddb.scan(
        TableName=TABLE,
        FilterExpression="transactionId = :t",
        ExpressionAttributeValues={":t": {"S": transaction_id}},
    )["Items"]
    return list(items)


def invoke(aws: LocalAws, payload: dict[str, Any], **extra: Any) -> tuple[dict[str, Any], Any]:
    answer = aws.client("lambda").invoke(
        FunctionName=FN, Qualifier="live", Payload=json.dumps(payload), **extra
    )
    return answer, json.loads(answer["Payload"].read() or b"null")


def test_the_first_deployment_smoke_tests_version_1_before_creating_the_alias(
    local_aws: LocalAws, deployed: str
) -> None:
    assert deployed == "1"
    # The smoke transaction was recorded once, by version 1, under its own account id.
    [smoke] = ledger(local_aws, "smoke-check-0001")
    assert smoke["accountId"] == {"S": "smoke-test"}


def test_the_plan_says_when_a_smoke_test_will_run(local_aws: LocalAws, tree: Path) -> None:
    result = run(local_aws, "plan", "--suffix", "smkplan", "--desired-dir", str(tree))
    assert result.code == 2, result.stderr
    assert "smoke test: live.smoke.json is invoked on the new version before live moves" in (
        result.stdout
    )


def test_the_same_transaction_sent_twice_is_recorded_once(
    local_aws: LocalAws, deployed: str
) -> None:
    first, recorded = invoke(local_aws, TRANSACTION)
    second, duplicate = invoke(local_aws, TRANSACTION)
    assert recorded == {"status": "recorded", "transactionId": "txn-0001"}
    assert duplicate == {"status": "duplicate", "transactionId": "txn-0001"}
    assert "FunctionError" not in first and "FunctionError" not in second
    assert len(ledger(local_aws, "txn-0001")) == 1


def test_a_retried_event_is_recorded_once(local_aws: LocalAws, deployed: str) -> None:
    event = {**TRANSACTION, "transactionId": "txn-async"}
    for _ in range(2):  # an event source delivering the same event twice
        answer, _ = invoke(local_aws, event, InvocationType="Event")
        assert answer["StatusCode"] == 202
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not ledger(local_aws, "txn-async"):
        time.sleep(0.1)
    time.sleep(1)  # the second delivery lands as well
    [item] = ledger(local_aws, "txn-async")
    assert item["amount"] == {"N": "12.5"}


def test_an_invalid_transaction_is_a_function_error_naming_the_fields(
    local_aws: LocalAws, deployed: str
) -> None:
    answer, error = invoke(local_aws, {**TRANSACTION, "amount": -1, "currency": "euro"})
    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValidationError"
    assert "amount must be" in error["errorMessage"]
    assert "currency must be" in error["errorMessage"]


def test_a_call_past_the_functions_timeout_is_stopped(local_aws: LocalAws, deployed: str) -> None:
    lam = local_aws.client("lambda")
    lam.update_function_configuration(FunctionName=FN, Timeout=1)
    lam.get_waiter("function_updated_v2").wait(FunctionName=FN)
    local_aws.control.configure(latency_ms=1500)  # the ledger answering in 1.5 s
    try:
        answer = lam.invoke(
            FunctionName=FN, Payload=json.dumps({**TRANSACTION, "transactionId": "t-slow"})
        )
    finally:
        local_aws.control.configure(latency_ms=0)
        lam.update_function_configuration(FunctionName=FN, Timeout=30)
    error = json.loads(answer["Payload"].read())
    assert (answer["FunctionError"], error["errorType"]) == ("Unhandled", "Sandbox.Timedout")
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    lam.get_waiter("function_updated_v2").wait(FunctionName=FN)


def test_calls_on_the_alias_are_served_by_provisioned_concurrency(
    local_aws: LocalAws, deployed: str
) -> None:
    invoke(local_aws, {**TRANSACTION, "transactionId": "txn-pc"})
    stats = local_aws.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="ProvisionedConcurrencyInvocations",
        Dimensions=[
            {"Name": "FunctionName", "Value": FN},
            {"Name": "Resource", "Value": f"{FN}:live"},
        ],
        StartTime=time.time() - 600,
        EndTime=time.time() + 60,
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert sum(p["Sum"] for p in stats) >= 1


def test_a_good_new_version_passes_its_smoke_test_and_the_alias_moves(
    local_aws: LocalAws, deployed: str, tree: Path
) -> None:
    lam = local_aws.client("lambda")
    before = live_version(local_aws)
    handler = tree.parent / HANDLER
    handler.write_text(handler.read_text() + "\n// a harmless change: a new version\n")
    local_aws.control.reset_calls()
    result = apply(local_aws, tree)
    assert result.code == 0, result.stdout + result.stderr
    # The version this apply published, whatever versions earlier tests left behind.
    versions = lam.list_versions_by_function(FunctionName=FN)["Versions"]
    newest = max(int(v["Version"]) for v in versions if v["Version"] != "$LATEST")
    assert live_version(local_aws) == str(newest) and newest > int(before)
    operations = [c.operation for c in local_aws.control.calls()]
    assert operations.index("Invoke") < operations.index("UpdateAlias")


def test_a_broken_version_is_stopped_by_its_smoke_test_and_the_alias_stays(
    local_aws: LocalAws, deployed: str, tree: Path
) -> None:
    good = live_version(local_aws)
    handler = tree.parent / HANDLER
    working = handler.read_text()
    # A refactor that reads the wrong variable: every cold start of the new version fails.
    handler.write_text(working.replace("process.env.TABLE_NAME", "process.env.LEDGER_TABLE"))
    try:
        result = apply(local_aws, tree)
        assert result.code == 3, result.stdout + result.stderr
        said = result.stdout + result.stderr
        assert f"smoke test live.smoke.json of {FN} version" in said
        assert "TABLE_NAME environment variable is not set" in said
        assert live_version(local_aws) == good
        # The alias still serves the good version, which still records transactions.
        _, answer = invoke(local_aws, {**TRANSACTION, "transactionId": "txn-after-bad"})
        assert answer == {"status": "recorded", "transactionId": "txn-after-bad"}
        # Run again at once, as a scheduler would: refused again, nothing new published.
        local_aws.control.reset_calls()
        again = apply(local_aws, tree)
        assert again.code == 3
        assert "PublishVersion" not in [c.operation for c in local_aws.control.writes()]
        assert live_version(local_aws) == good
    finally:
        handler.write_text(working)
    fixed = apply(local_aws, tree)
    assert fixed.code == 0, fixed.stdout + fixed.stderr


def test_a_smoke_error_that_carries_a_secret_is_reported_without_it(
    local_aws: LocalAws, deployed: str, tree: Path
) -> None:
    handler = tree.parent / HANDLER
    working = handler.read_text()
    entry = "export async function handler(event, context) {"
    # A careless error message: the function puts its own database URL in what it throws.
    leak = entry + "\n  throw new Error(`ledger unreachable at ${process.env.DATABASE_URL}`);"
    handler.write_text(working.replace(entry, leak))
    try:
        result = apply(local_aws, tree)
    finally:
        handler.write_text(working)
    said = result.stdout + result.stderr
    assert result.code == 3, said
    assert "ledger unreachable at (sensitive)" in said
    assert SECRET_DB not in said and "Sup3r-Secret-pw" not in said
    fixed = apply(local_aws, tree)
    assert fixed.code == 0, fixed.stdout + fixed.stderr


def test_a_burst_past_reserved_concurrency_is_throttled_and_reconcile_restores_it(
    local_aws: LocalAws, deployed: str, tree: Path
) -> None:
    lam = local_aws.client("lambda")
    # Someone lowers the reservation to what is provisioned (100 would mean 100 Node.js
    # processes here); the excess of a burst on `live` must be refused, not queued.
    lam.put_function_concurrency(FunctionName=FN, ReservedConcurrentExecutions=5)
    wait_idle(local_aws, FN)
    ids = [f"txn-burst-{n}" for n in range(10)]
    local_aws.control.configure(latency_ms=700)  # the ledger's write takes 0.7 s
    try:
        outcomes = burst(
            local_aws, FN, [json.dumps({**TRANSACTION, "transactionId": i}) for i in ids], "live"
        )
    finally:
        local_aws.control.configure(latency_ms=0)
    assert outcomes.count("TooManyRequestsException") >= 1, outcomes
    assert 1 <= outcomes.count("ok") <= 5 and "failed" not in outcomes, outcomes
    assert throttles_recorded(local_aws, FN) >= outcomes.count("TooManyRequestsException")
    # What was served was recorded once each; what was throttled, not at all.
    recorded = [len(ledger(local_aws, i)) for i in ids]
    assert recorded == [1 if o == "ok" else 0 for o in outcomes]
    result = apply(local_aws, tree)
    assert result.code == 0, result.stdout + result.stderr
    assert lam.get_function_concurrency(FunctionName=FN)["ReservedConcurrentExecutions"] == 100
