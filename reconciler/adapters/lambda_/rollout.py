"""A release in weighted steps: the alias keeps the version it serves as primary and gives the
new one a share of traffic, step by step, while the alarms and the new version's own errors
are watched; any trouble rolls back at once.

Each step is one UpdateAlias that sets the routing and the description (what step, since when)
together, so AWS always holds a state the next run can read and resume. Capacity is never
changed in the same call: provisioned concurrency on the alias serves its primary version;
when the alias has some, the new version gets its own by number, READY before it takes any
traffic, sized for its largest share. That goes just before the new version becomes primary
(one configuration per version), when Lambda moves the alias's to it, waited for until READY.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import structlog

from reconciler.adapters.base import Context
from reconciler.adapters.lambda_ import provisioned
from reconciler.adapters.lambda_.release import (
    InProgress,
    RolledBack,
    left_s,
    parse,
    steps,
    warm_count,
    weight,
)
from reconciler.errors import ReleaseRolledBack, ResourceFailed
from reconciler.expand.lambda_ import Release

log = structlog.get_logger()

# How often the alarms are looked at while a step holds: a bad version is caught within this.
POLL_S = 5.0
# CloudWatch takes up to a minute to show a datum: the errors looked at reach that far back.
METRIC_LAG_S = 60


def begin(ctx: Context, release: Release, version: str, previous: str, fp: str) -> InProgress:
    """The first step; refused while an alarm already fires (the new version took nothing)."""
    trouble = _alarm_trouble(ctx, release)
    if trouble:
        raise ResourceFailed(
            f"rollout of {release.function} version {version} not started: {trouble}; "
            f"{release.alias} stays on version {previous}"
        )
    _warm(ctx, release, version, previous)
    state = InProgress(version, previous, fp, 1, int(time.time()))
    _route(ctx, release, state)
    return state


def drive(ctx: Context, release: Release, state: InProgress) -> bool:
    """Step on until the new version serves alone (True); roll back on the first trouble.
    Unless the context waits, return False instead of holding a step that is not yet due."""
    while True:
        _still_ours(ctx, release, state)
        # Every trouble of this look, so the cause names each alarm that fired.
        troubles = [
            t for t in (_alarm_trouble(ctx, release), _own_errors(ctx, release, state)) if t
        ]
        if troubles:
            roll_back(ctx, release, state, "; ".join(troubles))
        left = left_s(release.spec, state, time.time())
        if left > 0 and not ctx.rollout_waits:
            return False
        if left > 0:
            time.sleep(min(left, POLL_S))
            continue
        if state.step >= steps(release.spec):
            _finish(ctx, release, state)
            return True
        state = state.moved(state.step + 1, time.time())
        _route(ctx, release, state)


def roll_back(ctx: Context, release: Release, state: InProgress, cause: str) -> None:
    """The previous version primary again with no routing; the cause recorded on the alias,
    so the next run does not release the same fields again."""
    marker = RolledBack(state.version, state.previous, state.fingerprint, int(time.time()), cause)
    _update(ctx, release, state.previous, {}, marker.text())
    log.warning("rollout.rolled_back", alias=release.qualified, version=state.version, cause=cause)
    _settled(ctx, release, state)
    raise ReleaseRolledBack(
        f"{release.qualified} rolled back from version {state.version} to {state.previous}: {cause}"
    )


def _still_ours(ctx: Context, release: Release, state: InProgress) -> None:
    """The alias still holds this step: nobody aborted the rollout (`reconcile rollout abort`
    acts without waiting for the lease this run holds)."""
    got = ctx.client("lambda").get_alias(FunctionName=release.function, Name=release.alias)
    now = parse(got.get("Description"))
    if now != state:
        said = now.cause if isinstance(now, RolledBack) else "its routing changed"
        raise ReleaseRolledBack(
            f"{release.qualified}: the rollout of version {state.version} was stopped from "
            f"elsewhere ({said})"
        )


def abandon(ctx: Context, release: Release, state: InProgress) -> None:
    """A rollout the desired state no longer wants: the previous version alone again."""
    _update(ctx, release, state.previous, {}, "")
    log.info("rollout.abandoned", alias=release.qualified, version=state.version)
    _settled(ctx, release, state)


def _route(ctx: Context, release: Release, state: InProgress) -> None:
    share = weight(release.spec, state.step)
    if share >= 100:
        _make_primary(ctx, release, state, state.text())
    else:
        _update(ctx, release, state.previous, {state.version: share / 100}, state.text())
    log.info("rollout.step", alias=release.qualified, version=state.version, percent=share)


def _finish(ctx: Context, release: Release, state: InProgress) -> None:
    if _weighted(release, state):
        _make_primary(ctx, release, state, "")
    else:
        # Primary since the bake began: only the description is left to clear.
        _update(ctx, release, state.version, {}, "")
    log.info("rollout.done", alias=release.qualified, version=state.version)


def _update(
    ctx: Context, release: Release, primary: str, weights: dict[str, float], description: str
) -> None:
    ctx.client("lambda").update_alias(
        FunctionName=release.function,
        Name=release.alias,
        FunctionVersion=primary,
        RoutingConfig={"AdditionalVersionWeights": weights},
        Description=description,
    )


def _make_primary(ctx: Context, release: Release, state: InProgress, description: str) -> None:
    """The new version serves alone. Its own capacity must go before the alias's moves to it
    (one configuration per version), so its share goes back to the previous version for that
    moment: a version routed to by weight never runs without capacity of its own. The
    alias's capacity is then waited for until READY on the new version."""
    if warm_count(release):
        _update(ctx, release, state.previous, {}, state.text())
        provisioned.drop(ctx, release.function, state.version)
    _update(ctx, release, state.version, {}, description)
    _capacity_ready(ctx, release)


