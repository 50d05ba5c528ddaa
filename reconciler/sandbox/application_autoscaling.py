"""Application Auto Scaling of Lambda provisioned concurrency, which moto only stores.

moto keeps scalable targets, scheduled actions and policies, and nothing happens. Here:
registering a target brings the alias's provisioned concurrency inside its range (as AWS does
when the resource is active); scheduled actions fire by the local AWS's clock (the `clock` knob,
or real time), set the target's range and clamp the capacity; deregistering deletes the
target's actions and policies; targets carry tags; and what AWS refuses is refused (an alias
that does not exist, an action or policy on a target that is not registered, a schedule or time
zone AWS would not run). Capacity is set the way AWS's scaler sets it, through Lambda's own
PutProvisionedConcurrencyConfig, so Lambda's refusals (an alias with weights) apply to it too.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from moto.applicationautoscaling.models import applicationautoscaling_backends

from reconciler.desired.cron import CronError, firings, parse, zone
from reconciler.expand.application_autoscaling import LINKED_ROLE, LINKED_SERVICE
from reconciler.sandbox.tagging import Tagged
from reconciler.sandbox.wire import moto_backends, moto_delivery
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import json_error
from reconciler.sandbox.wire.routing import REST, Route
from reconciler.sandbox.wire.wsgi import Response, internal_environ, json_response

SERVICE = "application-autoscaling"
NAMESPACE, DIMENSION = "lambda", "lambda:function:ProvisionedConcurrency"
TICK_S = 0.2


def _validation(message: str) -> Response:
    return json_error("ValidationException", 400, message)


def _not_found(message: str) -> Response:
    return json_error("ObjectNotFoundException", 400, message)


class ApplicationAutoScaling:
    """The handlers, and the loop that fires scheduled actions until close()."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        # ARN -> tags; (account, region, resource id) -> who registered it (the loop's caller).
        self._tags: dict[str, dict[str, str]] = {}
        self._owners: dict[tuple[str, str, str], Route] = {}
        self._seen: dt.datetime | None = None
        # (resource id, scaled out): when target tracking last changed the capacity that way.
        self._scaled: dict[tuple[str, bool], float] = {}
        # Resource id -> when target tracking last set its capacity (real time, as metrics).
        self._set_at: dict[str, dt.datetime] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduled-actions", daemon=True)
        self._thread.start()

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield SERVICE, "RegisterScalableTarget", self._register
        yield SERVICE, "DeregisterScalableTarget", self._deregister
        yield SERVICE, "PutScheduledAction", self._put_action
        yield SERVICE, "PutScalingPolicy", self._put_policy
        yield SERVICE, "TagResource", self._tag
        yield SERVICE, "UntagResource", self._untag
        yield SERVICE, "ListTagsForResource", self._list_tags

    def reset(self) -> None:
        with self._ctx.lock:
            self._tags.clear()
            self._owners.clear()
            self._seen = None
            self._scaled.clear()
            self._set_at.clear()

    def tagged(self, account: str, region: str) -> list[Tagged]:
        """Scalable targets of the account-region with their tags (for GetResources)."""
        where = f":{region}:{account}:"
        with self._ctx.lock:
            return [Tagged(arn, dict(tags)) for arn, tags in self._tags.items() if where in arn]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _register(self, call: Call, forward: Forward) -> Response:
        request = call.json()
        rid = str(request.get("ResourceId", ""))
        if request.get("ServiceNamespace") == NAMESPACE:
            refusal = self._alias_refusal(call, rid)
            if refusal is not None:
                return refusal
        forwarded = {k: v for k, v in request.items() if k != "Tags"}
        if request.get("ServiceNamespace") == NAMESPACE:
            # AWS scales Lambda as its service-linked role, and says so in RoleARN.
            forwarded.setdefault("RoleARN", f"arn:aws:iam::{call.account}:{LINKED_ROLE}")
        response = forward(call.with_json(forwarded))
        if not response.ok or request.get("ServiceNamespace") != NAMESPACE:
            return response
        # The account's first Lambda target makes AWS create its service-linked role.
        moto_backends.create_linked_role(call.account, LINKED_SERVICE, LINKED_ROLE)
        arn = str(json.loads(response.body).get("ScalableTargetARN", ""))
        with self._ctx.lock:
            self._owners[(call.account, call.region, rid)] = call.route
            self._tags.setdefault(arn, {}).update(request.get("Tags") or {})
        target = self._target(call.account, call.region, rid)
        if target is not None:
            self._clamp(call.account, call.region, rid, target.min_capacity, target.max_capacity)
        return response

    def _alias_refusal(self, call: Call, rid: str) -> Response | None:
        parts = rid.split(":")
        if len(parts) != 3 or parts[0] != "function":
            return _validation(f"Unsupported resource ID {rid!r}: use function:NAME:ALIAS")
        _, name, qualifier = parts
        if not moto_backends.qualifier_exists(call.account, call.region, name, qualifier):
            return _validation(f"Lambda function {name} with qualifier {qualifier} not found")
        if qualifier == "$LATEST":
            return _validation("Provisioned concurrency cannot be scaled on $LATEST")
        return None

    def _registered(self, call: Call) -> tuple[str, Any] | Response:
        """The request's resource id and its target, or AWS's answer for one not registered."""
        rid = str(call.json().get("ResourceId", ""))
        target = self._target(call.account, call.region, rid)
        if target is None:
            return _not_found(f"No scalable target registered for {rid}")
        return rid, target

    def _deregister(self, call: Call, forward: Forward) -> Response:
        found = self._registered(call)
        if isinstance(found, Response):
            return found
        rid, target = found
        response = forward(call)
        if response.ok:
            # AWS deletes the target's scheduled actions and scaling policies with it.
            backend = applicationautoscaling_backends[call.account][call.region]
            with self._ctx.lock:
                backend.scheduled_actions = [
                    a for a in backend.scheduled_actions if a.resource_id != rid
                ]
                for key in [k for k, p in backend.policies.items() if p.resource_id == rid]:
                    del backend.policies[key]
                self._owners.pop((call.account, call.region, rid), None)
                self._tags.pop(target.arn, None)
        return response

    def _put_action(self, call: Call, forward: Forward) -> Response:
        found = self._registered(call)
        if isinstance(found, Response):
            return found
        request = call.json()
        try:
            parse(str(request.get("Schedule", "")))
            zone(str(request.get("Timezone") or "UTC"))
        except CronError as exc:
            return _validation(str(exc))
        return forward(call)

    def _put_policy(self, call: Call, forward: Forward) -> Response:
        found = self._registered(call)
        return found if isinstance(found, Response) else forward(call)

    def _tagged(self, call: Call) -> tuple[str, dict[str, str]] | Response:
        arn = str(call.json().get("ResourceARN", ""))
        with self._ctx.lock:
            tags = self._tags.get(arn)
        if tags is None:
            return _not_found(f"No scalable target found for {arn}")
        return arn, tags

    def _tag(self, call: Call, forward: Forward) -> Response:
        found = self._tagged(call)
        if isinstance(found, Response):
            return found
        with self._ctx.lock:
            found[1].update(call.json().get("Tags") or {})
        return json_response(200, {})

    def _untag(self, call: Call, forward: Forward) -> Response:
        found = self._tagged(call)
        if isinstance(found, Response):
            return found
        with self._ctx.lock:
            for key in call.json().get("TagKeys") or []:
                found[1].pop(key, None)
        return json_response(200, {})

    def _list_tags(self, call: Call, forward: Forward) -> Response:
        found = self._tagged(call)
        if isinstance(found, Response):
            return found
        with self._ctx.lock:
            return json_response(200, {"Tags": dict(found[1])})

    @staticmethod
    def _target(account: str, region: str, rid: str) -> Any | None:
        backend = applicationautoscaling_backends[account][region]
        return backend.targets.get(DIMENSION, {}).get(rid)

    def _loop(self) -> None:
        judged = time.monotonic()
        while not self._stop.wait(TICK_S):
            try:
                self.fire_due()
                # Target tracking acts on alarms, judged as often as CloudWatch judges them.
                if time.monotonic() - judged >= self._ctx.knobs().alarm_evaluation_seconds:
                    judged = time.monotonic()
                    self.track()
            except RuntimeError:
                continue  # a backend changed under the read; the next tick sees it settled

    def track(self) -> None:
        """Each target-tracking policy on utilization, as its two alarms drive it: above the
        target for 3 one-minute periods scales out, below 90% of it for 15 scales in, to the
        capacity that would have met the target, within the target's range and cooldowns."""
        knobs = self._ctx.knobs()
        with self._ctx.lock:
            owners = dict(self._owners)
        for (account, region, rid), route in sorted(owners.items()):
            target = self._target(account, region, rid)
            policy = _tracking_policy(account, region, rid)
            if target is None or policy is None:
                continue
            current = self._requested(route, account, rid)
            # A capacity is judged on its own utilization: points before it was set do not
            # count (they would scale again for load already answered).
            with self._ctx.lock:
                since = self._set_at.get(rid)
            periods = _utilization(account, region, rid, knobs, since)
            wanted = tracked(policy, periods, current)
            if wanted is None or wanted == current:
                continue
            low, high = int(target.min_capacity), int(target.max_capacity)
            wanted = max(low, min(high, wanted))
            if wanted != current and self._cooled(rid, policy, wanted > current):
                self._ctx.dispatch(_pc_call(route, account, rid, wanted))
                with self._ctx.lock:
                    self._set_at[rid] = dt.datetime.now(dt.UTC)

    def _cooled(self, rid: str, policy: dict[str, Any], out: bool) -> bool:
        """Whether the cooldown of the last change this way is over (then it starts again)."""
        key = "ScaleOutCooldown" if out else "ScaleInCooldown"
        scale = self._ctx.knobs().metric_period_scale
        wait = float(policy.get(key) or 0) * scale
        now = time.monotonic()
        with self._ctx.lock:
            last = self._scaled.get((rid, out))
            if last is not None and now - last < wait:
                return False
            self._scaled[(rid, out)] = now
        return True

    def fire_due(self) -> None:
        """Run every scheduled action whose time came since the last look, as AWS does: the
        target's range becomes the action's, and the capacity is brought inside it."""
        now = self._ctx.knobs().now()
        with self._ctx.lock:
            since, self._seen = self._seen, now
            owners = dict(self._owners)
        if since is None or now <= since:
            return
        for (account, region, rid), _ in sorted(owners.items()):
            due = self._last_due(account, region, rid, since, now)
            if due is None:
                continue
            low, high = due
            target = self._target(account, region, rid)
            if target is None:
                continue
            target.update(low, high, None)
            self._clamp(account, region, rid, target.min_capacity, target.max_capacity)

    def _last_due(
        self, account: str, region: str, rid: str, since: dt.datetime, now: dt.datetime
    ) -> tuple[int | None, int | None] | None:
        backend = applicationautoscaling_backends[account][region]
        fired = []
        for action in list(backend.scheduled_actions):
            if action.resource_id != rid or action.scalable_dimension != DIMENSION:
                continue
            try:
                cron = parse(str(action.schedule))
            except CronError:
                continue
            # (since, now]: an action due exactly at `now` fires now, and only once.
            window = firings(cron, action.timezone or "UTC", since, now + dt.timedelta(seconds=1))
            times = [t for t in window if since < t <= now]
            if times:
                # moto keeps the request's ScalableTargetAction object as it came.
                bounds: Any = action.scalable_target_action or {}
                fired.append((times[-1], bounds.get("MinCapacity"), bounds.get("MaxCapacity")))
        if not fired:
            return None
        _, low, high = max(fired, key=lambda f: f[0])
        return low, high

    def _clamp(
        self, account: str, region: str, rid: str, low: int | None, high: int | None
    ) -> None:
        """The alias's provisioned concurrency brought inside [low, high], through Lambda."""
        with self._ctx.lock:
            route = self._owners.get((account, region, rid))
        if route is None:
            return
        current = self._requested(route, account, rid)
        value = current
        if low is not None:
            value = max(value, int(low))
        if high is not None:
            value = min(value, int(high))
        if value != current and value > 0:
            self._ctx.dispatch(_pc_call(route, account, rid, value))

    def _requested(self, route: Route, account: str, rid: str) -> int:
        answer = self._ctx.dispatch(_pc_call(route, account, rid, None))
        if not answer.ok:
            return 0
        return int(json.loads(answer.body).get("RequestedProvisionedConcurrentExecutions", 0))


