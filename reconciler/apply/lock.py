"""Apply stage: one writer per suffix, through a lease in a DynamoDB table.

A scheduled run and a person's run for the same suffix must never interleave writes. The
lease is an item per suffix, written with a conditional put, renewed every few seconds while
the run lasts and marked released at the end (with the time). `plan` takes no lease, and
neither does a run with nothing to write.

A crash must not block the next run. The lease names its holder's host, pid and start time,
so a run on the same host takes over at once from a holder that no longer exists; a holder
elsewhere is waited for until its renewals stop and the lease expires, which is sooner than
the default wait. A live holder is never taken over.

The release time lets the next writer skip reading everything again: if the lease it takes was
released before its own reads began, no run of ours wrote since it looked.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from botocore.exceptions import ClientError

from reconciler.apply import holder as processes
from reconciler.apply.holder import Process
from reconciler.apply.lease_times import RENEW_EVERY_S, TTL_S, WAIT_S
from reconciler.errors import PreflightError
from reconciler.expand.ownership import MANAGED_BY, OWNER

TABLE = "lambda-reconciler-locks"
# Clocks of two machines disagree a little; a release this close to our reads counts as after.
CLOCK_MARGIN_S = 2.0
# While waiting, say who holds the lease this often (and when the holder changes).
SAY_EVERY_S = 10.0
log = structlog.get_logger()


class LockHeld(PreflightError):
    """Another run holds the suffix's lease."""


@dataclass(frozen=True)
class Holder:
    owner: str
    command: str
    since: str
    expires_at: float
    process: Process | None = None  # None for a lease written without it

    def describe(self) -> str:
        return f"{self.owner} ({self.command}) since {self.since}, lease expires in {self.left()} s"

    def left(self) -> int:
        return max(0, round(self.expires_at - time.time()))

    def gone(self) -> bool:
        """Whether the holder is a process on this host that no longer exists."""
        return self.process is not None and processes.alive(self.process) is False


def me() -> str:
    return f"{processes.current().describe()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """The lease for one suffix, held by this process while the run writes."""

    def __init__(
        self,
        ddb: Any,
        suffix: str,
        command: str,
        ttl_s: float = TTL_S,
        wait_s: float = WAIT_S,
    ) -> None:
        self._ddb, self.suffix, self.command = ddb, suffix, command
        self.ttl_s, self.wait_s = ttl_s, wait_s
        self.owner = me()
        self._stop = threading.Event()
        # Set when another run took the lease from us (ours had expired): stop writing.
        self.lost = threading.Event()
        self._renewer: threading.Thread | None = None
        # The item our put replaced: who held the lease before, and when they let it go.
        self.previous: dict[str, Any] | None = None

    def acquire(self) -> None:
        """Take the lease: at once from a holder that died on this host, after its expiry from
        one elsewhere whose renewals stopped, waiting up to `wait_s` for a live one."""
        ensure_table(self._ddb)
        deadline = time.monotonic() + self.wait_s
        said: tuple[str, float] = ("", 0.0)
        while not self._try_put():
            holder = read_holder(self._ddb, self.suffix)
            if holder is None:
                continue  # released or expired since our put: try again
            if holder.gone():
                if self._try_put(taking_from=holder.owner):
                    log.warning("lock.taken_over", holder=holder.owner, reason="holder ended")
                    break
                continue
            if time.monotonic() >= deadline:
                raise LockHeld(
                    f"suffix {self.suffix!r} is being reconciled by {holder.describe()}; "
                    f"try again later, or `reconcile unlock --suffix {self.suffix}` if it crashed"
                )
            said = _say_waiting(holder, said)
            until = min(deadline - time.monotonic(), holder.expires_at - time.time())
            time.sleep(max(0.2, min(1.0, until)))
        log.info("lock.acquired", owner=self.owner, ttl_s=self.ttl_s)
        self._renewer = threading.Thread(target=self._renew_loop, daemon=True)
        self._renewer.start()

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        try:
            self._update_ours("SET expires_at = :t, released_at = :t", time.time())
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

    def _try_put(self, taking_from: str | None = None) -> bool:
        now = time.time()
        # Free (released or never taken), expired (its holder stopped renewing), or ours; or,
        # taking over, still held by the very holder found to have ended.
        condition = "attribute_not_exists(suffix) OR expires_at < :now OR #o = :me"
        values = {":now": {"N": str(now)}, ":me": {"S": self.owner}}
        if taking_from is not None:
            condition += " OR #o = :dead"
            values[":dead"] = {"S": taking_from}
        try:
            got = self._ddb.put_item(
                TableName=TABLE,
                Item=self._item(now),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues=values,
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
        process = processes.current()
        return {
            "suffix": {"S": self.suffix},
            "owner": {"S": self.owner},
            "command": {"S": self.command},
            "since": {"S": since},
            "expires_at": {"N": str(now + self.ttl_s)},
            "host": {"S": process.host},
            "machine": {"S": process.machine},
            "pid": {"N": str(process.pid)},
            "started": {"S": process.started},
        }

    def _renew_loop(self) -> None:
        every = min(RENEW_EVERY_S, self.ttl_s / 3)
        while not self._stop.wait(every):
            try:
                self._renew()
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code == "ConditionalCheckFailedException":
                    log.error("lock.lost", owner=self.owner, detail="another run took the lease")
                    self.lost.set()
                    return
                # A throttle or a 5xx: the lease lasts two more renewals, try at the next.
                log.warning("lock.renew_failed", error=code)

    def _renew(self) -> None:
        self._update_ours("SET expires_at = :t", time.time() + self.ttl_s)

    def _update_ours(self, expression: str, at: float) -> None:
        """Change the lease item, only while it is still ours (`:t` is `at`)."""
        self._ddb.update_item(
            TableName=TABLE,
            Key={"suffix": {"S": self.suffix}},
            UpdateExpression=expression,
            ConditionExpression="#o = :me",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":me": {"S": self.owner}, ":t": {"N": str(at)}},
        )


def _say_waiting(holder: Holder, said: tuple[str, float]) -> tuple[str, float]:
    """Log who holds the lease and how long it has left, on a change of holder or every
    SAY_EVERY_S; returns what was last said and when."""
    now = time.monotonic()
    if holder.owner == said[0] and now - said[1] < SAY_EVERY_S:
        return said
    log.info(
        "lock.waiting",
        holder=holder.owner,
        command=holder.command,
        since=holder.since,
        expires_in_s=holder.left(),
    )
    return holder.owner, now


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
        _text(item, "command", "?"),
        _text(item, "since", "?"),
        float(item["expires_at"]["N"]),
        _process(item),
    )


def _text(item: dict[str, Any], key: str, default: str) -> str:
    return str(item.get(key, {}).get("S", default))


def _process(item: dict[str, Any]) -> Process | None:
    if "pid" not in item or "machine" not in item:
        return None  # written before leases named their process: only its expiry tells
    pid = int(item["pid"]["N"])
    return Process(
        _text(item, "host", "?"), _text(item, "machine", ""), pid, _text(item, "started", "")
    )


def force_unlock(ddb: Any, suffix: str) -> Holder | None:
    """Remove the suffix's lease whoever holds it (after a crash, by a person's decision)."""
    holder = read_holder(ddb, suffix)
    if holder is not None:
        ddb.delete_item(TableName=TABLE, Key={"suffix": {"S": suffix}})
    return holder
