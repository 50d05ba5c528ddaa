"""Adapter for the alias that serves traffic: on a published version whose code and
configuration match the desired ones, published only when none does."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any

from reconciler.adapters.base import Context, paginate, unless_missing
from reconciler.adapters.lambda_ import callers, provisioned, release, rollout, smoke
from reconciler.adapters.lambda_.configuration import MISSING, config_fields, wait_ready
from reconciler.adapters.lambda_.layers import layer_ref
from reconciler.cost.prices import table_for
from reconciler.expand.lambda_ import (
    ALIAS,
    ONGOING,
    Release,
    version_fingerprint,
    versioned_digests,
)
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange


class Aliases:
    kind = ALIAS.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        lam = ctx.client("lambda")
        function, alias = resource.payload["function"], resource.payload["alias"]
        got = unless_missing(lambda: lam.get_alias(FunctionName=function, Name=alias), *MISSING)
        if got is None:
            return None
        version = got["FunctionVersion"]
        weights = _weights(got)
        state = release.parse(got.get("Description"))
        routing = {
            "routing": dict(weights),
            ONGOING: _under_way(state),
        }
        if version == "$LATEST":
            return Live({"version_fingerprint": "unpublished", **routing}, {"version": version})
        config = lam.get_function_configuration(FunctionName=function, Qualifier=version)
        fields = config_fields(config, partial(layer_ref, ctx))
        meta = {
            "version": version,
            "versioned": versioned_digests(fields),
            "release": state,
            **_held(ctx, resource, state),
        }
        return Live({"version_fingerprint": version_fingerprint(fields), **routing}, meta)

    def explained(
        self, ctx: Context, op: str, resource: Resource, live: Live | None
    ) -> tuple[tuple[FieldChange, ...], tuple[str, ...]]:
        """A move as version numbers (`live: 3 -> 4`) and how it is released; what the new
        version is: reused or to be published, its code hash, the fields that make it new."""
        if op not in ("create", "update"):
            return (), ()
        state = None if live is None else live.meta.get("release")
        if live is not None and isinstance(state, release.InProgress):
            return _resumed(resource, live, state)
        function, alias = resource.payload["function"], resource.payload["alias"]
        # A function created by this same plan has no versions yet (AWS: not found).
        lam = ctx.client("lambda")
        versions = unless_missing(lambda: _versions(lam, function), *MISSING) or []
        reused = _matching(ctx, versions, resource.fields["version_fingerprint"])
        target = reused or _next_version(versions)
        serving = None if live is None else str(live.meta.get("version"))
        code = str(resource.payload["code_sha256"])
        how = "published before, reused" if reused else "to be published"
        note = f"version {target}: {how}, code sha256 {code[:16]}"
        if live is not None and (fresh := _new_in(resource, live)):
            note += f"; new in it: {', '.join(fresh)}"
        plan = _rollout(ctx, resource)
        stepped = plan.spec.stepped and serving is not None and serving != target
        words = release.strategy_words(plan.spec, plan.alarms, target) if stepped else ""
        move = FieldChange(alias, _number(serving), _number(target), how=words)
        capacity = release.capacity_words(plan, serving, target, _gb_second(ctx, plan))
        notes = (note, *((capacity,) if stepped else ()))
        return (move, *_leftover(live)), notes

    def create(self, ctx: Context, resource: Resource) -> None:
        self._point(ctx, resource, "create_alias", serving=None, clear={})
        self._prune(ctx, resource, keep=set())

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        function, alias = resource.payload["function"], resource.payload["alias"]
        serving = str(live.meta.get("version"))
        state = live.meta.get("release")
        plan = _rollout(ctx, resource)
        if isinstance(state, release.InProgress):
            if state.fingerprint == resource.fields["version_fingerprint"]:
                if rollout.drive(ctx, plan, state):
                    self._prune(ctx, resource, keep={state.previous})
                return
            # The desired state moved on during the rollout: back to where it started.
            rollout.abandon(ctx, plan, state)
            serving = state.previous
        moved = self._point(ctx, resource, "update_alias", serving=serving, clear=_clear(live))
        if moved is None:
            return  # a rollout in progress: the next cycle goes on with it
        # Moving an alias re-provisions its provisioned concurrency on the new version.
        if moved and provisioned.read_config(ctx, function, alias) is not None:
            provisioned.wait_ready(ctx, function, alias)
        self._prune(ctx, resource, keep={serving})

    def callers_notes(self, ctx: Context, op: str, resource: Resource) -> tuple[str, ...]:
        """What invokes the alias: when it moves they follow it to the new version (AWS keeps
        them on the alias), so the plan names them for the reviewer."""
        if op != "update":
            return ()
        function, alias = resource.payload["function"], resource.payload["alias"]
        on = f"alias {alias}"
        found = callers.callers(ctx, function)
        return tuple(c.line("follows it to the new version") for c in found if c.qualifier == on)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        function, alias = resource.payload["function"], resource.payload["alias"]
        lam = ctx.client("lambda")
        unless_missing(lambda: lam.delete_alias(FunctionName=function, Name=alias), *MISSING)

    def _point(
        self,
        ctx: Context,
        resource: Resource,
        operation: str,
        serving: str | None,
        clear: dict[str, Any],
    ) -> bool | None:
        """The alias on the wanted version, after its smoke test: at once, or by a rollout.
        True when moved at once; False when a rollout finished; None while one goes on."""
        function, alias = resource.payload["function"], resource.payload["alias"]
        version = _version(ctx, resource)
        gate = resource.payload.get("smoke")
        if gate is not None and version != serving:
            smoke.check(ctx, function, version, gate)
        plan = _rollout(ctx, resource)
        if serving is not None and version != serving and plan.spec.stepped:
            fp = resource.fields["version_fingerprint"]
            done = rollout.drive(ctx, plan, rollout.begin(ctx, plan, version, serving, fp))
            return False if done else None
        # Any routing or rollout record left on the alias goes in the same call.
        call = getattr(ctx.client("lambda"), operation)
        call(FunctionName=function, Name=alias, FunctionVersion=version, **clear)
        return version != serving

    def _prune(self, ctx: Context, resource: Resource, keep: set[str]) -> None:
        """Remove versions no alias serves (and provisioned concurrency left on them).

        They count against the account's code storage and, with provisioned concurrency,
        cost money for nothing. The version the alias just left is kept for a rollback.
        """
        lam = ctx.client("lambda")
        function = resource.payload["function"]
        aliases = paginate(lam, "list_aliases", "Aliases", FunctionName=function)
        routed = {v for a in aliases for v in _weights(a)}
        used = {a["FunctionVersion"] for a in aliases} | routed | keep
        for qualifier in provisioned.configs(ctx, function):
            if qualifier.isdigit() and qualifier not in used:
                provisioned.drop(ctx, function, qualifier)
        for version in (v["Version"] for v in _versions(lam, function)):
            if version.isdigit() and version not in used:
                lam.delete_function(FunctionName=function, Qualifier=version)


def _rollout(ctx: Context, resource: Resource) -> Release:
    """How the alias is released; scaled, with the alias's live capacity (the scaler's: a
    peak's during a peak), which a move carries to the new version, not a declared minimum."""
    release_: Release = resource.payload["release"]
    if not release_.scaled:
        return release_
    config = provisioned.read_config(ctx, release_.function, release_.alias) or {}
    live = int(config.get("RequestedProvisionedConcurrentExecutions") or 0)
    return replace(release_, provisioned=live)