# The alarms Application Auto Scaling makes for a Lambda target-tracking policy: the high one
# on 3 one-minute periods above the target, the low one on 15 below 90% of it.
HIGH_PERIODS, LOW_PERIODS, LOW_SHARE = 3, 15, 0.9
METRIC = "ProvisionedConcurrencyUtilization"


def tracked(policy: dict[str, Any], periods: list[float | None], current: int) -> int | None:
    """The capacity target tracking moves to (None: neither alarm is in ALARM). `periods`:
    the Maximum utilization of each one-minute period, newest first (None: no data, which
    alarms neither way)."""
    target = float(policy.get("TargetValue") or 0)
    if target <= 0 or current <= 0:
        return None
    high = periods[:HIGH_PERIODS]
    if len(high) == HIGH_PERIODS and all(p is not None and p > target for p in high):
        return math.ceil(current * max(p for p in high if p is not None) / target)
    low = periods[:LOW_PERIODS]
    if len(low) == LOW_PERIODS and all(p is not None and p < target * LOW_SHARE for p in low):
        return max(1, math.ceil(current * max(p for p in low if p is not None) / target))
    return None


def _tracking_policy(account: str, region: str, rid: str) -> dict[str, Any] | None:
    backend = applicationautoscaling_backends[account][region]
    for policy in list(backend.policies.values()):
        if policy.resource_id == rid and policy.policy_type == "TargetTrackingScaling":
            config: dict[str, Any] = policy.target_tracking_scaling_policy_configuration or {}
            return config
    return None


