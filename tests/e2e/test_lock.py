"""One writer per suffix: a lease in DynamoDB, waited for, expiring, and forcibly removable."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

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


def _ghost_lease(aws: LocalAws, suffix: str, expires_in: float) -> None:
    """A lease left by another run (still alive, or crashed long ago)."""
    ensure_table(aws.client("dynamodb"))
    aws.client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "suffix": {"S": suffix},
            "owner": {"S": "ghost-host:4242:feedbeef"},
            "command": {"S": "apply"},
            "since": {"S": "2026-11-23T08:00:00+00:00"},
            "expires_at": {"N": str(time.time() + expires_in)},
        },
    )


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
    assert [c for c in local_aws.control.writes() if c.operation not in LOCK_OPS] == []
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


def test_the_lock_table_is_tagged_and_destroy_keeps_it(local_aws: LocalAws) -> None:
    ddb = local_aws.client("dynamodb")
    ensure_table(ddb)
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"ManagedBy": "lambda-reconciler", "Purpose": "locks"}
    assert run(local_aws, "destroy", "--suffix", "lktab", "--yes", "--stack", "all").code == 0
    assert TABLE in ddb.list_tables()["TableNames"]
