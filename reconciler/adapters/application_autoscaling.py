"""Adapter for Application Auto Scaling targets of aliases' provisioned concurrency, with their
scheduled actions and target-tracking policy (deregistering a target deletes both)."""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from functools import partial
from typing import Any

import structlog
from botocore.exceptions import ClientError

from reconciler.adapters.base import (
    Answer,
    Context,
    DiscoveryScope,
    Found,
    changed,
    found,
    paginate,
    sync_tags,
    unless_missing,
)
from reconciler.adapters.lambda_ import provisioned
from reconciler.adapters.tagging import tags_of
from reconciler.desired.model import ScalingSpec
from reconciler.desired.scaling import in_force
from reconciler.expand.application_autoscaling import (
    DIMENSION,
    METRIC,
    NAMESPACE,
    POLICY,
    TARGET,
    resource_id,
)
from reconciler.expand.lambda_ import ALIAS, PROVISIONED_CONCURRENCY
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.planning.diff import FieldChange

# AWS answers ObjectNotFoundException; some emulators a ValidationException saying so.
MISSING = ("ObjectNotFoundException", Answer("ValidationException", "No scalable target found"))
_KEY = {"ServiceNamespace": NAMESPACE, "ScalableDimension": DIMENSION}
# The kinds a target hangs off: an alias, its capacity, or a target already known.
_HOSTS = frozenset({ALIAS.key, PROVISIONED_CONCURRENCY.key, TARGET.key})
# HTTP 501: the endpoint does not offer the API at all (AWS always does).
NOT_OFFERED = 501
log = structlog.get_logger()


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _targets(ctx: Context) -> dict[str, dict[str, Any]]:
    """Every Lambda scalable target of the account-region by resource id, and AWS's clock
    when it was read: one listing serves reads and discovery."""
    client = ctx.client("application-autoscaling")

    def load() -> dict[str, dict[str, Any]]:
        listed = paginate(
            client, "describe_scalable_targets", "ScalableTargets", ServiceNamespace=NAMESPACE
        )
        return {t["ResourceId"]: t for t in listed if t["ScalableDimension"] == DIMENSION}

    return ctx.listed("appautoscaling.targets", load)


def aws_now(client: Any) -> dt.datetime:
    """AWS's own time (a response's Date header): the schedule in force is AWS's to say, not
    this machine's clock's."""
    answer = client.describe_scalable_targets(ServiceNamespace=NAMESPACE, MaxResults=1)
    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    if date:
        return email.utils.parsedate_to_datetime(date).astimezone(dt.UTC)
    return dt.datetime.fromtimestamp(time.time(), dt.UTC)


def starting_range(client: Any, scaling: ScalingSpec) -> tuple[int, int]:
    """The range a new target starts in: the schedule's action in force now, or its own."""
    return in_force(scaling, aws_now(client)) if scaling.schedule else (scaling.min, scaling.max)


