"""The demo's failure path: the deployed functions run in the local AWS, and failures show.

A valid ETL job goes through the API handler into the jobs table; a malformed one is retried,
lands in its dead-letter queue and sets off the alarms; a transaction sent twice is recorded
once; a broken new version of the payments function is stopped by its smoke test; in prod, a
version that passes its smoke test but refuses debits takes 10% of live and is rolled back.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

# One and two minutes between retries and five-minute alarm periods, shortened for a demo.
FAST = {"async_retry_seconds": 0.5, "alarm_evaluation_seconds": 0.25, "metric_period_scale": 0.02}
JOB = {
    "jobId": "job-0001",
    "source": "crm",
    "records": [{"id": "r1", "payload": {"Name": " Ada "}}, {"id": "r2", "payload": {"n": 2}}],
}
MALFORMED = {"jobId": "job-0002", "source": "crm", "records": [{"id": "", "payload": 5}]}
TRANSACTION = {
    "transactionId": "txn-demo-0001",
    "accountId": "acct-42",
    "amount": 12.5,
    "currency": "EUR",
    "type": "debit",
}


class Aws(Protocol):
    def client(self, service: str) -> Any: ...


def until(check: Callable[[], Any], seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def valid_job(aws: Aws, suffix: str) -> None:
    lam, ddb = aws.client("lambda"), aws.client("dynamodb")
    for label, job in (("cold start", JOB), ("warm", {**JOB, "jobId": "job-0003"})):
        began = time.monotonic()
        answer = lam.invoke(FunctionName=f"api-handler-{suffix}", Payload=json.dumps(job))
        status = json.loads(answer["Payload"].read())["statusCode"]
        took = (time.monotonic() - began) * 1000
        print(f"api-handler-{suffix} answered {status} in {took:.0f} ms ({label})")

    def loaded() -> Any:
        key = {"jobId": {"S": JOB["jobId"]}}
        item = ddb.get_item(TableName=f"etl-jobs-{suffix}", Key=key).get("Item")
        return item if item and item["status"]["S"] == "loaded" else None

    item = until(loaded)
    count = ddb.scan(TableName=f"etl-records-{suffix}", Select="COUNT")["Count"]
    state = item["status"]["S"] if item else "NOT LOADED"
    print(f"etl-jobs-{suffix}: {JOB['jobId']} {state} by batch-load; etl-records-{suffix}: {count}")


def malformed_job(aws: Aws, suffix: str) -> bool:
    """True when the job reached the DLQ after three attempts and both alarms fired."""
    function = f"batch-transform-{suffix}"
    began = time.monotonic()
    aws.client("lambda").invoke(
        FunctionName=function, InvocationType="Event", Payload=json.dumps(MALFORMED)
    )
    message = until(lambda: _peek(aws, f"batch-transform-dlq-{suffix}"))
    if not message:
        print("the DLQ stayed empty")
        return False
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    tries = _attempts(aws, function, attributes["RequestID"])
    print(f"{function}: {tries} attempts (1 + MaximumRetryAttempts 2), then its DLQ:")
    print(f"  ErrorCode {attributes['ErrorCode']}, ErrorMessage {attributes['ErrorMessage'][:70]}")
    alarms = [f"batch-transform-errors-{suffix}", f"batch-transform-dlq-messages-{suffix}"]
    fired = until(lambda: all(_state(aws, a) == "ALARM" for a in alarms))
    for alarm in alarms:
        print(f"  alarm {alarm}: {_state(aws, alarm)}")
    print(f"  {time.monotonic() - began:.1f} s from the failed job to both alarms in ALARM")
    return bool(fired) and tries == 3


def duplicate_transaction(aws: Aws, suffix: str) -> None:
    lam, ddb = aws.client("lambda"), aws.client("dynamodb")
    function = f"lambda-function-{suffix}"
    for _ in range(2):
        answer = lam.invoke(
            FunctionName=function, Qualifier="live", Payload=json.dumps(TRANSACTION)
        )
        print(f"{function}:live -> {json.loads(answer['Payload'].read())}")
    rows = ddb.scan(
        TableName=f"transactions-{suffix}",
        FilterExpression="transactionId = :t",
        ExpressionAttributeValues={":t": {"S": TRANSACTION["transactionId"]}},
    )["Count"]
    print(f"transactions-{suffix}: {rows} row for {TRANSACTION['transactionId']}")


def live_version(aws: Aws, suffix: str) -> str:
    alias = aws.client("lambda").get_alias(FunctionName=f"lambda-function-{suffix}", Name="live")
    return str(alias["FunctionVersion"])


@contextmanager
def broken_tree(stacks: Path) -> Iterator[Path]:
    """A copy of the stacks (as `reconcile init` wrote them, code inside) whose payments
    handler reads the wrong variable at cold start."""
    with _copy(stacks) as root:
        _edit(root / "handlers/transactions/index.mjs", "env.TABLE_NAME", "env.LEDGER_TABLE")
        yield root


@contextmanager
def debits_refused(stacks: Path, interval: str) -> Iterator[Path]:
    """A copy of the stacks whose payments handler refuses debits (its smoke test sends a
    credit, so it passes), and whose prod canary holds `interval` instead of 5 minutes."""
    with _copy(stacks) as root:
        types = 'const TYPES = ["debit", "credit"];'
        _edit(root / "handlers/transactions/index.mjs", types, 'const TYPES = ["credit"];')
        _edit(root / "transactions.toml", 'interval = "5m"', f'interval = "{interval}"')
        yield root


@contextmanager
def _copy(stacks: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="demo-changed-") as folder:
        root = Path(folder) / "stacks"
        shutil.copytree(stacks, root, symlinks=True)
        yield root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer holds {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


class Debits:
    """Debits sent through `live` ten a second, as payment callers do, until the block ends:
    which version ran each, and whether it answered or refused."""

    def __init__(self, aws: Aws, suffix: str) -> None:
        self._aws, self._function = aws, f"lambda-function-{suffix}"
        self.ran: Counter[tuple[str, bool]] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send, daemon=True)

    def __enter__(self) -> Debits:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _send(self) -> None:
        lam = self._aws.client("lambda")
        for n in range(100_000):
            if self._stop.wait(0.1):
                return
            debit = {**TRANSACTION, "transactionId": f"txn-canary-{n:05d}"}
            answer = lam.invoke(
                FunctionName=self._function, Qualifier="live", Payload=json.dumps(debit)
            )
            self.ran[(answer["ExecutedVersion"], "FunctionError" not in answer)] += 1

    def said(self) -> str:
        return ", ".join(
            f"{count} ran version {version} ({'recorded' if ok else 'refused'})"
            for (version, ok), count in sorted(self.ran.items())
        )


def _peek(aws: Aws, queue: str) -> Any:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    found = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], VisibilityTimeout=0)
    return (found.get("Messages") or [None])[0]


def _attempts(aws: Aws, function: str, request_id: str) -> int:
    events = aws.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{function}")
    starts = [e["message"] for e in events["events"] if '"platform.start"' in e["message"]]
    return sum(1 for m in starts if json.loads(m)["record"]["requestId"] == request_id)


def _state(aws: Aws, alarm: str) -> str:
    found = aws.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    return str(found[0]["StateValue"]) if found else "MISSING"