def _clear(live: Live) -> dict[str, Any]:
    """What a move at once must also undo: routing to another version, our rollout record."""
    clear: dict[str, Any] = {}
    if live.fields.get("routing"):
        clear["RoutingConfig"] = {"AdditionalVersionWeights": {}}
    if live.meta.get("release") is not None:
        clear["Description"] = ""
    return clear


def _weights(alias: dict[str, Any]) -> dict[str, float]:
    """The versions an alias routes a share of its traffic to, by weight."""
    return dict((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})


def _gb_second(ctx: Context, plan: Release) -> Decimal | None:
    """The region's price of a provisioned GB-second for the function's architecture."""
    table = table_for(ctx.target.region)
    return None if table is None else table[f"lambda.provisioned.{plan.architecture}"].amount


def _under_way(state: release.InProgress | release.RolledBack | None) -> str | None:
    """A rollout in progress as a field: what differs from an alias that serves alone."""
    if not isinstance(state, release.InProgress):
        return None
    since = release.clock(state.since)
    return f"version {state.version} from {state.previous}, step {state.step} since {since}"


def _held(
    ctx: Context, resource: Resource, state: release.InProgress | release.RolledBack | None
) -> dict[str, Any]:
    """A release of these fields was rolled back: the planner holds it (unless --retry)."""
    if not isinstance(state, release.RolledBack) or ctx.retry_release:
        return {}
    return {"held": ("version_fingerprint", state.fingerprint, state.held())}


