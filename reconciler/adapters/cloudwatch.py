"""Adapter for CloudWatch: dashboards (what finance sees) and metric alarms (what pages people)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from reconciler.adapters.base import (
    Answer,
    Context,
    DiscoveryScope,
    Found,
    changed,
    gather,
    paginate,
    sync_tags,
    tag_list,
    tag_map,
    unless_missing,
)
from reconciler.adapters.tagging import discovered, tags_of
from reconciler.expand.cloudwatch import ALARM, DASHBOARD
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange

MISSING = ("ResourceNotFound", "ResourceNotFoundException")
# GetDashboard of a missing dashboard: AWS answers ResourceNotFound; LocalStack answers
# InvalidParameterValue "Dashboard <name> does not exist." (a code AWS keeps for bad input,
# so only with that message does it mean absent).
DASHBOARD_MISSING = (*MISSING, Answer("InvalidParameterValue", "does not exist"))


def _cw_tags(cw: Any, arn: str) -> dict[str, str]:
    return tag_map(cw.list_tags_for_resource(ResourceARN=arn).get("Tags", []))


class Dashboards:
    kind = DASHBOARD.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        cw = ctx.client("cloudwatch")
        arn = ctx.target.arn("cloudwatch", f"dashboard/{resource.id.name}", region=False)
        got, tags = gather(
            ctx,
            lambda: unless_missing(
                lambda: cw.get_dashboard(DashboardName=resource.id.name), *DASHBOARD_MISSING
            ),
            lambda: unless_missing(
                lambda: tags_of(ctx, resource.id, arn, partial(_cw_tags, cw, arn)), *MISSING
            ),
        )
        if got is None:
            return None
        arn = got["DashboardArn"]
        fields = {"body": json.loads(got["DashboardBody"]), "tags": tags or {}}
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
        sync_tags(
            changes,
            lambda tags: cw.tag_resource(ResourceARN=live.meta["arn"], Tags=tag_list(tags)),
            lambda keys: cw.untag_resource(ResourceARN=live.meta["arn"], TagKeys=keys),
        )

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        cw = ctx.client("cloudwatch")
        boards = ctx.listed(
            "cloudwatch.dashboards", lambda: paginate(cw, "list_dashboards", "DashboardEntries")
        )
        listed = ((b["DashboardName"], b["DashboardArn"]) for b in boards)
        return discovered(ctx, self.kind, scope, listed, partial(_cw_tags, cw))

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        cw = ctx.client("cloudwatch")
        unless_missing(lambda: cw.delete_dashboards(DashboardNames=[resource.id.name]), *MISSING)

    @staticmethod
    def _put(ctx: Context, resource: Resource) -> None:
        body = json.dumps(resource.fields["body"], sort_keys=True)
        ctx.client("cloudwatch").put_dashboard(DashboardName=resource.id.name, DashboardBody=body)


DEFINITION = (
    "namespace",
    "metric",
    "statistic",
    "dimensions",
    "period_s",
    "evaluation_periods",
    "threshold",
    "comparison",
    "treat_missing_data",
    "alarm_actions",
    "ok_actions",
)


def _definition(name: str, fields: Any) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "Namespace": fields["namespace"],
        "MetricName": fields["metric"],
        "Statistic": fields["statistic"],
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(fields["dimensions"].items())],
        "Period": fields["period_s"],
        "EvaluationPeriods": fields["evaluation_periods"],
        "Threshold": float(fields["threshold"]),
        "ComparisonOperator": fields["comparison"],
        "TreatMissingData": fields["treat_missing_data"],
        "AlarmActions": list(fields["alarm_actions"]),
        "OKActions": list(fields["ok_actions"]),
        "ActionsEnabled": True,
    }


def _alarms(ctx: Context) -> dict[str, Any]:
    """Every metric alarm by name: one listing serves each alarm's read and discovery."""
    cw = ctx.client("cloudwatch")
    return ctx.listed(
        "cloudwatch.alarms",
        lambda: {
            a["AlarmName"]: a
            for a in paginate(cw, "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"])
        },
    )


class Alarms:
    kind = ALARM.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        cw = ctx.client("cloudwatch")
        alarm = _alarms(ctx).get(resource.id.name)
        if alarm is None:
            return None
        fields = {
            "namespace": alarm.get("Namespace"),
            "metric": alarm.get("MetricName"),
            "statistic": alarm.get("Statistic"),
            "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])},
            "period_s": alarm.get("Period"),
            "evaluation_periods": alarm.get("EvaluationPeriods"),
            "threshold": float(alarm.get("Threshold", 0)),
            "comparison": alarm.get("ComparisonOperator"),
            "treat_missing_data": alarm.get("TreatMissingData", "missing"),
            "alarm_actions": tuple(alarm.get("AlarmActions", [])),
            "ok_actions": tuple(alarm.get("OKActions", [])),
            "tags": tags_of(
                ctx, resource.id, alarm["AlarmArn"], partial(_cw_tags, cw, alarm["AlarmArn"])
            ),
        }
        return Live(fields, {"arn": alarm["AlarmArn"]})

    def create(self, ctx: Context, resource: Resource) -> None:
        definition = _definition(resource.id.name, resource.fields)
        ctx.client("cloudwatch").put_metric_alarm(
            **definition, Tags=tag_list(resource.fields["tags"])
        )

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        cw = ctx.client("cloudwatch")
        if changed(changes, *DEFINITION):
            # PutMetricAlarm replaces the whole definition; tags on it would be ignored.
            cw.put_metric_alarm(**_definition(resource.id.name, resource.fields))
        sync_tags(
            changes,
            lambda tags: cw.tag_resource(ResourceARN=live.meta["arn"], Tags=tag_list(tags)),
            lambda keys: cw.untag_resource(ResourceARN=live.meta["arn"], TagKeys=keys),
        )

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        listed = ((name, a["AlarmArn"]) for name, a in _alarms(ctx).items())
        cw = ctx.client("cloudwatch")
        return discovered(ctx, self.kind, scope, listed, partial(_cw_tags, cw))

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        # DeleteAlarms succeeds for names that do not exist: already idempotent.
        ctx.client("cloudwatch").delete_alarms(AlarmNames=[resource.id.name])
