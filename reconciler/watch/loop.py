"""Watch: scheduled drift correction. Reconcile, sleep with jitter, repeat; one failed cycle
never kills the loop, and SIGTERM lets the change in flight finish before exiting 0."""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from types import FrameType

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from reconciler import pipeline
from reconciler.errors import ReconcileError
from reconciler.output.exits import exit_code
from reconciler.output.log import describe_error
from reconciler.watch.metrics import Metrics, serve

log = structlog.get_logger()


@dataclass(frozen=True)
class Schedule:
    interval_s: float
    once: bool = False
    metrics_port: int | None = None
    # After k failed cycles in a row the pause grows to interval x 2^(k-1), at most x 8.
    max_backoff: int = 8
    unhealthy_after: int = 3
    stale_after_s: float | None = None


def run(options: pipeline.Options, schedule: Schedule) -> int:
    """The loop; returns the exit code (`--once`: that cycle's; otherwise 0 on a signal)."""
    stop = threading.Event()
    _on_signals(stop)
    options = replace(options, stop=stop)
    metrics = Metrics(
        schedule.stale_after_s or 2 * schedule.interval_s + 1800, schedule.unhealthy_after
    )
    server = serve(metrics, schedule.metrics_port) if schedule.metrics_port else None
    failures = 0
    try:
        while True:
            code = cycle(options, metrics)
            if schedule.once:
                return code
            failures = 0 if code == 0 else failures + 1
            if stop.wait(_pause(schedule, failures)) or stop.is_set():
                log.info("watch.stopped")
                return 0
    finally:
        if server is not None:
            server.shutdown()


def cycle(options: pipeline.Options, metrics: Metrics) -> int:
    """One reconcile; every failure is logged and counted, never raised."""
    started = time.monotonic()
    try:
        outcome = pipeline.execute(pipeline.prepare(options))
    except (ReconcileError, ClientError, BotoCoreError, OSError) as exc:
        log.error("reconcile.failed", error=describe_error(exc))
        metrics.cycle(time.monotonic() - started, False, {}, {}, None)
        return 1
    code = exit_code(outcome)
    drift = Counter(a.id.kind for a in outcome.prepared.plan.actions)
    applied = Counter(a.op.value for a in outcome.result.applied) if outcome.result else {}
    metrics.cycle(outcome.duration_s, code == 0, dict(drift), dict(applied), outcome.calls)
    log.info(
        "reconcile.finished",
        exit_code=code,
        drift=sum(drift.values()),
        reads=outcome.calls.reads,
        writes=outcome.calls.writes,
    )
    if code != 0:
        log.error("reconcile.failed", exit_code=code)
    return code


def _pause(schedule: Schedule, failures: int) -> float:
    factor = min(2 ** max(failures - 1, 0), schedule.max_backoff) if failures else 1
    # Jitter spreads many environments' cycles so they do not hit AWS in step.
    return float(schedule.interval_s * factor * random.uniform(0.9, 1.1))


def _on_signals(stop: threading.Event) -> None:
    def handle(signum: int, _: FrameType | None) -> None:
        log.info("watch.signal", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