def _utilization(
    account: str, region: str, rid: str, knobs: Any, since: dt.datetime | None
) -> list[float | None]:
    """The Maximum utilization the alias's metric recorded per one-minute period (scaled by
    the period knob), newest first, for as many periods as the low alarm looks at; a period
    that began before `since` has no data."""
    _, name, qualifier = rid.split(":")
    dimensions = {"FunctionName": name, "Resource": f"{name}:{qualifier}"}
    recorded = moto_delivery.metric_values(account, region, "AWS/Lambda", METRIC, dimensions)
    period = dt.timedelta(seconds=60 * knobs.metric_period_scale)
    now = dt.datetime.now(dt.UTC)
    out: list[float | None] = []
    for index in range(LOW_PERIODS):
        end = now - period * index
        values = [v for at, v in recorded if end - period <= at < end]
        fresh = since is None or end - period >= since
        out.append(max(values) if values and fresh else None)
    return out


def _pc_call(route: Route, account: str, rid: str, value: int | None) -> Call:
    """Lambda's Get (value None) or PutProvisionedConcurrencyConfig on the target's alias, as
    Application Auto Scaling calls it."""
    _, name, qualifier = rid.split(":")
    body = b"" if value is None else json.dumps({"ProvisionedConcurrentExecutions": value}).encode()
    operation = "PutProvisionedConcurrencyConfig" if value else "GetProvisionedConcurrencyConfig"
    method = "GET" if value is None else "PUT"
    path = f"/2019-09-30/functions/{quote(name)}/provisioned-concurrency"
    environ = {**internal_environ(method, path, body), "QUERY_STRING": f"Qualifier={qualifier}"}
    lambda_route = Route(
        "lambda", operation, route.region, route.access_key, REST, {"FunctionName": name}
    )
    return Call(lambda_route, account, environ, body)
