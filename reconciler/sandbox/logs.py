"""CloudWatch Logs groups as AWS describes them: each with its log class and its deletion
protection, which AWS enforces."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import json_error
from reconciler.sandbox.wire.wsgi import Response, json_response

LOGS = "logs"
STANDARD = "STANDARD"  # the class of a group created without one
GroupKey = tuple[str, str, str]
PROTECTED = (
    "Cannot delete log group with deletion protection enabled. Disable deletion protection first."
)


@dataclass(frozen=True)
class Settings:
    log_class: str = STANDARD
    protected: bool = False


class LogGroupSettings:
    """moto (5.2) keeps neither a group's `logGroupClass` nor its deletion protection, and
    knows no PutLogGroupDeletionProtection; AWS describes both and refuses to delete a
    protected group (ValidationException)."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._settings: dict[GroupKey, Settings] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LOGS, "CreateLogGroup", self._create
        yield LOGS, "DeleteLogGroup", self._delete
        yield LOGS, "DescribeLogGroups", self._describe
        yield LOGS, "PutLogGroupDeletionProtection", self._protect

    def reset(self) -> None:
        with self._ctx.lock:
            self._settings.clear()

    def _create(self, call: Call, forward: Forward) -> Response:
        request = call.json()
        # moto refuses the key it does not know: AWS takes it at creation.
        response = forward(call.with_json({k: v for k, v in request.items() if k != PROTECTION}))
        if response.ok:
            settings = Settings(
                str(request.get("logGroupClass") or STANDARD), bool(request.get(PROTECTION))
            )
            with self._ctx.lock:
                self._settings[self._key(call, request.get("logGroupName"))] = settings
        return response

    def _delete(self, call: Call, forward: Forward) -> Response:
        key = self._key(call, call.json().get("logGroupName"))
        with self._ctx.lock:
            if self._settings.get(key, Settings()).protected:
                return json_error("ValidationException", 400, PROTECTED)
        response = forward(call)
        if response.ok:
            with self._ctx.lock:
                self._settings.pop(key, None)
        return response

    def _protect(self, call: Call, forward: Forward) -> Response:
        request = call.json()
        name = str(request.get("logGroupIdentifier", "")).removesuffix(":*")
        name = name.split(":log-group:", 1)[1] if ":log-group:" in name else name
        if not self._exists(call, name):
            return json_error(
                "ResourceNotFoundException", 400, "The specified log group does not exist."
            )
        key = self._key(call, name)
        with self._ctx.lock:
            current = self._settings.get(key, Settings())
            self._settings[key] = replace(current, protected=bool(request.get(PROTECTION)))
        return json_response(200, {})

    def _describe(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if not response.ok:
            return response
        payload = response.json()
        with self._ctx.lock:
            for group in payload.get("logGroups") or []:
                key = self._key(call, group.get("logGroupName"))
                settings = self._settings.get(key, Settings())
                group.setdefault("logGroupClass", settings.log_class)
                group[PROTECTION] = settings.protected
        return response.with_json(payload)

    def _exists(self, call: Call, name: str) -> bool:
        described = call.with_json({"logGroupNamePrefix": name})
        found = self._ctx.dispatch(_as(described, "DescribeLogGroups"))
        groups = found.json().get("logGroups", []) if found.ok else []
        return any(g.get("logGroupName") == name for g in groups)

    @staticmethod
    def _key(call: Call, name: object) -> GroupKey:
        return (call.account, call.region, str(name or ""))


PROTECTION = "deletionProtectionEnabled"


def _as(call: Call, operation: str) -> Call:
    """The same JSON-protocol call, as another operation of its service."""
    route = replace(call.route, operation=operation)
    environ = {**call.environ, "HTTP_X_AMZ_TARGET": f"Logs_20140328.{operation}"}
    return replace(call, route=route, environ=environ)