def _warm(ctx: Context, release: Release, version: str, previous: str) -> None:
    """The new version's own capacity, READY before any request is routed to it: the alias's
    serves only its primary version, so the share would otherwise start cold."""
    count = warm_count(release)
    if not count:
        return
    ctx.client("lambda").put_provisioned_concurrency_config(
        FunctionName=release.function, Qualifier=version, ProvisionedConcurrentExecutions=count
    )
    try:
        provisioned.wait_ready(ctx, release.function, version)
    except ResourceFailed as failed:
        # Capacity that never served is not left to be paid for.
        provisioned.drop(ctx, release.function, version)
        raise ResourceFailed(
            f"rollout of {release.function} version {version} not started: {failed}; "
            f"{release.alias} stays on version {previous}"
        ) from failed


def _settled(ctx: Context, release: Release, state: InProgress) -> None:
    """Back on the previous version: the new one's own capacity, if still held, goes, even
    when the desired state this run was given declares none (an abort from an environment
    without capacity must not leave the one that warmed the rollout paid for)."""
    if _weighted(release, state) and state.version in provisioned.configs(ctx, release.function):
        provisioned.drop(ctx, release.function, state.version)
    _capacity_ready(ctx, release)


def _weighted(release: Release, state: InProgress) -> bool:
    """The state is a weighted step (the new version not primary yet)."""
    return state.step <= len(release.spec.weights)


def _capacity_ready(ctx: Context, release: Release) -> None:
    """A move of the primary version moves the alias's provisioned concurrency with it."""
    if provisioned.read_config(ctx, release.function, release.alias) is not None:
        provisioned.wait_ready(ctx, release.function, release.alias)


def _alarm_trouble(ctx: Context, release: Release) -> str | None:
    if not release.alarms:
        return None
    got = ctx.client("cloudwatch").describe_alarms(AlarmNames=list(release.alarms))
    firing = [
        f"alarm {alarm['AlarmName']} is in ALARM ({alarm.get('StateReason', '')})"
        for alarm in got.get("MetricAlarms", []) + got.get("CompositeAlarms", [])
        if alarm.get("StateValue") == "ALARM"
    ]
    return "; ".join(firing) or None


def _own_errors(ctx: Context, release: Release, state: InProgress) -> str | None:
    """Errors of the new version through the alias since the step began (ExecutedVersion)."""
    now = time.time()
    got: dict[str, Any] = ctx.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[
            {"Name": "FunctionName", "Value": release.function},
            {"Name": "Resource", "Value": release.qualified},
            {"Name": "ExecutedVersion", "Value": state.version},
        ],
        StartTime=datetime.fromtimestamp(state.since - METRIC_LAG_S, UTC),
        EndTime=datetime.fromtimestamp(now + METRIC_LAG_S, UTC),
        Period=60,
        Statistics=["Sum"],
    )
    errors = sum(point.get("Sum", 0.0) for point in got.get("Datapoints", []))
    if errors <= 0:
        return None
    return f"version {state.version} answered {errors:g} errors through {release.alias}"