def _resumed(
    resource: Resource, live: Live, state: release.InProgress
) -> tuple[tuple[FieldChange, ...], tuple[str, ...]]:
    """A rollout in progress: where it is, and what the run does with it."""
    alias = resource.payload["alias"]
    spec = resource.payload["release"].spec
    move = FieldChange(alias, _number(state.previous), _number(state.version))
    if state.fingerprint != resource.fields["version_fingerprint"] or not spec.stepped:
        note = (
            f"rollout of version {state.version} in progress, no longer wanted: {alias} goes "
            f"back to version {state.previous} first"
        )
        return _leftover(live), (note,)
    ongoing = FieldChange(ONGOING, live.fields.get(ONGOING), None)
    return (move, ongoing), (release.progress_words(spec, state, time.time()),)


def _leftover(live: Live | None) -> tuple[FieldChange, ...]:
    """Routing to another version that no rollout of ours holds: drift, cleared."""
    weights = {} if live is None else live.fields.get("routing") or {}
    return (FieldChange("routing", weights, {}),) if weights else ()


def _versions(lam: Any, function: str) -> list[dict[str, Any]]:
    return paginate(lam, "list_versions_by_function", "Versions", FunctionName=function)


def _matching(ctx: Context, versions: list[dict[str, Any]], wanted: str) -> str | None:
    """The newest published version frozen from exactly the wanted fields, if any."""
    for config in reversed(versions):
        fields = config_fields(config, partial(layer_ref, ctx))
        if config["Version"] != "$LATEST" and version_fingerprint(fields) == wanted:
            return str(config["Version"])
    return None


def _number(version: str | None) -> int | str | None:
    """A version as its number (`3 -> 4`); `$LATEST` and none as they are."""
    return int(version) if version is not None and version.isdigit() else version


def _next_version(versions: list[dict[str, Any]]) -> str:
    """The number the next publish takes: one above the newest still listed (a deleted
    newest one would make it higher, which is why the plan says "to be published")."""
    numbers = [int(v["Version"]) for v in versions if str(v["Version"]).isdigit()]
    return str(max(numbers, default=0) + 1)


def _new_in(resource: Resource, live: Live) -> list[str]:
    """The fields whose values differ between the version served and the one wanted."""
    wanted: dict[str, str] = resource.payload.get("versioned", {})
    serving: dict[str, str] = live.meta.get("versioned", {})
    return sorted(k for k in wanted.keys() | serving.keys() if wanted.get(k) != serving.get(k))


def _version(ctx: Context, resource: Resource) -> str:
    """A version matching the desired code and configuration: reuse one, or publish."""
    lam = ctx.client("lambda")
    function = resource.payload["function"]
    wanted = resource.fields["version_fingerprint"]
    reused = _matching(ctx, _versions(lam, function), wanted)
    if reused is not None:
        return reused
    wait_ready(ctx, function)
    published = lam.publish_version(
        FunctionName=function,
        CodeSha256=resource.payload["code_sha256"],
        Description=f"lambda-reconciler {wanted}",
    )
    return str(published["Version"])
