"""Adapter for X-Ray groups (one per stack; the account's Default group is never touched)."""

from __future__ import annotations

from functools import partial
from typing import Any

from reconciler.adapters.base import (
    Context,
    DiscoveryScope,
    Found,
    changed,
    paginate,
    sync_tags,
    tag_list,
    tag_map,
    unless_missing,
)
from reconciler.adapters.tagging import discovered, tags_of
from reconciler.expand.resources import Live, Resource
from reconciler.expand.xray import GROUP
from reconciler.planning.diff import FieldChange

MISSING = ("InvalidRequestException", "ResourceNotFoundException")


def _groups(ctx: Context) -> dict[str, Any]:
    """Every group by name (GetGroups returns each one whole): serves reads and discovery."""
    xray = ctx.client("xray")
    return ctx.listed(
        "xray.groups", lambda: {g["GroupName"]: g for g in paginate(xray, "get_groups", "Groups")}
    )


class Groups:
    kind = GROUP.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        xray = ctx.client("xray")
        group = _groups(ctx).get(resource.id.name)
        if group is None:
            return None
        arn = group["GroupARN"]
        fields = {
            "filter_expression": group.get("FilterExpression"),
            "insights_enabled": bool(group.get("InsightsConfiguration", {}).get("InsightsEnabled")),
            "tags": tags_of(ctx, resource.id, arn, partial(_tags, xray, arn)),
        }
        return Live(fields, {"arn": arn})

    def create(self, ctx: Context, resource: Resource) -> None:
        fields = resource.fields
        ctx.client("xray").create_group(
            GroupName=resource.id.name,
            FilterExpression=fields["filter_expression"],
            InsightsConfiguration=_insights(fields["insights_enabled"]),
            Tags=tag_list(fields["tags"]),
        )

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        xray = ctx.client("xray")
        fields = resource.fields
        if changed(changes, "filter_expression", "insights_enabled"):
            xray.update_group(
                GroupName=resource.id.name,
                FilterExpression=fields["filter_expression"],
                InsightsConfiguration=_insights(fields["insights_enabled"]),
            )
        sync_tags(
            changes,
            lambda tags: xray.tag_resource(ResourceARN=live.meta["arn"], Tags=tag_list(tags)),
            lambda keys: xray.untag_resource(ResourceARN=live.meta["arn"], TagKeys=keys),
        )

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        listed = ((name, g["GroupARN"]) for name, g in _groups(ctx).items())
        return discovered(ctx, self.kind, scope, listed, partial(_tags, ctx.client("xray")))

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        if resource.id.name == "Default":
            return  # The account's Default group is AWS's, never ours.
        xray = ctx.client("xray")
        unless_missing(lambda: xray.delete_group(GroupName=resource.id.name), *MISSING)


def _insights(enabled: bool) -> dict[str, bool]:
    return {"InsightsEnabled": enabled, "NotificationsEnabled": False}


def _tags(xray: Any, arn: str) -> dict[str, str]:
    return tag_map(paginate(xray, "list_tags_for_resource", "Tags", ResourceARN=arn))
