"""One writer per suffix: a lease in DynamoDB, waited for while its holder lives, taken over
at once from a holder that ended on this host, expiring when a holder elsewhere stops
renewing it, and forcibly removable."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from reconciler.apply import holder
from reconciler.apply.holder import Process
from reconciler.apply.lock import TABLE, ensure_table
from tests.e2e.helpers import ROOT, LocalAws, names_ending, run

LOCK_OPS = {"CreateTable", "PutItem", "UpdateItem", "DeleteItem"}


@pytest.fixture
def slow_pc(local_aws: LocalAws) -> Iterator[LocalAws]:
    """Provisioned concurrency that takes 3 s: the first run holds its lease that long."""
    defaults = local_aws.control.knobs()
    local_aws.control.configure(pc_ready_seconds=3.0)
    yield local_aws
    local_aws.control.configure(**defaults.to_json())


def _start(aws: LocalAws, key: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        env=aws.env(AWS_ACCESS_KEY_ID=key),
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


ELSEWHERE = Process("ghost-host", "another-boot/pid:[4026531836]", 4242, "123456")


def _ghost_lease(
    aws: LocalAws, suffix: str, expires_in: float, holder: Process = ELSEWHERE
) -> None:
    """A lease left by another run: on another host unless `holder` says otherwise."""
    ensure_table(aws.client("dynamodb"))
    aws.client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "suffix": {"S": suffix},
            "owner": {"S": f"{holder.describe()}:feedbeef"},
            "command": {"S": "apply"},
            "since": {"S": "2026-11-23T08:00:00+00:00"},
            "expires_at": {"N": str(time.time() + expires_in)},
            "host": {"S": holder.host},
            "machine": {"S": holder.machine},
            "pid": {"N": str(holder.pid)},
            "started": {"S": holder.started},
        },
    )


def _renewing(aws: LocalAws, suffix: str, stop: threading.Event) -> None:
    """The holder elsewhere is alive: it renews its lease every second, for 3 s each time."""
    ddb = aws.client("dynamodb")
    while not stop.wait(1.0):
        ddb.update_item(
            TableName=TABLE,
            Key={"suffix": {"S": suffix}},
            UpdateExpression="SET expires_at = :until",
            ExpressionAttributeValues={":until": {"N": str(time.time() + 3)}},
        )


def _no_stack_writes(aws: LocalAws) -> bool:
    return [c for c in aws.control.writes() if c.operation not in LOCK_OPS] == []


def test_two_runs_for_one_suffix_never_interleave_their_writes(slow_pc: LocalAws) -> None:
    slow_pc.control.reset_calls()
    first = _start(slow_pc, "AKIDFIRST", "--suffix", "lk", "--stack", "transactions")
    time.sleep(1.0)  # the first run is past its plan and holds the lease
    second = _start(slow_pc, "AKIDSECOND", "--suffix", "lk", "--stack", "etl", "--lock-wait", "60")
    assert first.wait(timeout=120) == 0, first.communicate()
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, out + err
    assert '"event": "lock.waiting"' in err
    writes = [c for c in slow_pc.control.writes() if c.operation not in LOCK_OPS]
    owners = [c.access_key for c in writes]
    assert "AKIDFIRST" in owners and "AKIDSECOND" in owners
    last_first = max(i for i, who in enumerate(owners) if who == "AKIDFIRST")
    first_second = min(i for i, who in enumerate(owners) if who == "AKIDSECOND")
    assert last_first < first_second, owners
    assert run(slow_pc, "destroy", "--suffix", "lk", "--yes", "--stack", "all").code == 0


def test_a_held_lease_refuses_with_its_holder_then_unlock_frees_it(local_aws: LocalAws) -> None:
    _ghost_lease(local_aws, "lkheld", expires_in=300)
    local_aws.control.reset_calls()
    refused = run(local_aws, "--suffix", "lkheld", "--lock-wait", "0")
    assert refused.code == 1
    assert "is being reconciled by ghost-host:4242:feedbeef (apply) since 2026-11-23T08:00" in (
        refused.stderr
    )
    assert "reconcile unlock --suffix lkheld" in refused.stderr
    assert _no_stack_writes(local_aws)
    assert names_ending(local_aws, "-lkheld") == set()
    # plan takes no lease
    assert run(local_aws, "plan", "--suffix", "lkheld").code == 2
    unlocked = run(local_aws, "unlock", "--suffix", "lkheld")
    assert unlocked.code == 0 and "Removed the lease of ghost-host:4242:feedbeef" in unlocked.stdout
    assert run(local_aws, "--suffix", "lkheld", "--lock-wait", "0").code == 0
    assert run(local_aws, "destroy", "--suffix", "lkheld", "--yes").code == 0


def test_a_crashed_runs_lease_expires_by_itself(local_aws: LocalAws) -> None:
    _ghost_lease(local_aws, "lkold", expires_in=-5)
    result = run(local_aws, "--suffix", "lkold", "--lock-wait", "0")
    assert result.code == 0, result.stdout + result.stderr
    item = local_aws.client("dynamodb").get_item(TableName=TABLE, Key={"suffix": {"S": "lkold"}})
    # Released at the end of the run: free, and when, so that the next writer may skip a read.
    released = float(item["Item"]["released_at"]["N"])
    assert float(item["Item"]["expires_at"]["N"]) == released <= time.time()
    assert "was not locked" in run(local_aws, "unlock", "--suffix", "lkold").stdout
    assert run(local_aws, "destroy", "--suffix", "lkold", "--yes").code == 0


def test_a_holder_elsewhere_whose_renewals_stopped_is_waited_out_by_itself(
    local_aws: LocalAws,
) -> None:
    # Killed on another machine 26 s ago: its lease has 4 s left. The default wait outlasts it.
    _ghost_lease(local_aws, "lkgone", expires_in=4)
    result = run(local_aws, "--suffix", "lkgone")
    assert result.code == 0, result.stdout + result.stderr
    waiting = [json.loads(line) for line in result.stderr.splitlines() if "lock.waiting" in line]
    assert waiting and waiting[0]["holder"] == "ghost-host:4242:feedbeef"
    assert waiting[0]["command"] == "apply" and 0 < waiting[0]["expires_in_s"] <= 4
    assert "lock.taken_over" not in result.stderr  # it expired; nothing was taken from anyone
    assert run(local_aws, "destroy", "--suffix", "lkgone", "--yes").code == 0


def test_a_live_holder_elsewhere_is_never_taken_over(local_aws: LocalAws) -> None:
    _ghost_lease(local_aws, "lklive", expires_in=3)
    stop = threading.Event()
    renewer = threading.Thread(target=_renewing, args=(local_aws, "lklive", stop))
    renewer.start()
    try:
        local_aws.control.reset_calls()
        refused = run(local_aws, "--suffix", "lklive", "--lock-wait", "6")
    finally:
        stop.set()
        renewer.join()
    assert refused.code == 1, refused.stdout + refused.stderr
    assert "is being reconciled by ghost-host:4242:feedbeef (apply)" in refused.stderr
    assert _no_stack_writes(local_aws)


def test_a_live_run_on_this_host_is_never_taken_over_and_an_ended_one_is_at_once(
    local_aws: LocalAws,
) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        here = replace(holder.current(), pid=child.pid, started=holder.stat(child.pid)[1])
        _ghost_lease(local_aws, "lkhere", expires_in=300, holder=here)
        local_aws.control.reset_calls()
        refused = run(local_aws, "--suffix", "lkhere", "--lock-wait", "2")
        assert refused.code == 1 and f"{here.describe()}:feedbeef (apply)" in refused.stderr
        assert _no_stack_writes(local_aws)
    finally:
        child.kill()
        child.wait()
    # The same process gone (an OOM kill): the next run takes its lease over without waiting.
    taken = run(local_aws, "--suffix", "lkhere")
    assert taken.code == 0, taken.stdout + taken.stderr
    assert '"event": "lock.taken_over"' in taken.stderr and "lock.waiting" not in taken.stderr
    assert run(local_aws, "destroy", "--suffix", "lkhere", "--yes").code == 0


def test_the_lock_table_is_tagged_and_destroy_keeps_it(local_aws: LocalAws) -> None:
    ddb = local_aws.client("dynamodb")
    ensure_table(ddb)
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"ManagedBy": "lambda-reconciler", "Purpose": "locks"}
    assert run(local_aws, "destroy", "--suffix", "lktab", "--yes", "--stack", "all").code == 0
    assert TABLE in ddb.list_tables()["TableNames"]


def test_a_run_whose_lease_was_taken_stops_writing(local_aws: LocalAws) -> None:
    # Provisioned concurrency settles in 14 s, past the run's first renewal (10 s).
    defaults = local_aws.control.knobs()
    local_aws.control.configure(pc_ready_seconds=14.0)
    ddb = local_aws.client("dynamodb")
    try:
        first = _start(local_aws, "AKIDFIRST", "--suffix", "lktaken", "--stack", "transactions")
        deadline = time.monotonic() + 60
        while "Item" not in ddb.get_item(TableName=TABLE, Key={"suffix": {"S": "lktaken"}}):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)
        # As if the run had paused past its expiry and another had taken the lease meanwhile.
        _ghost_lease(local_aws, "lktaken", expires_in=300)
        out, err = first.communicate(timeout=120)
    finally:
        local_aws.control.configure(**defaults.to_json())
    assert first.returncode == 1, out + err
    assert "another run took the lease while this one was writing" in err
    assert '"event": "lock.lost"' in err
    assert "unlock" not in err.splitlines()[-1]
    assert run(local_aws, "unlock", "--suffix", "lktaken").code == 0
    assert run(local_aws, "destroy", "--suffix", "lktaken", "--yes").code == 0
