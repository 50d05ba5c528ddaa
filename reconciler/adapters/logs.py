"""Adapter for CloudWatch Logs log groups (created before the function, with retention)."""

from __future__ import annotations

from typing import Any

from reconciler.adapters.base import Context, changed, sync_tags, unless_missing
from reconciler.diff import FieldChange
from reconciler.resources import Live, Resource


class LogGroups:
    kind = "logs.log_group"

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        logs = ctx.client("logs")
        name = resource.id.name
        groups = logs.describe_log_groups(logGroupNamePrefix=name, limit=50)["logGroups"]
        group = next((g for g in groups if g["logGroupName"] == name), None)
        if group is None:
            return None
        arn = ctx.target.arn("logs", f"log-group:{name}")
        tags = logs.list_tags_for_resource(resourceArn=arn).get("tags", {})
        fields = {"retention_days": group.get("retentionInDays"), "tags": tags}
        return Live(fields, {"arn": arn})

    def create(self, ctx: Context, resource: Resource) -> None:
        logs = ctx.client("logs")
        name = resource.id.name
        # Tags at creation: a crash right after never leaves an untagged orphan.
        logs.create_log_group(logGroupName=name, tags=dict(resource.fields["tags"]))
        self._retention(logs, name, resource.fields["retention_days"])

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        logs = ctx.client("logs")
        if changed(changes, "retention_days"):
            self._retention(logs, resource.id.name, resource.fields["retention_days"])
        sync_tags(
            changes,
            lambda tags: logs.tag_resource(resourceArn=live.meta["arn"], tags=tags),
            lambda keys: logs.untag_resource(resourceArn=live.meta["arn"], tagKeys=keys),
        )

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        logs = ctx.client("logs")
        unless_missing(
            lambda: logs.delete_log_group(logGroupName=resource.id.name),
            "ResourceNotFoundException",
        )

    @staticmethod
    def _retention(logs: Any, name: str, days: int | None) -> None:
        if days is None:
            logs.delete_retention_policy(logGroupName=name)
        else:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
