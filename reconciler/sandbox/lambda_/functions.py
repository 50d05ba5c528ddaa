"""Lambda function configuration fidelity: settings overlay, lifecycle states, busy conflicts."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from reconciler.sandbox.lambda_.names import LATEST, FunctionKey, function_key, path_function
from reconciler.sandbox.lambda_.overlay import (
    Overlay,
    apply_overlay,
    default_overlay,
    logging_problem,
    overlay_from_request,
)
from reconciler.sandbox.lambda_.states import Timeline, apply_states, busy_message
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import conflict, invalid_parameter, not_found
from reconciler.sandbox.wire.wsgi import Response

LAMBDA = "lambda"
_READS = ("GetFunction", "GetFunctionConfiguration", "ListFunctions")
LISTINGS = ("ListFunctions", "ListVersionsByFunction")
# ListFunctions "returns a subset of the FunctionConfiguration fields": these come only from
# GetFunction (AWS's ListFunctions reference; LocalStack agrees, moto returned them).
GET_ONLY = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
    "RuntimeVersionConfig",
)


class LambdaFunctions:
    """Keeps what moto forgets about functions and makes every configuration read say it."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._overlays: dict[FunctionKey, Overlay] = {}
        self._snapshots: dict[tuple[FunctionKey, str], Overlay] = {}
        self._timelines: dict[FunctionKey, Timeline] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LAMBDA, "CreateFunction", self._create
        yield LAMBDA, "UpdateFunctionConfiguration", self._update_configuration
        yield LAMBDA, "UpdateFunctionCode", self._update_code
        yield LAMBDA, "PublishVersion", self._publish
        yield LAMBDA, "DeleteFunction", self._delete
        yield LAMBDA, "ListVersionsByFunction", self._list_versions
        for operation in _READS:
            yield LAMBDA, operation, self._read

    def reset(self) -> None:
        with self._ctx.lock:
            self._overlays.clear()
            self._snapshots.clear()
            self._timelines.clear()

    def _create(self, call: Call, forward: Forward) -> Response:
        refusal = _logging_refusal(call)
        if refusal is not None:
            return refusal
        response = forward(call)
        if response.ok:
            config = response.json()
            key = self._remember_created(call, config)
            # With Publish=True the create response describes version 1, not $LATEST.
            self._snapshot_published(key, config)
        return self._decorated(call, response)

    def _remember_created(self, call: Call, config: dict[str, Any]) -> FunctionKey:
        name = str(config.get("FunctionName", ""))
        key = function_key(call, name)
        with self._ctx.lock:
            self._overlays[key] = overlay_from_request(default_overlay(name), name, call.json())
            self._timelines[key] = Timeline(created_at=self._ctx.now())
            self._drop_snapshots(key)
        return key

    def _update_configuration(self, call: Call, forward: Forward) -> Response:
        key, _ = path_function(call)
        refusal = self._refusal(key) or _logging_refusal(call)
        if refusal is not None:
            return refusal
        response = forward(_with_clearable_environment(call))
        if response.ok:
            with self._ctx.lock:
                self._overlays[key] = overlay_from_request(
                    self._overlay(key), key.name, call.json()
                )
                self._touch(key)
        return self._decorated(call, response)

    def _update_code(self, call: Call, forward: Forward) -> Response:
        key, _ = path_function(call)
        refusal = self._refusal(key)
        if refusal is not None:
            return refusal
        response = forward(call)
        if response.ok:
            with self._ctx.lock:
                # The code update may carry a new architecture, which AWS applies with it.
                self._overlays[key] = overlay_from_request(
                    self._overlay(key),
                    key.name,
                    {"Architectures": call.json().get("Architectures")},
                )
                self._touch(key)
            self._snapshot_published(key, response.json())
        return self._decorated(call, response)

    def _publish(self, call: Call, forward: Forward) -> Response:
        key, _ = path_function(call)
        refusal = self._refusal(key)
        if refusal is not None:
            return refusal
        response = forward(call)
        if response.ok:
            self._snapshot_published(key, response.json())
        return self._decorated(call, response)

    def _snapshot_published(self, key: FunctionKey, config: dict[str, Any]) -> None:
        version = str(config.get("Version", LATEST))
        if version == LATEST:
            return
        with self._ctx.lock:
            # Publishing an unchanged function hands back the existing version; its
            # settings were frozen when it was first published.
            self._snapshots.setdefault((key, version), self._overlay(key))

    def _delete(self, call: Call, forward: Forward) -> Response:
        key, qualifier = path_function(call)
        response = forward(call)
        if response.ok:
            with self._ctx.lock:
                self._forget(key, qualifier)
        return response

    def _forget(self, key: FunctionKey, qualifier: str | None) -> None:
        if qualifier and qualifier != LATEST:
            self._snapshots.pop((key, qualifier), None)
            return
        self._overlays.pop(key, None)
        self._timelines.pop(key, None)
        self._drop_snapshots(key)

    def _read(self, call: Call, forward: Forward) -> Response:
        return self._decorated(call, forward(call))

    def _list_versions(self, call: Call, forward: Forward) -> Response:
        # moto reads the function name straight from the URL and finds nothing for an
        # ARN (it answers an empty list), so hand it the plain name.
        ref = call.path_param("FunctionName")
        key, _ = path_function(call)
        if moto_backends.latest_function(key.account, key.region, key.name) is None:
            # moto lists no versions of a function that does not exist; AWS says it does not.
            return not_found(f"Function not found: {key.arn}")
        if ref != key.name:
            call = call.with_path(str(call.environ.get("PATH_INFO", "")).replace(ref, key.name))
        return self._decorated(call, forward(call))

    def _refusal(self, key: FunctionKey) -> Response | None:
        with self._ctx.lock:
            timeline = self._timelines.get(key)
        if timeline is None:
            return None
        message = busy_message(timeline, self._ctx.knobs(), self._ctx.now(), key.arn)
        return None if message is None else conflict(message)

    def _decorated(self, call: Call, response: Response) -> Response:
        if not response.ok or not response.body:
            return response
        payload = response.json()
        with self._ctx.lock:
            for config in _configurations(payload):
                self._decorate(call, config)
                if call.operation == "ListFunctions":
                    for key in GET_ONLY:
                        config.pop(key, None)
        return response.with_json(payload)

    def _decorate(self, call: Call, config: dict[str, Any]) -> None:
        key = function_key(call, str(config.get("FunctionName", "")))
        version = str(config.get("Version", LATEST))
        # AWS gives every configuration these two; moto gives neither.
        config.setdefault("RevisionId", self._revision(key, version))
        if call.operation not in LISTINGS:
            runtime = {"RuntimeVersionArn": _runtime_arn(call, config)}
            config.setdefault("RuntimeVersionConfig", runtime)
        if version == LATEST:
            apply_overlay(config, self._overlay(key))
            timeline = self._timelines.get(key)
            if timeline is not None:
                apply_states(config, timeline, self._ctx.knobs(), self._ctx.now())
        else:
            apply_overlay(config, self._snapshots.get((key, version), self._overlay(key)))

    def _revision(self, key: FunctionKey, version: str) -> str:
        """Changes with every change of $LATEST; a published version's never changes."""
        if version != LATEST:
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key.arn}:{version}"))
        timeline = self._timelines.get(key)
        moment = "" if timeline is None else f"{timeline.created_at}/{timeline.updated_at}"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key.arn}@{moment}"))

    def _overlay(self, key: FunctionKey) -> Overlay:
        return self._overlays.get(key) or default_overlay(key.name)

    def _touch(self, key: FunctionKey) -> None:
        timeline = self._timelines.get(key) or Timeline(created_at=float("-inf"))
        self._timelines[key] = Timeline(timeline.created_at, updated_at=self._ctx.now())

    def _drop_snapshots(self, key: FunctionKey) -> None:
        for stale in [k for k in self._snapshots if k[0] == key]:
            del self._snapshots[stale]


