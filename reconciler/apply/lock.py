"""Apply stage: one writer per suffix, through a lease in a DynamoDB table.

A scheduled run and a person's run for the same suffix must never interleave writes. The
lease is an item per suffix, written with a conditional put, renewed while the run lasts and
marked released at the end (with the time); a crashed run's lease simply expires. `plan` takes
no lease, and neither does a run with nothing to write.

The release time lets the next writer skip reading everything again: if the lease it takes was
released before its own reads began, no run of ours wrote since it looked.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from botocore.exceptions import ClientError

from reconciler.errors import PreflightError
from reconciler.expand.ownership import MANAGED_BY, OWNER

TABLE = "lambda-reconciler-locks"
# Clocks of two machines disagree a little; a release this close to our reads counts as after.
CLOCK_MARGIN_S = 2.0
log = structlog.get_logger()


class LockHeld(PreflightError):
    """Another run holds the suffix's lease."""


@dataclass(frozen=True)
class Holder:
    owner: str
    command: str
    since: str
    expires_at: float

    def describe(self) -> str:
        left = max(0, round(self.expires_at - time.time()))
        return f"{self.owner} ({self.command}) since {self.since}, lease expires in {left} s"


def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """The lease for one suffix, held by this process while the run writes."""

    def __init__(
        self, ddb: Any, suffix: str, command: str, ttl_s: float = 120.0, wait_s: float = 30.0
    ) -> None:
        self._ddb, self.suffix, self.command = ddb, suffix, command
        self.ttl_s, self.wait_s = ttl_s, wait_s
        self.owner = me()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        # The item our put replaced: who held the lease before, and when they let it go.
        self.previous: dict[str, Any] | None = None

    def acquire(self) -> None:
        """Take the lease, waiting up to `wait_s` for a holder to finish."""
        ensure_table(self._ddb)
        deadline = time.monotonic() + self.wait_s
        while not self._try_put():
            holder = read_holder(self._ddb, self.suffix)
            if time.monotonic() >= deadline:
                what = holder.describe() if holder else "another run"
                raise LockHeld(
                    f"suffix {self.suffix!r} is being reconciled by {what}; "
                    f"try again later, or `reconcile unlock --suffix {self.suffix}` if it crashed"
                )
            log.info("lock.waiting", holder=holder.owner if holder else None)
            time.sleep(min(2.0, max(0.2, deadline - time.monotonic())))
        log.info("lock.acquired", owner=self.owner, ttl_s=self.ttl_s)
        self._renewer = threading.Thread(target=self._renew_loop, daemon=True)
        self._renewer.start()

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        now = str(time.time())
        try:
            self._ddb.update_item(
                TableName=TABLE,
                Key={"suffix": {"S": self.suffix}},
                UpdateExpression="SET expires_at = :now, released_at = :now",
                ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": self.owner}, ":now": {"N": now}},
            )
            log.info("lock.released", owner=self.owner)
        except ClientError as exc:
            log.warning("lock.release_failed", error=exc.response["Error"]["Code"])

    def quiet_since(self, started_at: float) -> bool:
        """Whether no run of ours held the lease after `started_at` (wall clock): the last
        holder released it properly, before then. Unknown or crashed holders say no."""
        item = self.previous or {}
        released = float(item.get("released_at", {}).get("N", "inf"))
        expired = float(item.get("expires_at", {}).get("N", "inf"))
        return expired <= released and released + CLOCK_MARGIN_S < started_at

    def _try_put(self) -> bool:
        now = time.time()
        try:
            got = self._ddb.put_item(
                TableName=TABLE,
                Item=self._item(now),
                # Free (released or never taken), expired (its holder crashed), or ours.
                ConditionExpression="attribute_not_exists(suffix) OR expires_at < :now OR #o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":now": {"N": str(now)}, ":me": {"S": self.owner}},
                ReturnValues="ALL_OLD",
            )
            self.previous = got.get("Attributes")
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def _item(self, now: float) -> dict[str, Any]:
        since = dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds")
        return {
            "suffix": {"S": self.suffix},
            "owner": {"S": self.owner},
            "command": {"S": self.command},
            "since": {"S": since},
            "expires_at": {"N": str(now + self.ttl_s)},
        }

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                self._ddb.update_item(
                    TableName=TABLE,
                    Key={"suffix": {"S": self.suffix}},
                    UpdateExpression="SET expires_at = :until",
                    ConditionExpression="#o = :me",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={
                        ":until": {"N": str(time.time() + self.ttl_s)},
                        ":me": {"S": self.owner},
                    },
                )
            except ClientError as exc:
                log.error("lock.lost", error=exc.response["Error"]["Code"], owner=self.owner)
                return


def ensure_table(ddb: Any) -> None:
    """Create the lock table on first use: on demand, tagged, shared by every suffix."""
    try:
        status = ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        status = _create_table(ddb)
    deadline = time.monotonic() + 60
    while status != "ACTIVE" and time.monotonic() < deadline:
        time.sleep(0.5)
        status = ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"]


def _create_table(ddb: Any) -> str:
    try:
        got = ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "suffix", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "suffix", "KeyType": "HASH"}],
            Tags=[{"Key": MANAGED_BY, "Value": OWNER}, {"Key": "Purpose", "Value": "locks"}],
        )
        return str(got["TableDescription"]["TableStatus"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceInUseException":
            return "CREATING"  # another run created it first
        raise


def read_holder(ddb: Any, suffix: str) -> Holder | None:
    try:
        item = ddb.get_item(
            TableName=TABLE, Key={"suffix": {"S": suffix}}, ConsistentRead=True
        ).get("Item")
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise
    if not item or float(item["expires_at"]["N"]) <= time.time():
        return None  # never taken, released, or expired: free
    return Holder(
        item["owner"]["S"],
        item.get("command", {}).get("S", "?"),
        item.get("since", {}).get("S", "?"),
        float(item["expires_at"]["N"]),
    )


def force_unlock(ddb: Any, suffix: str) -> Holder | None:
    """Remove the suffix's lease whoever holds it (after a crash, by a person's decision)."""
    holder = read_holder(ddb, suffix)
    if holder is not None:
        ddb.delete_item(TableName=TABLE, Key={"suffix": {"S": suffix}})
    return holder
