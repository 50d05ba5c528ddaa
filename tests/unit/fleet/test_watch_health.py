"""watch --fleet's health: unhealthy only when one target keeps failing, and per-target series
with the fleet file's labels only."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.watch.metrics import Metrics

A = ("111111111111", "us-east-1", "pr1")
B = ("222222222222", "eu-west-1", "stg")


def _metrics() -> Metrics:
    return Metrics(stale_after_s=3600, unhealthy_after=3)


def test_one_failed_cycle_of_one_target_is_not_unhealthy() -> None:
    metrics = _metrics()
    for ok_a, ok_b in ((True, False), (True, True), (False, True), (True, False), (True, False)):
        metrics.target(A, ok_a, 1.0, 0)
        metrics.target(B, ok_b, 1.0, 0)
    # Failures spread over targets, none three in a row: healthy.
    assert metrics.health() == (True, "ok")


def test_a_target_failing_cycle_after_cycle_is_unhealthy_until_it_recovers() -> None:
    metrics = _metrics()
    for _ in range(3):
        metrics.target(A, True, 1.0, 0)
        metrics.target(B, False, 1.0, 0)
    ok, reason = metrics.health()
    assert not ok and reason == "failed 3+ cycles in a row: 222222222222/eu-west-1/stg"
    metrics.target(B, True, 1.0, 2)
    assert metrics.health() == (True, "ok")


def test_per_target_series_carry_account_region_and_suffix_only() -> None:
    metrics = _metrics()
    metrics.target(A, True, 2.5, 4)
    metrics.target(B, False, 1.0, 0)
    families = {
        f.name: f
        for f in text_string_to_metric_families(generate_latest(metrics.registry).decode())
    }
    for name in (
        "reconcile_target_cycles",
        "reconcile_target_failures",
        "reconcile_target_consecutive_failures",
        "reconcile_target_changes",
        "reconcile_target_duration_seconds",
    ):
        for sample in families[name].samples:
            assert set(sample.labels) == {"account", "region", "suffix"}, (name, sample)
    values = {
        (s.name, s.labels["suffix"]): s.value
        for family in families.values()
        for s in family.samples
        if "suffix" in s.labels
    }
    assert values[("reconcile_target_failures_total", "pr1")] == 0
    assert values[("reconcile_target_failures_total", "stg")] == 1
    assert values[("reconcile_target_changes_total", "pr1")] == 4
    assert values[("reconcile_target_duration_seconds", "pr1")] == 2.5