def _configurations(payload: Any) -> Iterator[dict[str, Any]]:
    """Every FunctionConfiguration inside a Lambda response body."""
    if not isinstance(payload, dict):
        return
    if "FunctionName" in payload and "FunctionArn" in payload:
        yield payload
    if isinstance(payload.get("Configuration"), dict):
        yield payload["Configuration"]
    for listing in ("Functions", "Versions"):
        for item in payload.get(listing) or []:
            if isinstance(item, dict):
                yield item


def _runtime_arn(call: Call, config: dict[str, Any]) -> str:
    """The runtime build a function runs on: one per runtime and region here."""
    runtime = str(config.get("Runtime", "provided"))
    build = hashlib.sha256(runtime.encode()).hexdigest()
    return f"arn:aws:lambda:{call.route.region}::runtime:{build}"


def _logging_refusal(call: Call) -> Response | None:
    problem = logging_problem(call.json())
    return None if problem is None else invalid_parameter(problem)


def _with_clearable_environment(call: Call) -> Call:
    # moto raises KeyError (HTTP 500) on `Environment: {}`, which AWS accepts as
    # "remove all variables"; say the same thing in the form moto understands.
    request = call.json()
    environment = request.get("Environment")
    if isinstance(environment, dict) and "Variables" not in environment:
        return call.with_json({**request, "Environment": {"Variables": {}}})
    return call
