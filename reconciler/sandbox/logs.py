"""CloudWatch Logs groups as AWS describes them: each with its log class."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.wsgi import Response

LOGS = "logs"
STANDARD = "STANDARD"  # the class of a group created without one
GroupKey = tuple[str, str, str]


class LogGroupClasses:
    """moto (5.2) neither keeps a group's `logGroupClass` nor describes it; AWS always does."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._classes: dict[GroupKey, str] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LOGS, "CreateLogGroup", self._create
        yield LOGS, "DeleteLogGroup", self._delete
        yield LOGS, "DescribeLogGroups", self._describe

    def reset(self) -> None:
        with self._ctx.lock:
            self._classes.clear()

    def _create(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if response.ok:
            request = call.json()
            with self._ctx.lock:
                self._classes[self._key(call, request)] = str(
                    request.get("logGroupClass") or STANDARD
                )
        return response

    def _delete(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if response.ok:
            with self._ctx.lock:
                self._classes.pop(self._key(call, call.json()), None)
        return response

    def _describe(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if not response.ok:
            return response
        payload = response.json()
        with self._ctx.lock:
            for group in payload.get("logGroups") or []:
                key = (call.account, call.region, str(group.get("logGroupName", "")))
                group.setdefault("logGroupClass", self._classes.get(key, STANDARD))
        return response.with_json(payload)

    @staticmethod
    def _key(call: Call, request: dict[str, object]) -> GroupKey:
        return (call.account, call.region, str(request.get("logGroupName", "")))
