"""Asynchronous invocation settings per function version or alias (moto keeps only the first)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.lambda_.names import LATEST, FunctionKey, path_function
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import not_found, validation_error
from reconciler.sandbox.wire.wsgi import Response, json_response

LAMBDA = "lambda"
SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
# Limits of the API model; a value outside them never reaches Lambda itself.
RANGES = {"MaximumRetryAttempts": (0, 2), "MaximumEventAgeInSeconds": (60, 21600)}
ConfigKey = tuple[FunctionKey, str]


@dataclass(frozen=True)
class InvokeConfig:
    """The settings a Put or Update left behind; unset ones mean Lambda's defaults."""

    settings: Mapping[str, Any]
    last_modified: float

    def to_json(self, function_arn: str) -> dict[str, Any]:
        body: dict[str, Any] = {"LastModified": self.last_modified, "FunctionArn": function_arn}
        body.update({k: v for k, v in self.settings.items() if k in RANGES})
        body["DestinationConfig"] = _destinations(self.settings.get("DestinationConfig"))
        return body


def _destinations(given: Any) -> dict[str, Any]:
    # AWS always answers both members, empty where no destination is set.
    given = given if isinstance(given, dict) else {}
    block: dict[str, Any] = {}
    for member in ("OnSuccess", "OnFailure"):
        destination = (given.get(member) or {}).get("Destination")
        block[member] = {"Destination": destination} if destination else {}
    return block


class EventInvokeConfigs:
    """Put replaces a whole config, Update merges into it; both per qualifier."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._configs: dict[ConfigKey, InvokeConfig] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LAMBDA, "PutFunctionEventInvokeConfig", self._put
        yield LAMBDA, "UpdateFunctionEventInvokeConfig", self._update
        yield LAMBDA, "GetFunctionEventInvokeConfig", self._get
        yield LAMBDA, "DeleteFunctionEventInvokeConfig", self._delete
        yield LAMBDA, "ListFunctionEventInvokeConfigs", self._list
        yield LAMBDA, "DeleteFunction", self._delete_function
        yield LAMBDA, "DeleteAlias", self._delete_alias

    def reset(self) -> None:
        with self._ctx.lock:
            self._configs.clear()

    def _put(self, call: Call, forward: Forward) -> Response:
        key = _config_key(call)
        settings = _settings(call.json())
        refusal = _target_refusal(key) or _range_refusal(settings)
        if refusal is not None:
            return refusal
        return self._store(key, settings)

    def _update(self, call: Call, forward: Forward) -> Response:
        key = _config_key(call)
        refusal = _target_refusal(key) or self._missing(key)
        if refusal is not None:
            return refusal
        with self._ctx.lock:
            merged = {**self._configs[key].settings, **_settings(call.json())}
        refusal = _range_refusal(merged)
        return refusal if refusal is not None else self._store(key, merged)

    def _store(self, key: ConfigKey, settings: Mapping[str, Any]) -> Response:
        config = InvokeConfig(settings, time.time())
        with self._ctx.lock:
            self._configs[key] = config
        return json_response(200, config.to_json(_arn(key)))

    def _get(self, call: Call, forward: Forward) -> Response:
        key = _config_key(call)
        refusal = _target_refusal(key) or self._missing(key)
        if refusal is not None:
            return refusal
        with self._ctx.lock:
            return json_response(200, self._configs[key].to_json(_arn(key)))

    def _delete(self, call: Call, forward: Forward) -> Response:
        key = _config_key(call)
        refusal = _target_refusal(key) or self._missing(key)
        if refusal is not None:
            return refusal
        with self._ctx.lock:
            self._configs.pop(key, None)
        return Response(204, (("Content-Length", "0"),), b"")

    def _list(self, call: Call, forward: Forward) -> Response:
        function, _ = path_function(call)
        refusal = _target_refusal((function, LATEST))
        if refusal is not None:
            return refusal
        with self._ctx.lock:
            found = [(k, c) for k, c in self._configs.items() if k[0] == function]
        found.sort(key=lambda item: item[1].last_modified, reverse=True)
        listed = [config.to_json(_arn(key)) for key, config in found]
        return json_response(200, {"FunctionEventInvokeConfigs": listed})

    def _missing(self, key: ConfigKey) -> Response | None:
        with self._ctx.lock:
            if key in self._configs:
                return None
        return not_found(f"The function {_arn(key)} doesn't have an EventInvokeConfig")

    def _delete_function(self, call: Call, forward: Forward) -> Response:
        function, qualifier = path_function(call)
        response = forward(call)
        if response.ok:
            self._forget(function, None if qualifier in (None, LATEST) else qualifier)
        return response

    def _delete_alias(self, call: Call, forward: Forward) -> Response:
        function, _ = path_function(call)
        response = forward(call)
        if response.ok:
            self._forget(function, call.path_param("Name"))
        return response

    def _forget(self, function: FunctionKey, qualifier: str | None) -> None:
        """Drop one qualifier's config, or every config of the function when None."""
        with self._ctx.lock:
            for key in [k for k in self._configs if k[0] == function]:
                if qualifier is None or key[1] == qualifier:
                    del self._configs[key]


def _config_key(call: Call) -> ConfigKey:
    function, qualifier = path_function(call)
    return function, qualifier or LATEST


def _arn(key: ConfigKey) -> str:
    # The config belongs to a qualifier, so its ARN always carries one ($LATEST included).
    return f"{key[0].arn}:{key[1]}"


def _settings(request: Mapping[str, Any]) -> dict[str, Any]:
    return {name: request[name] for name in SETTINGS if request.get(name) is not None}


def _target_refusal(key: ConfigKey) -> Response | None:
    function, qualifier = key
    if moto_backends.latest_function(function.account, function.region, function.name) is None:
        return not_found(f"Function not found: {function.arn}")
    if qualifier != LATEST and not moto_backends.qualifier_exists(
        function.account, function.region, function.name, qualifier
    ):
        return not_found(f"Function not found: {function.arn}:{qualifier}")
    return None


def _range_refusal(settings: Mapping[str, Any]) -> Response | None:
    for name, (low, high) in RANGES.items():
        value = settings.get(name)
        if value is None or low <= int(value) <= high:
            continue
        bound = (
            f"greater than or equal to {low}"
            if int(value) < low
            else f"less than or equal to {high}"
        )
        member = name[0].lower() + name[1:]
        return validation_error(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must have value {bound}"
        )
    return None
