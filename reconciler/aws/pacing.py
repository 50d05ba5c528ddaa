"""AWS access: client-side pacing at AWS's control-plane request-rate quotas.

A large reconcile sent at full speed is throttled by AWS, then retried with back-off: slower
than going at the quota's pace in the first place, noisy in the logs, and, past botocore's
attempts, a failure. Each call (every HTTP attempt, retries included, since AWS counts those
too) first takes a token from its bucket; a bucket refills at the quota's rate and holds one
second's worth, so a small run is never delayed at all. Buckets run at HEADROOM of the quota:
the account's other clients (consoles, CI, other tools) draw from the same quota. The quotas
are each service's, declared with it (`expand.kind.Service`, collected by `aws.services`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from reconciler.aws.services import SERVICES, quotas_of
from reconciler.expand.kind import ANY, ASSUMED, Quota

HEADROOM = 0.9


QUOTAS: tuple[Quota, ...] = quotas_of(SERVICES)
# Services whose `*` quota is one bucket shared by every operation, not one per operation.
SHARED = frozenset(service.name for service in SERVICES if service.shared)
UNLISTED = Quota("?", ANY, 10, ASSUMED + "; a service not listed")


def quota_of(service: str, operation: str, table: tuple[Quota, ...] = QUOTAS) -> Quota:
    exact = [q for q in table if q.service == service and q.operation == operation]
    rest = [q for q in table if q.service == service and q.operation == ANY]
    return (exact or rest or [UNLISTED])[0]


def bucket_of(service: str, operation: str, table: tuple[Quota, ...] = QUOTAS) -> tuple[str, float]:
    """The bucket a call draws from (its name) and that bucket's rate per second."""
    quota = quota_of(service, operation, table)
    if quota.operation == ANY and service not in SHARED:
        return f"{service}: {operation}", quota.per_second
    return quota.bucket, quota.per_second


def with_overrides(overrides: Mapping[str, float]) -> tuple[Quota, ...]:
    """The table with `service` or `service:Operation` rates replaced (0: not paced)."""
    table = list(QUOTAS)
    for key, rate in overrides.items():
        service, _, operation = key.partition(":")
        operation = operation or ANY
        table = [q for q in table if (q.service, q.operation) != (service, operation)]
        table.insert(0, Quota(service, operation, rate, "--rate-limit"))
    return tuple(table)


Clock = Callable[[], float]


class _Bucket:
    def __init__(self, rate: float, clock: Clock) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._tokens = self.capacity
        self._at = clock()
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Take a token now or reserve the next one; the seconds to wait for it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class Pacer:
    """Every bucket of one run, shared by all its clients and threads."""

    def __init__(
        self,
        table: tuple[Quota, ...] = QUOTAS,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self.waited_s = 0.0

    def pace(self, service: str, operation: str) -> None:
        name, rate = bucket_of(service, operation, self._table)
        if rate <= 0:
            return
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = _Bucket(rate * HEADROOM, self._clock)
        delay = bucket.wait_time()
        if delay > 0:
            with self._lock:
                self.waited_s += delay
            self._sleep(delay)
