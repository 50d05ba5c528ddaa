"""Pacing: calls wait for their quota's token, per bucket, on a clock the test controls."""

from __future__ import annotations

import pytest

from reconciler.aws.pacing import HEADROOM, QUOTAS, Pacer, bucket_of, with_overrides
from reconciler.expand.kind import Quota


class Clock:
    """Time that moves only when something sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def paced(table: tuple[Quota, ...] = QUOTAS) -> tuple[Pacer, Clock]:
    clock = Clock()
    return Pacer(table, clock=clock, sleep=clock.sleep), clock


def test_a_burst_within_one_seconds_worth_never_waits() -> None:
    pacer, clock = paced()
    for _ in range(13):  # 15/s x 0.9 headroom = 13.5 tokens to start with
        pacer.pace("lambda", "ListAliases")
    assert clock.slept == []


def test_beyond_the_burst_calls_go_at_the_quotas_pace() -> None:
    pacer, clock = paced()
    for _ in range(13 + 27):
        pacer.pace("lambda", "GetFunctionEventInvokeConfig")
    rate = 15 * HEADROOM
    # 27 calls past the bucket, at 13.5/s: 2 s, give or take the half token left over.
    assert clock.now - 100.0 == pytest.approx((27 - 0.5) / rate)
    assert pacer.waited_s == pytest.approx(sum(clock.slept))


def test_lambda_shares_one_bucket_but_get_function_has_its_own() -> None:
    assert bucket_of("lambda", "ListAliases") == bucket_of("lambda", "PublishVersion")
    assert bucket_of("lambda", "GetFunction") == ("lambda: GetFunction", 100)
    # Per-API quotas elsewhere: one bucket per operation.
    assert bucket_of("logs", "DescribeLogGroups")[0] != bucket_of("logs", "TagResource")[0]


def test_overrides_replace_a_rate_and_zero_turns_pacing_off() -> None:
    table = with_overrides({"cloudwatch:PutMetricAlarm": 0, "xray": 50})
    assert bucket_of("xray", "GetGroups", table)[1] == 50
    pacer, clock = paced(table)
    for _ in range(500):
        pacer.pace("cloudwatch", "PutMetricAlarm")
    assert clock.slept == []
