"""Fleet runs: each target the same reconcile as a lone run, under its own lease, with its own
outcome. Account-regions run in parallel, and a few targets of each at once, all on one pacer
per account-region, so its quota is respected however many targets it has. Every target of an
account-region is planned before any of them writes, so that limits they share are counted
together. One target's failure (a role it cannot assume, a throttle storm, bad access) never
stops another.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

import boto3
import structlog
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from reconciler import pipeline
from reconciler.adapters.base import Listings
from reconciler.aws import assume, parameters
from reconciler.aws.pacing import Pacer, with_overrides
from reconciler.errors import InputError, ReconcileError
from reconciler.fleet import budget
from reconciler.fleet.model import Fleet, FleetTarget
from reconciler.output.exits import EXIT_DRIFT, EXIT_FAILED, EXIT_OK, EXIT_UNDONE, exit_code
from reconciler.output.log import describe_error, keep_out_of_logs
from reconciler.planning import preflight

if TYPE_CHECKING:
    from reconciler.model import Options, Outcome, Prepared

# The fleet's exit code is its worst target's: failed, then undone, then drift, then in sync.
SEVERITY = {EXIT_OK: 0, EXIT_DRIFT: 1, EXIT_UNDONE: 2, EXIT_FAILED: 3}
Finish = Callable[["Prepared"], "Outcome"]
# Targets of one account-region run at once (each with its own --max-workers reads).
TARGETS_AT_ONCE = 4
log = structlog.get_logger()


@dataclass(frozen=True)
class TargetRun:
    target: FleetTarget
    exit_code: int
    outcome: Outcome | None  # None: failed before its plan was made
    error: str | None
    duration_s: float


def worst(codes: list[int]) -> int:
    return max(codes, key=lambda code: SEVERITY.get(code, 3), default=EXIT_OK)


def run(
    fleet: Fleet, base: Options, finish: Finish, sessions: Sessions | None = None
) -> list[TargetRun]:
    """Every target's run, in the fleet file's order; `sessions` kept across a watch's cycles
    (assumed credentials refresh themselves). `finish` takes each target's plan on (apply it,
    or report it)."""
    sessions = sessions or Sessions(boto3.session.Session())
    groups = fleet.by_account_region()
    assume.warm(fleet.targets[0].region if fleet.targets else "us-east-1")
    with ThreadPoolExecutor(max_workers=max(1, len(groups))) as pool:
        done = pool.map(lambda targets: _group(base, targets, sessions, finish), groups.values())
        by_target = {r.target: r for runs in done for r in runs}
    return [by_target[t] for t in fleet.targets]


@dataclass(frozen=True)
class Planned:
    """A target after its reads: its plan, or the run it ended as (failed, refused)."""

    target: FleetTarget
    started: float
    prepared: Prepared | None = None
    ended: TargetRun | None = None


def _group(
    base: Options, targets: tuple[FleetTarget, ...], sessions: Sessions, finish: Finish
) -> list[TargetRun]:
    """One account-region's targets: every plan first, then their account-wide limits counted
    together, then each plan applied (or reported)."""
    pacer = Pacer(with_overrides(dict(base.rate_limits)))
    # One cycle's account-wide listings per role: N suffixes cost one listing each, not N.
    listings = {role: Listings(shared=True) for role in {t.role_arn for t in targets}}

    def plan(target: FleetTarget) -> Planned:
        shared = listings[target.role_arn]
        return _plan(base, target, sessions, pacer=pacer, listings=shared)

    # A few targets at once: their round trips overlap, and the shared pacer still holds
    # the account-region to its quota however many run.
    with ThreadPoolExecutor(max_workers=min(TARGETS_AT_ONCE, len(targets))) as pool:
        planned = _within_limits(list(pool.map(plan, targets)))
        return list(pool.map(lambda one: _finish(one, finish), planned))


def _plan(
    base: Options,
    target: FleetTarget,
    sessions: Sessions,
    *,
    pacer: Pacer,
    listings: Listings,
) -> Planned:
    started = time.monotonic()
    if base.runtime.stop is not None and base.runtime.stop.is_set():
        # A watch told to stop finishes the target in flight and starts no other.
        stopped = TargetRun(target, EXIT_UNDONE, None, "not started: the run was stopped", 0.0)
        return Planned(target, started, ended=stopped)
    with _about(target):
        try:
            options = replace(
                base,
                suffix=target.suffix,
                stacks=target.stacks,
                env=target.env,
                region=target.region,
                # The credentials must act in the target's account, assumed or not.
                accounts=(target.account,),
                runtime=replace(
                    base.runtime,
                    session=sessions.for_target(target),
                    pacer=pacer,
                    listings=listings,
                ),
            )
            return Planned(target, started, prepared=pipeline.prepare(options))
        except (ReconcileError, ClientError, BotoCoreError) as exc:
            return Planned(target, started, ended=_failed(target, started, describe_error(exc)))


def _within_limits(planned: list[Planned]) -> list[Planned]:
    """The plans, with those the account-region's concurrency cannot take beside the others
    ended as refused (see fleet/budget.py); the account's settings are read once, and only
    when some plan reserves concurrency."""
    claims = [
        None if p.prepared is None else preflight.claim(p.prepared.plan, p.prepared.live)
        for p in planned
    ]
    pairs = list(zip(planned, claims, strict=True))
    first = next((p.prepared for p, c in pairs if c and c.wanted and p.prepared), None)
    if first is None or not first.options.goal.preflight:
        return planned
    where = f"{first.ctx.target.account_id}/{first.ctx.target.region}"
    try:
        room = preflight.Room.of(first.ctx.client("lambda").get_account_settings())
    except (ClientError, BotoCoreError) as exc:
        # Unknown room: no target that reserves may write on a guess.
        reason = f"account concurrency of {where} unreadable: {describe_error(exc)}"
        return [_refused(p, reason) if c and c.wanted else p for p, c in pairs]
    reasons = budget.refusals(room, claims, where)
    return [p if why is None else _refused(p, why) for p, why in zip(planned, reasons, strict=True)]


def _refused(planned: Planned, reason: str) -> Planned:
    with _about(planned.target):
        return replace(planned, ended=_failed(planned.target, planned.started, reason))


def _finish(planned: Planned, finish: Finish) -> TargetRun:
    if planned.ended is not None:
        return planned.ended
    assert planned.prepared is not None  # a target either ended or has its plan
    target, prepared = planned.target, planned.prepared
    stop = prepared.options.runtime.stop
    if stop is not None and stop.is_set():
        return TargetRun(target, EXIT_UNDONE, None, "not started: the run was stopped", 0.0)
    with _about(target):
        try:
            outcome = finish(prepared)
            # Its report is taken: a fleet of hundreds must not hold every target's clients.
            outcome.prepared.ctx.clients.close()
            return TargetRun(target, exit_code(outcome), outcome, None, _since(planned.started))
        except (ReconcileError, ClientError, BotoCoreError) as exc:
            return _failed(target, planned.started, describe_error(exc))


def _failed(target: FleetTarget, started: float, reason: str) -> TargetRun:
    log.error("fleet.target_failed", reason=reason)
    return TargetRun(target, EXIT_FAILED, None, reason, _since(started))


def _about(target: FleetTarget) -> AbstractContextManager[None]:
    """Log lines of a target name it."""
    return structlog.contextvars.bound_contextvars(
        suffix=target.suffix, account=target.account, region=target.region
    )


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


class Sessions:
    """One AssumeRole per role for the whole fleet, its credentials shared by every region."""

    def __init__(self, base: boto3.session.Session) -> None:
        self._base = base
        self._lock = threading.Lock()
        self._credentials: dict[str, RefreshableCredentials] = {}
        self._sessions: dict[tuple[str | None, str], boto3.session.Session] = {}

    def for_target(self, target: FleetTarget) -> boto3.session.Session:
        """One session per role (or the environment's credentials) and region, shared by
        its targets: a session loads botocore's service models once, however many use it."""
        key = (target.role_arn, target.region)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._session(target)
                self._sessions[key] = session
        return session

    def _session(self, target: FleetTarget) -> boto3.session.Session:
        if target.role_arn is None:
            # The environment's credentials; their account is checked against the target's.
            return assume.session_with(None, target.region)
        credentials = self._credentials.get(target.role_arn)
        if credentials is None:
            name = assume.session_name([target.suffix])
            credentials = assume.assumed_credentials(
                self._base, target.role_arn, target.region, name, self._external_id(target)
            )
            self._credentials[target.role_arn] = credentials
        return assume.session_with(credentials, target.region)

    def _external_id(self, target: FleetTarget) -> str | None:
        ref = target.external_id
        if ref is None:
            return None
        if ref.scheme == "env":
            value = os.environ.get(ref.locator, "")
            if not value:
                raise InputError(f"external_id of {target.label}: ${ref.locator} is not set")
        else:
            key = ("fleet", target.label, "external_id")
            hub_ssm = partial(self._base.client, "ssm", region_name=target.region)
            value = parameters.resolve_ssm({key: ref}, hub_ssm)[key]
        keep_out_of_logs([value])
        return value