class ScalableTargets:
    kind = TARGET.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        rid = resource_id(resource.id.name)
        target = _targets(ctx).get(rid)
        if target is None:
            return None
        client = ctx.client("application-autoscaling")
        arn = target["ScalableTargetARN"]
        actions = paginate(
            client, "describe_scheduled_actions", "ScheduledActions", ResourceId=rid, **_KEY
        )
        policies = paginate(
            client, "describe_scaling_policies", "ScalingPolicies", ResourceId=rid, **_KEY
        )
        ours = next((p for p in policies if p["PolicyName"] == POLICY), None)
        fields = {
            "min": target["MinCapacity"],
            "max": target["MaxCapacity"],
            "schedule": {a["ScheduledActionName"]: _action_fields(a) for a in actions},
            "tracking": _tracking_fields(ours),
            # Someone else's policy on our target scales against ours: drift, removed.
            "other_policies": tuple(sorted(p["PolicyName"] for p in policies if p is not ours)),
            "tags": tags_of(ctx, resource.id, arn, partial(_tags, client, arn)),
        }
        # When it was registered: what its schedule held since (reconcile cost) starts there.
        meta = {"arn": target["ScalableTargetARN"], "created": target.get("CreationTime")}
        return Live(fields, meta)

    def create(self, ctx: Context, resource: Resource) -> None:
        client = ctx.client("application-autoscaling")
        rid = resource_id(resource.id.name)
        low, high = starting_range(client, resource.payload["scaling"])
        client.register_scalable_target(
            ResourceId=rid, MinCapacity=low, MaxCapacity=high, Tags=resource.fields["tags"], **_KEY
        )
        _capacity_inside(ctx, resource.id.name, (low, high))
        for name, action in resource.fields["schedule"].items():
            _put_action(client, rid, name, action)
        if resource.fields["tracking"]:
            _put_policy(client, rid, resource.fields["tracking"])

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        client = ctx.client("application-autoscaling")
        rid = resource_id(resource.id.name)
        wanted = resource.fields["schedule"]
        for name in sorted(
            {c.path.split(".")[1] for c in changes if c.path.startswith("schedule.")}
        ):
            if name in wanted:
                _put_action(client, rid, name, wanted[name])
            else:
                client.delete_scheduled_action(ScheduledActionName=name, ResourceId=rid, **_KEY)
        if changed(changes, "min", "max", "schedule"):
            # A changed schedule may put another action in force now: the range it sets.
            low, high = starting_range(client, resource.payload["scaling"])
            client.register_scalable_target(
                ResourceId=rid, MinCapacity=low, MaxCapacity=high, **_KEY
            )
            _capacity_inside(ctx, resource.id.name, (low, high))
        if changed(changes, "tracking"):
            self._track(client, rid, resource.fields["tracking"])
        for name in (
            live.fields.get("other_policies", ()) if changed(changes, "other_policies") else ()
        ):
            client.delete_scaling_policy(PolicyName=name, ResourceId=rid, **_KEY)
        arn = live.meta["arn"]
        sync_tags(
            changes,
            lambda tags: client.tag_resource(ResourceARN=arn, Tags=tags),
            lambda keys: client.untag_resource(ResourceARN=arn, TagKeys=keys),
        )

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        """Deregistering deletes the target's scheduled actions and policies with it; the
        alias's provisioned concurrency stays at its last value until its own kind goes."""
        client = ctx.client("application-autoscaling")
        rid = resource_id(resource.id.name)
        unless_missing(lambda: client.deregister_scalable_target(ResourceId=rid, **_KEY), *MISSING)

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        """Targets of the suffix's aliases. A target only ever scales an alias of ours, so a
        desired state that declares no alias has none to find: no listing then."""
        if not any(k.kind in _HOSTS for k in scope.known):
            return []
        client = ctx.client("application-autoscaling")
        try:
            targets = _targets(ctx)
        except ClientError as exc:
            if _status(exc) != NOT_OFFERED:
                raise
            # An endpoint without the service (an emulator's free tier) holds no target.
            log.warning("scaling.not_offered", kind=self.kind, reason=str(exc))
            return []
        out = []
        for rid, target in sorted(targets.items()):
            qualified = rid.removeprefix("function:")
            function = qualified.split(":", 1)[0]
            # Named after its alias: the function's name carries the suffix.
            if not function.endswith(f"-{scope.suffix}"):
                continue
            if ResourceId(self.kind, qualified) in scope.known:
                continue
            arn = target["ScalableTargetARN"]
            read = partial(_tags, client, arn)
            known = ResourceId(self.kind, qualified)
            out.append(found(self.kind, qualified, partial(tags_of, ctx, known, arn, read)))
        return out

    @staticmethod
    def _track(client: Any, rid: str, tracking: dict[str, Any] | None) -> None:
        if tracking:
            _put_policy(client, rid, tracking)
        else:
            unless_missing(
                lambda: client.delete_scaling_policy(PolicyName=POLICY, ResourceId=rid, **_KEY),
                *MISSING,
            )


def _capacity_inside(ctx: Context, qualified: str, bounds: tuple[int, int]) -> None:
    """Registering brings the alias's capacity inside the range (AWS does so on its own
    time): waited for until READY there, so that verification finds it settled."""
    function, alias = qualified.split(":", 1)
    if provisioned.read_config(ctx, function, alias) is not None:
        provisioned.wait_ready(ctx, function, alias, within=bounds)


def _action_fields(action: dict[str, Any]) -> dict[str, Any]:
    bounds = action.get("ScalableTargetAction") or {}
    return {
        "cron": action.get("Schedule"),
        "timezone": action.get("Timezone") or "UTC",
        "min": bounds.get("MinCapacity"),
        "max": bounds.get("MaxCapacity"),
    }


def _tracking_fields(policy: dict[str, Any] | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    return {
        "target": config.get("TargetValue"),
        "scale_in_cooldown_s": config.get("ScaleInCooldown", 0),
        "scale_out_cooldown_s": config.get("ScaleOutCooldown", 0),
    }


def _put_action(client: Any, rid: str, name: str, action: dict[str, Any]) -> None:
    client.put_scheduled_action(
        ScheduledActionName=name,
        ResourceId=rid,
        Schedule=action["cron"],
        Timezone=action["timezone"],
        ScalableTargetAction={"MinCapacity": action["min"], "MaxCapacity": action["max"]},
        **_KEY,
    )


def _put_policy(client: Any, rid: str, tracking: dict[str, Any]) -> None:
    client.put_scaling_policy(
        PolicyName=POLICY,
        ResourceId=rid,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": tracking["target"],
            "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
            "ScaleInCooldown": tracking["scale_in_cooldown_s"],
            "ScaleOutCooldown": tracking["scale_out_cooldown_s"],
        },
        **_KEY,
    )


def _tags(client: Any, arn: str) -> dict[str, str]:
    return dict(client.list_tags_for_resource(ResourceARN=arn).get("Tags") or {})
