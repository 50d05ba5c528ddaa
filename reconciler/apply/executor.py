"""Apply stage: the only stage that writes. Walks the plan in dependency waves."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import structlog

from reconciler.adapters import adapter_for
from reconciler.adapters.base import Context
from reconciler.errors import ReleaseRolledBack
from reconciler.expand.catalog import KEYS
from reconciler.expand.resources import Live, ResourceId
from reconciler.output.log import describe_error
from reconciler.planning.plan import Action, Op, Plan

log = structlog.get_logger()


@dataclass(frozen=True)
class Failure:
    action: Action
    reason: str
    # A release that stepped back on trouble: what served before still serves, unchanged.
    rolled_back: bool = False


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[Action, ...]
    failed: tuple[Failure, ...]
    not_attempted: tuple[Action, ...]


def waves(plan: Plan) -> list[list[Action]]:
    """Actions grouped so each wave needs only earlier waves.

    Creates and updates follow their declared dependencies. Deletes come after them, one
    wave per kind in reverse creation order (alarms and aliases, then functions, then their
    log groups, roles, queues, layers, then the boundary): resources found by discovery
    carry no declared dependencies, and the kind order is the dependency order.
    """
    building = [a for a in plan.actions if a.op is not Op.DELETE]
    by_id = {a.id: a for a in building}
    level: dict[ResourceId, int] = {}
    for action in building:  # plan order already respects dependencies
        before = [level[d] for d in action.resource.depends_on if d in by_id and d in level]
        level[action.id] = 1 + max(before, default=-1)
    grouped: dict[int, list[Action]] = {}
    for action in building:
        grouped.setdefault(level[action.id], []).append(action)
    result = [grouped[k] for k in sorted(grouped)]
    deletes = [a for a in plan.actions if a.op is Op.DELETE]
    for kind in reversed(KEYS):
        wave = [a for a in deletes if a.id.kind == kind]
        if wave:
            result.append(wave)
    return result


def apply(
    ctx: Context,
    plan: Plan,
    live: Mapping[ResourceId, Live | None],
    workers: int,
    allow_replace: bool,
    *,
    stops: Sequence[threading.Event] = (),
) -> ApplyResult:
    """Run every action; a failed wave stops the waves after it, and so does any of `stops`
    (a signal, a lost lease: actions in flight finish, nothing new starts, so a change is
    never cut in half)."""
    applied: list[Action] = []
    failed: list[Failure] = []
    pending = waves(plan)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while pending and not failed and not any(e.is_set() for e in stops):
            wave = pending.pop(0)
            outcomes = pool.map(lambda a: _run(ctx, a, live.get(a.id), allow_replace), wave)
            for action, failure in zip(wave, outcomes, strict=True):
                if failure is None:
                    applied.append(action)
                else:
                    failed.append(failure)
    rest = tuple(a for wave in pending for a in wave)
    return ApplyResult(tuple(applied), tuple(failed), rest)


def _run(ctx: Context, action: Action, live: Live | None, allow_replace: bool) -> Failure | None:
    """Apply one action; returns its failure (the problem redacted) or None.

    The action is bound to this worker thread's log context, so every event on its way (a
    retry inside the client, a wait) names the stack, kind and resource it belongs to.
    """
    context = {
        "stack_name": action.resource.stack,
        "kind": action.id.kind,
        "name": action.id.name,
        "op": action.op.value,
    }
    with structlog.contextvars.bound_contextvars(**context):
        return _attempt(ctx, action, live, allow_replace)


def _attempt(
    ctx: Context, action: Action, live: Live | None, allow_replace: bool
) -> Failure | None:
    if action.op is Op.REPLACE and not allow_replace:
        fields = ", ".join(c.path for c in action.changes)
        problem = f"needs replacement ({fields}); re-run with --allow-replace to delete and create"
        log.warning("action.refused", reason=problem)
        return Failure(action, problem)
    started = time.monotonic()
    log.info("action.started")
    try:
        _dispatch(ctx, action, live)
    except Exception as exc:  # ours, or AWS's: its message may echo parameters (redacted)
        problem = describe_error(exc)
        log.error("action.failed", error=problem)
        return Failure(action, problem, rolled_back=isinstance(exc, ReleaseRolledBack))
    log.info("action.applied", duration_s=round(time.monotonic() - started, 3))
    return None


def _dispatch(ctx: Context, action: Action, live: Live | None) -> None:
    adapter = adapter_for(action.id.kind)
    resource = action.resource
    if action.op is Op.CREATE:
        adapter.create(ctx, resource)
    elif action.op in (Op.UPDATE, Op.ADOPT, Op.RELEASE):
        # A release changes tags only: the adapter's own tag calls hand the resource back.
        assert live is not None
        adapter.update(ctx, resource, action.changes, live)
    elif action.op is Op.REPLACE:
        adapter.delete(ctx, resource, live)
        adapter.create(ctx, resource)
    else:
        adapter.delete(ctx, resource, live)
