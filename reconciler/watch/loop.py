"""Watch: scheduled drift correction. Reconcile, sleep with jitter, repeat; one failed cycle
never kills the loop, and SIGTERM lets the change in flight finish before exiting 0."""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import FrameType

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from reconciler import pipeline
from reconciler.aws.clients import CallCount
from reconciler.errors import ReconcileError
from reconciler.fleet import run as fleet_run
from reconciler.fleet.model import Fleet, FleetTarget
from reconciler.fleet.run import Sessions
from reconciler.model import Options, Outcome
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


# One cycle: its exit code, whether it counts as failed for the pause's backoff, and whether a
# release in steps is under way (the next cycle then comes within RELEASE_LOOK_S).
Cycle = Callable[[Options, Metrics], tuple[int, bool, bool]]
# While a rollout is under way its alarms are looked at every cycle: at least this often.
RELEASE_LOOK_S = 30.0


def run(options: Options, schedule: Schedule, one: Cycle | None = None) -> int:
    """The loop; returns the exit code (`--once`: that cycle's; otherwise 0 on a signal)."""
    one = one or cycle
    stop = threading.Event()
    _on_signals(stop)
    # A rollout goes on across cycles (one look and the steps due per cycle); a single
    # cycle (--once) waits it out, since no next cycle is coming to watch its alarms.
    options = replace(
        options, runtime=replace(options.runtime, stop=stop), rollout_waits=schedule.once
    )
    metrics = Metrics(
        schedule.stale_after_s or 2 * schedule.interval_s + 1800, schedule.unhealthy_after
    )
    server = serve(metrics, schedule.metrics_port) if schedule.metrics_port else None
    failures = 0
    try:
        while True:
            code, failed, releasing = one(options, metrics)
            if schedule.once:
                return code
            failures = failures + 1 if failed else 0
            pause = _pause(schedule, failures)
            if releasing:
                pause = min(pause, RELEASE_LOOK_S)
                log.info("watch.releasing", next_cycle_s=round(pause, 1))
            if stop.wait(pause) or stop.is_set():
                log.info("watch.stopped")
                return 0
    finally:
        if server is not None:
            server.shutdown()


def cycle(options: Options, metrics: Metrics) -> tuple[int, bool, bool]:
    """One reconcile; every failure is logged and counted, never raised."""
    started = time.monotonic()
    try:
        outcome = pipeline.execute(pipeline.prepare(options))
    except (ReconcileError, ClientError, BotoCoreError, OSError) as exc:
        log.error("reconcile.failed", error=describe_error(exc))
        metrics.cycle(time.monotonic() - started, False, {}, {}, None)
        return 1, True, False
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
    return code, code != 0, _releasing(outcome)


def _releasing(outcome: Outcome | None) -> bool:
    """A release in steps the run left under way (see Action.releasing)."""
    remaining = None if outcome is None else outcome.remaining
    return remaining is not None and any(a.releasing for a in remaining.actions)


def fleet_cycle(fleet: Fleet, sessions: Sessions) -> Cycle:
    """A fleet's cycle: every target once, each counted apart. It backs off only when every
    target failed (credentials, reach): one target's trouble must not slow the others."""

    def one(options: Options, metrics: Metrics) -> tuple[int, bool, bool]:
        started = time.monotonic()
        runs = fleet_run.run(fleet, options, pipeline.execute, sessions)
        for done in runs:
            changes = len(done.outcome.prepared.plan.actions) if done.outcome else 0
            metrics.target(_where(done.target), done.exit_code == 0, done.duration_s, changes)
        all_failed = bool(runs) and all(done.exit_code != 0 for done in runs)
        metrics.cycle(time.monotonic() - started, not all_failed, *_totals(runs))
        code = fleet_run.worst([done.exit_code for done in runs])
        failed = [done.target.label for done in runs if done.exit_code != 0]
        log.info("fleet.cycle", targets=len(runs), failed=failed, exit_code=code)
        return code, all_failed, any(_releasing(done.outcome) for done in runs)

    return one


def _totals(
    runs: list[fleet_run.TargetRun],
) -> tuple[dict[str, int], dict[str, int], CallCount]:
    """The fleet's drift by kind, actions by op and calls, summed over its targets."""
    drift: Counter[str] = Counter()
    applied: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    retries = 0
    for outcome in (done.outcome for done in runs if done.outcome is not None):
        drift.update(a.id.kind for a in outcome.prepared.plan.actions)
        if outcome.result is not None:
            applied.update(a.op.value for a in outcome.result.applied)
        calls.update(outcome.calls.by_operation)
        retries += outcome.calls.retries
    return dict(drift), dict(applied), CallCount(dict(calls), retries)


def _where(target: FleetTarget) -> tuple[str, str, str]:
    return target.account, target.region, target.suffix


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
