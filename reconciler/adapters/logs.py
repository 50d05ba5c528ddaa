"""Adapter for CloudWatch Logs log groups (created before the function, with retention and
deletion protection as declared; a protected group is released by the plan, never deleted)."""

from __future__ import annotations

from functools import partial
from typing import Any

import structlog

from reconciler.adapters.base import (
    Context,
    DiscoveryScope,
    Found,
    changed,
    paginate,
    sync_tags,
    unless_missing,
)
from reconciler.adapters.tagging import discovered, tags_of
from reconciler.expand.logs import LOG_GROUP
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange

MISSING = ("ResourceNotFoundException",)
log = structlog.get_logger()


def _groups(ctx: Context) -> dict[str, Any]:
    """Every log group by name: one listing serves each group's read and discovery."""
    logs = ctx.client("logs")
    return ctx.listed(
        "logs.log_groups",
        lambda: {g["logGroupName"]: g for g in paginate(logs, "describe_log_groups", "logGroups")},
    )


def _group(ctx: Context, name: str) -> dict[str, Any] | None:
    if ctx.listings is not None:
        return _groups(ctx).get(name)
    # Outside a snapshot (the re-check after a delete) one prefix query is cheaper.
    groups = ctx.client("logs").describe_log_groups(logGroupNamePrefix=name, limit=50)
    return next((g for g in groups["logGroups"] if g["logGroupName"] == name), None)


class LogGroups:
    kind = LOG_GROUP.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        logs = ctx.client("logs")
        name = resource.id.name
        group = _group(ctx, name)
        if group is None:
            return None
        arn = ctx.target.arn("logs", f"log-group:{name}")
        fields = {
            "retention_days": group.get("retentionInDays"),
            "deletion_protection": bool(group.get("deletionProtectionEnabled", False)),
            "tags": tags_of(ctx, resource.id, arn, partial(_tags, logs, arn)),
        }
        return Live(fields, {"arn": arn})

    def create(self, ctx: Context, resource: Resource) -> None:
        logs = ctx.client("logs")
        name = resource.id.name
        # Tags at creation: a crash right after never leaves an untagged orphan. Protection
        # is sent only when wanted (off is AWS's default, and older emulators lack the key).
        protect = (
            {"deletionProtectionEnabled": True} if resource.fields["deletion_protection"] else {}
        )
        logs.create_log_group(logGroupName=name, tags=dict(resource.fields["tags"]), **protect)
        if resource.fields["retention_days"] is not None:
            self._retention(logs, name, resource.fields["retention_days"])

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        logs = ctx.client("logs")
        if changed(changes, "retention_days"):
            self._retention(logs, resource.id.name, resource.fields["retention_days"])
        if changed(changes, "deletion_protection"):
            logs.put_log_group_deletion_protection(
                logGroupIdentifier=resource.id.name,
                deletionProtectionEnabled=bool(resource.fields["deletion_protection"]),
            )
        sync_tags(
            changes,
            lambda tags: logs.tag_resource(resourceArn=live.meta["arn"], tags=tags),
            lambda keys: logs.untag_resource(resourceArn=live.meta["arn"], tagKeys=keys),
        )

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        listed = ((name, g["arn"].removesuffix(":*")) for name, g in _groups(ctx).items())
        return discovered(ctx, self.kind, scope, listed, partial(_tags, ctx.client("logs")))

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        logs = ctx.client("logs")
        name = resource.id.name
        unless_missing(lambda: logs.delete_log_group(logGroupName=name), *MISSING)
        # A function still running (or one deleted moments ago) can make Lambda re-create its
        # log group, untagged and never expiring: look once more and delete what came back.
        if self.read(ctx, resource) is not None:
            log.warning("log_group.recreated", kind=self.kind, name=name)
            unless_missing(lambda: logs.delete_log_group(logGroupName=name), *MISSING)

    @staticmethod
    def _retention(logs: Any, name: str, days: int | None) -> None:
        # A never-expiring log group is a cost leak: only a system taken over as it is keeps
        # one, until its desired state names a retention.
        if days is None:
            logs.delete_retention_policy(logGroupName=name)
        else:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)


def _tags(logs: Any, arn: str) -> dict[str, str]:
    return dict(logs.list_tags_for_resource(resourceArn=arn).get("tags", {}))
