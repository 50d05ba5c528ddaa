"""Plan stage: refuse before any write what AWS would refuse midway (runtime dates, account
concurrency); the account's settings are read only when the plan reserves concurrency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.desired import runtimes
from reconciler.errors import InputError, PreflightError
from reconciler.expand.application_autoscaling import TARGET
from reconciler.expand.lambda_ import FUNCTION, PROVISIONED_CONCURRENCY
from reconciler.expand.resources import Live, ResourceId
from reconciler.planning.plan import Op, Plan


def runtime_problems(plan: Plan, today: dt.date) -> tuple[list[str], list[str]]:
    """(refusals, warnings) for the functions this plan creates or updates."""
    refusals: list[str] = []
    warnings: list[str] = []
    for action in plan.actions:
        if action.id.kind != FUNCTION.key or not action.op.configures:
            continue
        runtime = runtimes.known_runtime(str(action.resource.fields["runtime"]))
        reason = runtimes.blocked_reason(
            runtime, today, creating=action.op in (Op.CREATE, Op.REPLACE)
        )
        if reason:
            refusals.append(f"function {action.id.name}: {reason}")
        warning = runtimes.deprecation_warning(runtime, today)
        if warning:
            warnings.append(f"function {action.id.name}: {warning}")
    return refusals, warnings


@dataclass(frozen=True)
class Claim:
    """Concurrency a plan takes from the account's unreserved pool, and what the resources it
    changes hold now (given back when they change)."""

    wanted: int = 0
    freed: int = 0

    @property
    def net(self) -> int:
        return self.wanted - self.freed


@dataclass(frozen=True)
class Room:
    """The account-region's concurrency, as GetAccountSettings answers it."""

    total: int
    unreserved: int

    @property
    def floor(self) -> int:
        return min(100, self.total)  # AWS keeps 100 unreserved (or all of a smaller account's).

    @property
    def spare(self) -> int:
        """What can still be reserved or provisioned out of the unreserved pool."""
        return self.unreserved - self.floor

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> Room:
        limit = settings.get("AccountLimit", {})
        total = int(limit.get("ConcurrentExecutions", 1000))
        return cls(total, int(limit.get("UnreservedConcurrentExecutions", total)))

    def words(self) -> str:
        return f"{self.total} total, {self.unreserved} unreserved"


def claim(plan: Plan, live: Mapping[ResourceId, Live | None]) -> Claim:
    """What the plan reserves and provisions out of the unreserved pool (see below)."""
    reserved, released = _reservations(plan, live)
    provisioned, returned = _unreserved_capacity(plan, live)
    return Claim(reserved + provisioned, released + returned)


def check_concurrency(
    read_settings: Callable[[], Mapping[str, Any]],
    plan: Plan,
    live: Mapping[ResourceId, Live | None],
) -> None:
    """Refuse reserved concurrency, or provisioned concurrency of a function without a
    reservation (AWS takes it from the unreserved pool), that would leave the account under its
    unreserved minimum: AWS would refuse it midway, after other writes.

    The account's settings are read only when the plan reserves something: a converged run
    has nothing to check.
    """
    wanted = claim(plan, live)
    if not wanted.wanted:
        return
    room = Room.of(read_settings())
    if wanted.net > room.spare:
        raise PreflightError(
            f"account concurrency too low: {room.words()}; the stack reserves {wanted.wanted} "
            f"(reserved and provisioned), and AWS keeps at least {room.floor} unreserved"
        )


def _reservations(plan: Plan, live: Mapping[ResourceId, Live | None]) -> tuple[int, int]:
    """Reserved concurrency the plan asks for, and what the functions it changes hold now."""
    wanted, freed = 0, 0
    for action in plan.actions:
        if action.id.kind != FUNCTION.key or not action.op.configures:
            continue
        wanted += int(action.resource.fields.get("reserved_concurrency") or 0)
        current = live.get(action.id)
        freed += int((current.fields.get("reserved_concurrency") or 0) if current else 0)
    return wanted, freed


def _unreserved_capacity(plan: Plan, live: Mapping[ResourceId, Live | None]) -> tuple[int, int]:
    """Provisioned concurrency the plan puts on functions without a reservation, and what
    those configurations hold now. A scaled alias counts at its `max`: the scaler may hold
    that much at any hour, so the account must have room for it before the first write."""
    wanted, freed = 0, 0
    for action in plan.actions:
        if not action.op.configures or action.resource.payload.get("reserved") is not None:
            continue  # inside the function's own reservation, already counted
        if action.id.kind == PROVISIONED_CONCURRENCY.key:
            count = action.resource.fields.get("count")
            if action.resource.payload.get("scaling") is not None:
                continue  # the scaler's: counted at its target's max below
        elif action.id.kind == TARGET.key:
            count = action.resource.payload["scaling"].max
        else:
            continue
        wanted += int(count or 0)
        current = live.get(ResourceId(PROVISIONED_CONCURRENCY.key, action.id.name))
        freed += int((current.fields.get("count") or 0) if current else 0)
    return wanted, freed


def check_watched_alarms(describe: Callable[[list[str]], Mapping[str, Any]], plan: Plan) -> None:
    """Refuse a rollout that would watch an alarm the stack does not make and that does not
    exist: it could never roll back on it. Read only when such a rollout is planned."""
    named = sorted(
        {
            name
            for action in plan.actions
            if action.op.configures and (release := action.resource.payload.get("release"))
            for name in release.spec.existing_alarms
        }
    )
    if not named:
        return
    got = describe(named)
    found = {
        a["AlarmName"] for key in ("MetricAlarms", "CompositeAlarms") for a in got.get(key, [])
    }
    missing = [name for name in named if name not in found]
    if missing:
        raise PreflightError(
            f"rollout.existing_alarms: no alarm {missing[0]!r} in this account and region: a "
            "rollout could never roll back on it (nothing was written)"
        )


def refuse(refusals: list[str]) -> None:
    if refusals:
        raise InputError(refusals[0])
