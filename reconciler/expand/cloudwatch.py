"""Expand stage: the alarms that page people and the dashboard finance reads (pure)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from reconciler.desired.model import AlarmSpec, FunctionSpec, StackSpec
from reconciler.desired.names import NameRule
from reconciler.expand import dashboards
from reconciler.expand.kind import (
    ANY,
    ASSUMED,
    CLOUDWATCH_QUOTAS_PAGE,
    ArnForms,
    Charge,
    Fields,
    Kind,
    Lookup,
    Named,
    Quota,
    Service,
    alarm_owner,
    function_owner,
)
from reconciler.expand.lambda_ import FUNCTION
from reconciler.expand.resources import Resource, ResourceId
from reconciler.expand.sqs import dead_letter_queue
from reconciler.expand.targets import base_name

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext


def _alarm_names(spec: StackSpec) -> list[Named]:
    """One alarm per critical function and declared alarm: `{function}` is its base name."""
    return [
        Named(
            alarm.name,
            f"alarms.{alarm.key}.name (for {function_owner(fn.key)})",
            alarm_owner(fn.key, alarm.key),
            (("function", base_name(fn)),),
        )
        for fn in spec.functions
        if fn.critical
        for alarm in spec.alarms
    ]


def _alarms(stack: StackContext) -> list[Resource]:
    return [
        _alarm(stack, fn, alarm)
        for fn in stack.spec.functions
        if fn.critical
        for alarm in stack.spec.alarms
    ]


def _alarm(stack: StackContext, fn: FunctionSpec, alarm: AlarmSpec) -> Resource:
    function = stack.id(FUNCTION, function_owner(fn.key))
    queue = dead_letter_queue(stack, fn) if alarm.source == "dlq" else None
    dimensions = {"QueueName": queue.name} if queue else {}
    if alarm.source == "function":
        dimensions = {"FunctionName": function.name}
    actions = (stack.spec.alarm_action_arn,) if stack.spec.alarm_action_arn else ()
    fields: dict[str, Any] = {
        "namespace": alarm.namespace,
        "metric": alarm.metric,
        "statistic": alarm.statistic,
        "dimensions": dimensions,
        "period_s": alarm.period_s,
        "evaluation_periods": alarm.evaluation_periods,
        "threshold": alarm.threshold,
        "comparison": alarm.comparison,
        # No data means no failures: an idle pipeline is healthy, not alarming.
        "treat_missing_data": "notBreaching",
        "alarm_actions": actions,
        "ok_actions": actions,
        "tags": stack.tags,
    }
    needs = (function, *((queue,) if queue else ()))
    return Resource(stack.id(ALARM, alarm_owner(fn.key, alarm.key)), fields, depends_on=needs)


def _dashboard_names(spec: StackSpec) -> list[Named]:
    return [Named(spec.dashboard.name, "dashboard.name", "stack")] if spec.dashboard else []


def _dashboards(stack: StackContext) -> list[Resource]:
    spec = stack.spec.dashboard
    if spec is None:
        return []
    functions = [
        (stack.name(FUNCTION, function_owner(fn.key)), fn.alias.name if fn.alias else None)
        for fn in stack.spec.functions
    ]
    fields = {"body": dashboards.body(spec, functions, stack.target.region), "tags": stack.tags}
    # PutDashboard takes no tags: the tags follow in a second call.
    resource_id = ResourceId(DASHBOARD.key, stack.name(DASHBOARD, "stack"))
    return [Resource(resource_id, fields, tagged_after_create=True)]


def _alarm_charge(rid: ResourceId, fields: Fields, _: Lookup, __: dt.date) -> Charge:
    """One alarm a month at its resolution's price: under a 60 s period, high resolution."""
    period = fields.get("period_s")
    high = isinstance(period, int) and period < 60
    key = "cloudwatch.alarm.high_resolution" if high else "cloudwatch.alarm.standard"
    resolution = key.rsplit(".", 1)[1]
    return Charge("alarm", key, Decimal(1), f"1 {resolution} alarm", fields.get("tags") or {})


def _dashboard_charge(rid: ResourceId, fields: Fields, _: Lookup, __: dt.date) -> Charge:
    tags = fields.get("tags") or {}
    return Charge("dashboard", "cloudwatch.dashboard", Decimal(1), "1 dashboard", tags)


CLOUDWATCH = Service(
    "cloudwatch",
    (
        Quota("cloudwatch", "PutMetricAlarm", 3, CLOUDWATCH_QUOTAS_PAGE),
        Quota("cloudwatch", "DeleteAlarms", 3, CLOUDWATCH_QUOTAS_PAGE),
        Quota("cloudwatch", "DescribeAlarms", 9, CLOUDWATCH_QUOTAS_PAGE),
        Quota("cloudwatch", ANY, 10, ASSUMED + "; per API"),
    ),
)
ALARM = Kind(
    key="cloudwatch.alarm",
    tags_listed=True,
    service=CLOUDWATCH,
    names=_alarm_names,
    build=_alarms,
    rule=NameRule("CloudWatch alarm", 255, re.compile(r"^[^\x00-\x1f]+$")),
    arns=ArnForms("cloudwatch", ("alarm:{}",)),
    actions=(
        "cloudwatch:DeleteAlarms",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:TagResource",
        "cloudwatch:UntagResource",
    ),
    # GetMetricStatistics: a rollout watches the errors of the version it releases.
    listing=(
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:ListTagsForResource",
    ),
    creates=("PutMetricAlarm", "Tags"),
    fixed=_alarm_charge,
)
DASHBOARD = Kind(
    key="cloudwatch.dashboard",
    tags_listed=True,
    service=CLOUDWATCH,
    names=_dashboard_names,
    build=_dashboards,
    rule=NameRule("CloudWatch dashboard", 255, re.compile(r"^[A-Za-z0-9_-]+$")),
    # Dashboards are global: their ARN has no region.
    arns=ArnForms("cloudwatch", ("dashboard/{}",), regional=False),
    actions=(
        "cloudwatch:DeleteDashboards",
        "cloudwatch:GetDashboard",
        "cloudwatch:PutDashboard",
        "cloudwatch:TagResource",
        "cloudwatch:UntagResource",
    ),
    listing=("cloudwatch:ListDashboards", "cloudwatch:ListTagsForResource"),
    fixed=_dashboard_charge,
)
