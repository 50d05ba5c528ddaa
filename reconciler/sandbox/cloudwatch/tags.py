"""CloudWatch dashboard and alarm tags, kept the way AWS keeps them (moto tags alarms only)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reconciler.sandbox.tagging import Tagged
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import json_error
from reconciler.sandbox.wire.routing import JSON
from reconciler.sandbox.wire.tags import tag_dict, tag_list
from reconciler.sandbox.wire.wsgi import Response, json_response

CLOUDWATCH = "cloudwatch"
DASHBOARD, ALARM = "dashboard", "alarm"
# Dashboards are global (no region in their ARN); alarms are regional.
_TAGGABLE_ARN = re.compile(r"^arn:[^:]+:cloudwatch:([^:]*):(\d{12}):(dashboard/|alarm:)(.+)$")
_AMZ_JSON = "application/x-amz-json-1.0"
ResourceKey = tuple[str, str, str, str]


class CloudWatchTags:
    """Tags keyed by account, region, kind and name; other ARNs are left to moto."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._tags: dict[ResourceKey, dict[str, str]] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield CLOUDWATCH, "TagResource", self._tag
        yield CLOUDWATCH, "UntagResource", self._untag
        yield CLOUDWATCH, "ListTagsForResource", self._list
        yield CLOUDWATCH, "DeleteDashboards", self._delete_dashboards
        yield CLOUDWATCH, "PutMetricAlarm", self._put_alarm
        yield CLOUDWATCH, "PutCompositeAlarm", self._put_alarm
        yield CLOUDWATCH, "DeleteAlarms", self._delete_alarms

    def reset(self) -> None:
        with self._ctx.lock:
            self._tags.clear()

    def tagged(self, account: str, region: str) -> list[Tagged]:
        """Alarms and dashboards of the account-region with their tags (for GetResources)."""
        with self._ctx.lock:
            held = [(k, dict(t)) for k, t in self._tags.items() if k[:2] == (account, region)]
        return [Tagged(_arn(key), tags) for key, tags in held]

    def _resource(self, call: Call) -> ResourceKey | None:
        """The dashboard or alarm a JSON-protocol tagging call names, or None for moto."""
        if call.route.protocol != JSON:
            return None
        match = _TAGGABLE_ARN.match(str(call.json().get("ResourceARN", "")))
        if match is None:
            return None
        region, account, kind, name = match.groups()
        if kind == "alarm:":
            return account, region, ALARM, name
        return account, call.region, DASHBOARD, name

    def _tag(self, call: Call, forward: Forward) -> Response:
        key = self._resource(call)
        if key is None:
            return forward(call)
        if not _exists(key):
            return _missing(call)
        with self._ctx.lock:
            self._tags[key] = {**self._tags.get(key, {}), **tag_dict(call.json().get("Tags"))}
        return json_response(200, {}, _AMZ_JSON)

    def _untag(self, call: Call, forward: Forward) -> Response:
        key = self._resource(call)
        if key is None:
            return forward(call)
        if not _exists(key):
            return _missing(call)
        removed = set(call.json().get("TagKeys") or [])
        with self._ctx.lock:
            kept = {k: v for k, v in self._tags.get(key, {}).items() if k not in removed}
            self._tags[key] = kept
        return json_response(200, {}, _AMZ_JSON)

    def _list(self, call: Call, forward: Forward) -> Response:
        key = self._resource(call)
        if key is None:
            return forward(call)
        if not _exists(key):
            return _missing(call)
        with self._ctx.lock:
            tags = tag_list(self._tags.get(key, {}))
        return json_response(200, {"Tags": tags}, _AMZ_JSON)

    def _put_alarm(self, call: Call, forward: Forward) -> Response:
        if call.route.protocol != JSON:
            return forward(call)
        request = call.json()
        key = (call.account, call.region, ALARM, str(request.get("AlarmName", "")))
        created = not _exists(key)
        tags = tag_dict(request.pop("Tags", None))
        response = forward(call.with_json(request))
        # Tags count only when the call creates the alarm; on an update AWS ignores them
        # and only TagResource/UntagResource change an existing alarm's tags.
        if response.ok and created:
            with self._ctx.lock:
                self._tags[key] = tags
        return response

    def _delete_alarms(self, call: Call, forward: Forward) -> Response:
        return self._forget_deleted(call, forward, ALARM, "AlarmNames")

    def _delete_dashboards(self, call: Call, forward: Forward) -> Response:
        return self._forget_deleted(call, forward, DASHBOARD, "DashboardNames")

    def _forget_deleted(self, call: Call, forward: Forward, kind: str, field: str) -> Response:
        response = forward(call)
        if response.ok:
            names = call.json().get(field) or []
            doomed = {(call.account, call.region, kind, str(name)) for name in names}
            with self._ctx.lock:
                for key in doomed & self._tags.keys():
                    del self._tags[key]
        return response


def _arn(key: ResourceKey) -> str:
    account, region, kind, name = key
    if kind == ALARM:
        return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
    return f"arn:aws:cloudwatch::{account}:dashboard/{name}"


def _exists(key: ResourceKey) -> bool:
    account, region, kind, name = key
    if kind == ALARM:
        return moto_backends.alarm_exists(account, region, name)
    return moto_backends.dashboard_exists(account, region, name)


def _missing(call: Call) -> Response:
    arn = call.json().get("ResourceARN")
    return json_error("ResourceNotFoundException", 404, f"{arn} does not exist")
