"""Adapter for CloudWatch dashboards (the finance team's view of the stack)."""

from __future__ import annotations

import json

from reconciler.adapters.base import (
    Context,
    changed,
    tag_changes,
    tag_list,
    tag_map,
    unless_missing,
)
from reconciler.diff import FieldChange
from reconciler.resources import Live, Resource

MISSING = ("ResourceNotFound", "ResourceNotFoundException")


class Dashboards:
    kind = "cloudwatch.dashboard"

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        cw = ctx.client("cloudwatch")
        got = unless_missing(lambda: cw.get_dashboard(DashboardName=resource.id.name), *MISSING)
        if got is None:
            return None
        arn = got["DashboardArn"]
        tags = cw.list_tags_for_resource(ResourceARN=arn).get("Tags", [])
        fields = {"body": json.loads(got["DashboardBody"]), "tags": tag_map(tags)}
        return Live(fields, {"arn": arn})

    def create(self, ctx: Context, resource: Resource) -> None:
        cw = ctx.client("cloudwatch")
        self._put(ctx, resource)
        # PutDashboard takes no tags; tag right after so ownership is known by tags too.
        arn = ctx.target.arn("cloudwatch", f"dashboard/{resource.id.name}", region=False)
        cw.tag_resource(ResourceARN=arn, Tags=tag_list(resource.fields["tags"]))

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        cw = ctx.client("cloudwatch")
        if changed(changes, "body"):
            self._put(ctx, resource)
        to_set, to_remove = tag_changes(changes)
        if to_set:
            cw.tag_resource(ResourceARN=live.meta["arn"], Tags=tag_list(to_set))
        if to_remove:
            cw.untag_resource(ResourceARN=live.meta["arn"], TagKeys=to_remove)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        cw = ctx.client("cloudwatch")
        unless_missing(lambda: cw.delete_dashboards(DashboardNames=[resource.id.name]), *MISSING)

    @staticmethod
    def _put(ctx: Context, resource: Resource) -> None:
        body = json.dumps(resource.fields["body"], sort_keys=True)
        ctx.client("cloudwatch").put_dashboard(DashboardName=resource.id.name, DashboardBody=body)
