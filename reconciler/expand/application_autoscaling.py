"""Expand stage: Application Auto Scaling of an alias's provisioned concurrency (pure).

One scalable target per scaled alias (`function:NAME:ALIAS`,
`lambda:function:ProvisionedConcurrency`), with its scheduled actions and its target-tracking
policy as fields of it: deregistering the target deletes both, so they live and go with it.
While a target exists the alias's provisioned concurrency is the scaler's: the provisioned
concurrency kind adopts its live count, and a release carries it to the new version.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from reconciler.desired.cron import zone
from reconciler.desired.model import (
    FunctionSpec,
    ScalingSpec,
    ScheduleSpec,
    StackSpec,
    TrackingSpec,
)
from reconciler.desired.scaling import capacity, held, words
from reconciler.expand.kind import (
    ANY,
    ASSUMED,
    ArnForms,
    Charge,
    Fields,
    Kind,
    Lookup,
    Named,
    Quota,
    Service,
)
from reconciler.expand.lambda_ import (
    FUNCTION,
    MB_PER_GB,
    PROVISIONED_CONCURRENCY,
    SCALER,
    architecture_of,
)
from reconciler.expand.resources import Resource, ResourceId

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext

NAMESPACE = "lambda"
DIMENSION = "lambda:function:ProvisionedConcurrency"
METRIC = "LambdaProvisionedConcurrencyUtilization"
# The one target-tracking policy a target of ours has.
POLICY = "provisioned-utilization"
# The role Application Auto Scaling creates for itself on the account's first Lambda target.
LINKED_SERVICE = "lambda.application-autoscaling.amazonaws.com"
LINKED_ROLE_NAME = "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"
LINKED_ROLE = f"role/aws-service-role/{LINKED_SERVICE}/{LINKED_ROLE_NAME}"


def resource_id(qualified: str) -> str:
    """Application Auto Scaling's id of an alias, `function:NAME:ALIAS`."""
    return f"function:{qualified}"


def schedule_fields(schedule: tuple[ScheduleSpec, ...]) -> dict[str, dict[str, object]]:
    return {
        s.name: {"cron": s.cron, "timezone": s.timezone, "min": s.min, "max": s.max}
        for s in schedule
    }


def tracking_fields(tracking: TrackingSpec | None) -> dict[str, object] | None:
    if tracking is None:
        return None
    return {
        "target": tracking.target,
        "scale_in_cooldown_s": tracking.scale_in_cooldown_s,
        "scale_out_cooldown_s": tracking.scale_out_cooldown_s,
    }


def scaling_of(fields: Fields) -> ScalingSpec:
    """The scaling a target's fields (desired or live) declare."""
    schedule = tuple(
        ScheduleSpec(name, str(a["cron"]), str(a["timezone"]), int(a["min"]), int(a["max"]))
        for name, a in sorted((fields.get("schedule") or {}).items())
    )
    t = fields.get("tracking")
    tracking = None if not t else TrackingSpec(float(t["target"]), 0, 0)
    return ScalingSpec(int(fields["min"]), int(fields["max"]), tracking, schedule)


def _names(spec: StackSpec) -> list[Named]:
    """A target is named after its alias: `function:alias` (AWS's id adds `function:`)."""
    return [
        Named(
            f"{fn.name}:{fn.alias.name}",
            f"functions.{fn.key}.alias.scaling",
            f"functions.{fn.key}",
        )
        for fn in spec.functions
        if fn.alias is not None and fn.alias.scaling is not None
    ]


def _targets(stack: StackContext) -> list[Resource]:
    return [_target(stack, fn) for fn in stack.spec.functions if _scaled(fn)]


def _scaled(fn: FunctionSpec) -> bool:
    return fn.alias is not None and fn.alias.scaling is not None


def _target(stack: StackContext, fn: FunctionSpec) -> Resource:
    assert fn.alias is not None and fn.alias.scaling is not None
    scaling = fn.alias.scaling
    qualified = stack.name(TARGET, f"functions.{fn.key}")
    fields = {
        "min": scaling.min,
        "max": scaling.max,
        "schedule": schedule_fields(scaling.schedule),
        "tracking": tracking_fields(scaling.tracking),
        "other_policies": (),
        "tags": stack.tags,
    }
    return Resource(
        ResourceId(TARGET.key, qualified),
        fields,
        depends_on=(ResourceId(PROVISIONED_CONCURRENCY.key, qualified),),
        # With a schedule, the target's range is the last action's: moved by the scaler.
        ignore=("min", "max") if scaling.schedule else (),
        # Unreserved (None), what the scaler may hold comes out of the account's pool.
        payload={"qualified": qualified, "scaling": scaling, "reserved": fn.reserved_concurrency},
        notes=(f"capacity: {words(scaling)} (Application Auto Scaling's, never reset)",),
    )


def month_bounds(month: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The calendar month, midnight to midnight in the schedule's time zone, in UTC."""
    tz = zone(timezone)
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    following = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.UTC), following.astimezone(dt.UTC)


def _charge(rid: ResourceId, fields: Fields, lookup: Lookup, month: dt.date) -> Charge | None:
    """Instance-hours each stretch of the month holds x the function's memory; with target
    tracking, the floor (billed whatever the traffic) and the ceiling beside it."""
    function = lookup(ResourceId(FUNCTION.key, rid.name.split(":", 1)[0]))
    if function is None:
        return None
    scaling = scaling_of(fields)
    zone_name = scaling.schedule[0].timezone if scaling.schedule else "UTC"
    start, end = month_bounds(month, zone_name)
    stretches = held(scaling, start, end)
    floors = capacity(scaling, stretches, scaling.min)
    hours = sum(
        (Decimal(str(s.hours)) * n for s, n in zip(stretches, floors, strict=True)), Decimal(0)
    )
    ceiling = sum(
        (Decimal(str(s.hours)) * (s.action.max if s.action else scaling.max) for s in stretches),
        Decimal(0),
    )
    all_hours = Decimal(str((end - start).total_seconds() / 3600))
    gb = Decimal(function["memory_mb"]) / MB_PER_GB
    peak = max(floors)
    return Charge(
        "provisioned concurrency",
        f"lambda.provisioned.{architecture_of(function)}",
        hours * gb * 3600,
        f"{words(scaling)}: {hours:,.0f} instance-hours in {month:%B %Y} x {gb:.3g} GB",
        function.get("tags") or {},
        most=ceiling * gb * 3600 if scaling.tracking else None,
        instead=peak * all_hours * gb * 3600 if scaling.schedule else None,
        instead_words=f"a fixed {peak} all month",
    )


APPLICATION_AUTOSCALING = Service(
    "application-autoscaling",
    (Quota("application-autoscaling", ANY, 10, ASSUMED + "; per API"),),
)
TARGET = Kind(
    key=SCALER,
    tags_listed=True,
    service=APPLICATION_AUTOSCALING,
    names=_names,
    build=_targets,
    # Named after its alias (`function:alias`): the function's name rule covers it.
    # A target's ARN ends with an id AWS assigns: writes are scoped to the account-region's
    # targets (ownership is by tag, as everywhere); its reads take no resource at all.
    arns=ArnForms("application-autoscaling", ("scalable-target/*",)),
    actions=(
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeleteScheduledAction",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:PutScheduledAction",
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:TagResource",
        "application-autoscaling:UntagResource",
    ),
    listing=(
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:DescribeScheduledActions",
        "application-autoscaling:ListTagsForResource",
    ),
    creates=("RegisterScalableTarget", "Tags"),
    linked_role=(LINKED_SERVICE, LINKED_ROLE),
    fixed=_charge,
)
