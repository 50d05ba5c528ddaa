"""CloudWatch dashboard tags: AWS tags dashboards, moto only tags alarms."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reconciler.sandbox import moto_backends
from reconciler.sandbox.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.errors import json_error
from reconciler.sandbox.routing import JSON
from reconciler.sandbox.tags import tag_dict, tag_list
from reconciler.sandbox.wsgi import Response, json_response

CLOUDWATCH = "cloudwatch"
_DASHBOARD_ARN = re.compile(r"^arn:[^:]+:cloudwatch:[^:]*:(\d{12}):dashboard/(.+)$")
_AMZ_JSON = "application/x-amz-json-1.0"
DashboardKey = tuple[str, str, str]


class DashboardTags:
    """Tags of dashboards, keyed by account, region and dashboard name."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._tags: dict[DashboardKey, dict[str, str]] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield CLOUDWATCH, "TagResource", self._tag
        yield CLOUDWATCH, "UntagResource", self._untag
        yield CLOUDWATCH, "ListTagsForResource", self._list
        yield CLOUDWATCH, "DeleteDashboards", self._delete_dashboards

    def reset(self) -> None:
        with self._ctx.lock:
            self._tags.clear()

    def _dashboard(self, call: Call) -> DashboardKey | None:
        """The dashboard a JSON-protocol tagging call names, or None to leave it to moto."""
        if call.route.protocol != JSON:
            return None
        match = _DASHBOARD_ARN.match(str(call.json().get("ResourceARN", "")))
        return None if match is None else (match.group(1), call.region, match.group(2))

    def _tag(self, call: Call, forward: Forward) -> Response:
        key = self._dashboard(call)
        if key is None:
            return forward(call)
        if not moto_backends.dashboard_exists(*key):
            return _missing(call)
        with self._ctx.lock:
            self._tags[key] = {**self._tags.get(key, {}), **tag_dict(call.json().get("Tags"))}
        return json_response(200, {}, _AMZ_JSON)

    def _untag(self, call: Call, forward: Forward) -> Response:
        key = self._dashboard(call)
        if key is None:
            return forward(call)
        if not moto_backends.dashboard_exists(*key):
            return _missing(call)
        removed = set(call.json().get("TagKeys") or [])
        with self._ctx.lock:
            kept = {k: v for k, v in self._tags.get(key, {}).items() if k not in removed}
            self._tags[key] = kept
        return json_response(200, {}, _AMZ_JSON)

    def _list(self, call: Call, forward: Forward) -> Response:
        key = self._dashboard(call)
        if key is None:
            return forward(call)
        if not moto_backends.dashboard_exists(*key):
            return _missing(call)
        with self._ctx.lock:
            tags = tag_list(self._tags.get(key, {}))
        return json_response(200, {"Tags": tags}, _AMZ_JSON)

    def _delete_dashboards(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if response.ok:
            names = set(call.json().get("DashboardNames") or [])
            with self._ctx.lock:
                for key in [k for k in self._tags if k[2] in names]:
                    if key[:2] == (call.account, call.region):
                        del self._tags[key]
        return response


def _missing(call: Call) -> Response:
    arn = call.json().get("ResourceARN")
    return json_error("ResourceNotFoundException", 404, f"Dashboard {arn} does not exist")
