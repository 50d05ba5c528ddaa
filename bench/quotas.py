"""AWS control-plane request-rate quotas, and the shortest time a set of calls can take under them.

Each quota is a bucket of calls per second per account and region: one operation of its own,
or every operation of a service not named elsewhere (`*`). Where AWS publishes a figure it is
used and its source given; where it does not, the figure is an assumption, said so in
BENCHMARKS.md; the table is the kinds' services' (reconciler/expand/kind.py `Service`), which
reconciler/aws/pacing.py paces real runs by.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.aws.pacing import QUOTAS, SHARED, UNLISTED, bucket_of, quota_of
from reconciler.expand.kind import ANY, Quota

# The table the reconciler paces itself by (reconciler/aws/pacing.py): measured against the same.
__all__ = ["ANY", "QUOTAS", "SHARED", "UNLISTED", "Quota", "bucket_of", "quota_of"]


@dataclass(frozen=True)
class Load:
    """What a set of calls asks of one bucket."""

    bucket: str
    calls: int
    per_second: float

    @property
    def seconds(self) -> float:
        return self.calls / self.per_second


def loads(by_operation: Mapping[str, int]) -> list[Load]:
    """Calls per bucket, the slowest to drain first."""
    calls: Counter[str] = Counter()
    rates: dict[str, float] = {}
    for op, count in by_operation.items():
        service, operation = op.split(":", 1)
        bucket, rate = bucket_of(service, operation)
        calls[bucket] += count
        rates[bucket] = rate
    out = [Load(b, n, rates[b]) for b, n in calls.items()]
    return sorted(out, key=lambda load: (-load.seconds, load.bucket))


@dataclass(frozen=True)
class Bound:
    """The quota-bound minimum of a set of calls: the slowest bucket, drained at its rate."""

    seconds: float
    bucket: str
    calls: int
    per_second: float


def minimum(by_operation: Mapping[str, int]) -> Bound:
    """calls / quota for every bucket; buckets drain in parallel, so the largest decides."""
    ranked = loads(by_operation)
    if not ranked:
        return Bound(0.0, "-", 0, 0.0)
    worst = ranked[0]
    return Bound(worst.seconds, worst.bucket, worst.calls, worst.per_second)


def peak_rate(stamps: Iterable[tuple[str, float]], window_s: float = 1.0) -> dict[str, int]:
    """The most calls each bucket received in any `window_s` (from `service:Operation`, time)."""
    by_bucket: dict[str, list[float]] = {}
    for op, at in stamps:
        service, operation = op.split(":", 1)
        by_bucket.setdefault(bucket_of(service, operation)[0], []).append(at)
    peaks = {}
    for bucket, times in by_bucket.items():
        times.sort()
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= window_s:
                start += 1
            best = max(best, end - start + 1)
        peaks[bucket] = best
    return peaks


def throttle_answer(service: str) -> tuple[str, int]:
    """The error code and HTTP status each service throttles with."""
    return {
        "lambda": ("TooManyRequestsException", 429),
        "iam": ("Throttling", 400),
        "sts": ("Throttling", 400),
        "cloudwatch": ("Throttling", 400),
        "xray": ("ThrottledException", 429),
    }.get(service, ("ThrottlingException", 400))
