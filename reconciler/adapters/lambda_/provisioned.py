"""Adapter for provisioned concurrency: on the alias (never $LATEST), waited for until READY."""

from __future__ import annotations

from typing import Any

from reconciler.adapters.base import Context, changed, paginate, unless_missing
from reconciler.adapters.lambda_.release import InProgress, parse
from reconciler.errors import ResourceFailed
from reconciler.expand.lambda_ import PROVISIONED_CONCURRENCY
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange

MISSING = ("ProvisionedConcurrencyConfigNotFoundException", "ResourceNotFoundException")


def read_config(ctx: Context, function: str, alias: str) -> dict[str, Any] | None:
    lam = ctx.client("lambda")
    got: dict[str, Any] | None = unless_missing(
        lambda: lam.get_provisioned_concurrency_config(FunctionName=function, Qualifier=alias),
        *MISSING,
    )
    return got


def configs(ctx: Context, function: str) -> dict[str, dict[str, Any]]:
    """Provisioned concurrency configurations of a function, by qualifier."""
    lam = ctx.client("lambda")
    listed = unless_missing(
        lambda: paginate(
            lam,
            "list_provisioned_concurrency_configs",
            "ProvisionedConcurrencyConfigs",
            FunctionName=function,
        ),
        *MISSING,
    )
    return {c["FunctionArn"].rsplit(":", 1)[1]: c for c in listed or []}


def drop(ctx: Context, function: str, qualifier: str) -> None:
    lam = ctx.client("lambda")
    unless_missing(
        lambda: lam.delete_provisioned_concurrency_config(
            FunctionName=function, Qualifier=qualifier
        ),
        *MISSING,
    )


def wait_ready(
    ctx: Context, function: str, alias: str, within: tuple[int, int] | None = None
) -> None:
    """Until READY (and, given `within`, requested inside that range: a scaler brings it
    there on its own time); FAILED ends the wait with AWS's StatusReason."""

    def check() -> tuple[bool, str]:
        config = read_config(ctx, function, alias) or {}
        status = str(config.get("Status", "missing"))
        if status == "FAILED":
            reason = config.get("StatusReason", "no reason given")
            raise ResourceFailed(f"provisioned concurrency on {function}:{alias} FAILED: {reason}")
        allocated = config.get("AllocatedProvisionedConcurrentExecutions", 0)
        requested = config.get("RequestedProvisionedConcurrentExecutions", 0)
        inside = within is None or within[0] <= requested <= within[1]
        return status == "READY" and inside, f"{status} {allocated}/{requested}"

    qualified = f"{function}:{alias}"
    what = f"provisioned concurrency {qualified} READY"
    ctx.pc_wait.until(check, what, kind=PROVISIONED_CONCURRENCY.key, name=qualified)


def _rolling_out(ctx: Context, function: str, alias: str) -> tuple[str, ...]:
    """The version a release in steps is warming on the alias: its own capacity is the
    rollout's (it goes when the version becomes primary), not capacity left over."""
    lam = ctx.client("lambda")
    got = unless_missing(lambda: lam.get_alias(FunctionName=function, Name=alias), *MISSING)
    state = parse(None if got is None else got.get("Description"))
    return (state.version,) if isinstance(state, InProgress) else ()


class ProvisionedConcurrency:
    kind = PROVISIONED_CONCURRENCY.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        """One list call: the alias's configuration and any left on other qualifiers.

        Some left elsewhere while the alias has none (a function taken over) reads as a count
        of none: the plan shows that it goes, and the update puts the alias's and removes it.
        """
        function, alias = resource.payload["function"], resource.payload["alias"]
        by_qualifier = configs(ctx, function)
        config = by_qualifier.pop(alias, None)
        for warming in _rolling_out(ctx, function, alias) if by_qualifier else ():
            by_qualifier.pop(warming, None)
        if config is None and not by_qualifier:
            return None
        config = config or {}
        fields = {
            "count": config.get("RequestedProvisionedConcurrentExecutions"),
            "status": config.get("Status"),
            "elsewhere": tuple(sorted(by_qualifier)),
        }
        # When it was last set: what it has cost since (reconcile cost) is counted from then.
        meta = {"reason": config.get("StatusReason"), "since": config.get("LastModified")}
        return Live(fields, meta)

    def create(self, ctx: Context, resource: Resource) -> None:
        self._put(ctx, resource)
        self._remove_elsewhere(ctx, resource)

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        if changed(changes, "elsewhere"):
            self._remove_elsewhere(ctx, resource)
        if changed(changes, "count") or live.fields.get("status") == "FAILED":
            self._put(ctx, resource)
        elif changed(changes, "status"):
            wait_ready(ctx, resource.payload["function"], resource.payload["alias"])

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        drop(ctx, resource.payload["function"], resource.payload["alias"])

    def _remove_elsewhere(self, ctx: Context, resource: Resource) -> None:
        """Provisioned concurrency on a qualifier no one serves is paid for nothing."""
        function, alias = resource.payload["function"], resource.payload["alias"]
        kept = {alias, *_rolling_out(ctx, function, alias)}
        for qualifier in sorted(set(configs(ctx, function)) - kept):
            drop(ctx, function, qualifier)

    def _put(self, ctx: Context, resource: Resource) -> None:
        function, alias = resource.payload["function"], resource.payload["alias"]
        ctx.client("lambda").put_provisioned_concurrency_config(
            FunctionName=function,
            Qualifier=alias,
            ProvisionedConcurrentExecutions=_count(resource),
        )
        wait_ready(ctx, function, alias)


def _count(resource: Resource) -> int:
    """The declared count; scaled, the count is the scaler's (adopted from live when there
    is one): a new one starts at the declared value, or the scaling's minimum, and the
    target's registration brings it inside the range in force (its adapter waits for that)."""
    scaling = resource.payload.get("scaling")
    count = resource.fields["count"]
    if scaling is None or count:
        return int(count)
    return max(int(resource.payload.get("fixed") or scaling.min), 1)
