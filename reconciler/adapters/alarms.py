"""Adapter for CloudWatch metric alarms (failures of critical functions and their DLQs)."""

from __future__ import annotations

from typing import Any

from reconciler.adapters.base import Context, changed, tag_changes, tag_list, tag_map
from reconciler.diff import FieldChange
from reconciler.resources import Live, Resource

DEFINITION = (
    "namespace", "metric", "statistic", "dimensions", "period_s", "evaluation_periods",
    "threshold", "comparison", "treat_missing_data", "alarm_actions", "ok_actions",
)  # fmt: skip


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


class Alarms:
    kind = "cloudwatch.alarm"

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        cw = ctx.client("cloudwatch")
        found = cw.describe_alarms(AlarmNames=[resource.id.name], AlarmTypes=["MetricAlarm"])
        alarm = next(iter(found.get("MetricAlarms", [])), None)
        if alarm is None:
            return None
        tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags", [])
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
            "tags": tag_map(tags),
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
        to_set, to_remove = tag_changes(changes)
        if to_set:
            cw.tag_resource(ResourceARN=live.meta["arn"], Tags=tag_list(to_set))
        if to_remove:
            cw.untag_resource(ResourceARN=live.meta["arn"], TagKeys=to_remove)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        # DeleteAlarms succeeds for names that do not exist: already idempotent.
        ctx.client("cloudwatch").delete_alarms(AlarmNames=[resource.id.name])
