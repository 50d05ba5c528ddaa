"""Adapter for the alias that serves traffic: on a published version whose code and
configuration match the desired ones, published only when none does."""

from __future__ import annotations

from functools import partial
from typing import Any

from reconciler.adapters.base import Context, paginate, unless_missing
from reconciler.adapters.lambda_ import callers, provisioned, smoke
from reconciler.adapters.lambda_.configuration import MISSING, config_fields, wait_ready
from reconciler.adapters.lambda_.layers import layer_ref
from reconciler.expand.lambda_ import ALIAS, version_fingerprint, versioned_digests
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
        if version == "$LATEST":
            return Live({"version_fingerprint": "unpublished"}, {"version": version})
        config = lam.get_function_configuration(FunctionName=function, Qualifier=version)
        fields = config_fields(config, partial(layer_ref, ctx))
        meta = {"version": version, "versioned": versioned_digests(fields)}
        return Live({"version_fingerprint": version_fingerprint(fields)}, meta)

    def explained(
        self, ctx: Context, op: str, resource: Resource, live: Live | None
    ) -> tuple[tuple[FieldChange, ...], tuple[str, ...]]:
        """A move as version numbers (`live: 3 -> 4`), and what the new version is: reused or
        to be published, its code hash, the fields that make it new."""
        if op not in ("create", "update"):
            return (), ()
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
        return (FieldChange(alias, _number(serving), _number(target)),), (note,)

    def create(self, ctx: Context, resource: Resource) -> None:
        self._point(ctx, resource, "create_alias", serving=None)
        self._prune(ctx, resource, keep=set())

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        function, alias = resource.payload["function"], resource.payload["alias"]
        self._point(ctx, resource, "update_alias", serving=str(live.meta.get("version")))
        # Moving an alias re-provisions its provisioned concurrency on the new version.
        if provisioned.read_config(ctx, function, alias) is not None:
            provisioned.wait_ready(ctx, function, alias)
        self._prune(ctx, resource, keep={str(live.meta.get("version"))})

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

    def _point(self, ctx: Context, resource: Resource, operation: str, serving: str | None) -> None:
        call = getattr(ctx.client("lambda"), operation)
        function, alias = resource.payload["function"], resource.payload["alias"]
        version = _version(ctx, resource)
        gate = resource.payload.get("smoke")
        if gate is not None and version != serving:
            smoke.check(ctx, function, version, gate)
        call(FunctionName=function, Name=alias, FunctionVersion=version)

    def _prune(self, ctx: Context, resource: Resource, keep: set[str]) -> None:
        """Remove versions no alias serves (and provisioned concurrency left on them).

        They count against the account's code storage and, with provisioned concurrency,
        cost money for nothing. The version the alias just left is kept for a rollback.
        """
        lam = ctx.client("lambda")
        function = resource.payload["function"]
        aliases = paginate(lam, "list_aliases", "Aliases", FunctionName=function)
        used = {a["FunctionVersion"] for a in aliases} | keep
        for qualifier in provisioned.configs(ctx, function):
            if qualifier.isdigit() and qualifier not in used:
                provisioned.drop(ctx, function, qualifier)
        for version in (v["Version"] for v in _versions(lam, function)):
            if version.isdigit() and version not in used:
                lam.delete_function(FunctionName=function, Qualifier=version)


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
