"""Lambda's refusals that moto lacks: requests AWS answers with a 4xx, which moto accepts or
answers with another code. Each is AWS's code and status; the message is AWS's where its API
reference or a recorded answer gives it. Checked before moto sees the call, so a refused
request changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from reconciler.sandbox.lambda_.deployment import read_call
from reconciler.sandbox.lambda_.names import LATEST, FunctionKey, function_key, split_function_ref
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import (
    invalid_parameter,
    json_error,
    not_found,
    validation_error,
)
from reconciler.sandbox.wire.wsgi import Response

LAMBDA = "lambda"
# A function's tags: at most 50 (Lambda's quotas page).
MAX_TAGS = 50
ARN_REGION = re.compile(r"^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:")
MAPPING_NOT_FOUND = "The resource you requested does not exist."


class LambdaRefusals:
    """Aliases' routing weights, tags on qualified ARNs, qualifiers that disagree, ARNs of
    another region, event source mappings and destinations that do not exist."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context

    def reset(self) -> None:
        """Nothing kept: every refusal is decided from the request and moto's state."""

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LAMBDA, "CreateAlias", self._alias
        yield LAMBDA, "UpdateAlias", self._alias
        yield LAMBDA, "TagResource", self._tag
        for operation in ("PutFunctionConcurrency", "GetFunction", "GetFunctionConfiguration"):
            yield LAMBDA, operation, self._function_ref
        yield LAMBDA, "PutFunctionEventInvokeConfig", self._destinations
        yield LAMBDA, "UpdateFunctionEventInvokeConfig", self._destinations
        yield LAMBDA, "DeleteEventSourceMapping", self._mapping
        yield LAMBDA, "UpdateEventSourceMapping", self._mapping
        yield LAMBDA, "CreateEventSourceMapping", self._mapping_target

    def _alias(self, call: Call, forward: Forward) -> Response:
        body = call.json()
        weights = (body.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        out_of_range = {v: w for v, w in weights.items() if not 0.0 <= float(w) <= 1.0}
        if out_of_range:
            shown = ", ".join(f"{v}={w}" for v, w in out_of_range.items())
            return validation_error(
                f"1 validation error detected: Value '{{{shown}}}' at "
                "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map "
                "value must satisfy constraint: [Member must have value less than or equal to "
                "1.0, Member must have value greater than or equal to 0.0]"
            )
        primary = body.get("FunctionVersion") or self._serving(call)
        if primary is not None and str(primary) in weights:
            return invalid_parameter(
                f"Invalid function version {primary}. Function version {primary} is already "
                "included in routing configuration."
            )
        if weights and primary is not None:
            return self._weighted(call, str(primary), [str(v) for v in weights]) or forward(call)
        return forward(call)

    def _weighted(self, call: Call, primary: str, extra: list[str]) -> Response | None:
        """A weighted alias points to two published versions that run alike: one additional
        version, never $LATEST, the same execution role and dead-letter queue."""
        if len(extra) > 1:
            return validation_error(
                "1 validation error detected: Value at 'routingConfig.additionalVersionWeights' "
                "failed to satisfy constraint: Member must have length less than or equal to 1"
            )
        if LATEST in (primary, *extra):
            return invalid_parameter(
                f"{LATEST} is not supported for an alias pointing to more than 1 version."
            )
        key = function_key(call, call.path_param("FunctionName"))
        configs = [self._configuration(call, key, v) for v in (primary, *extra)]
        if any(c is None for c in configs):
            return None  # a version that does not exist: moto's own answer says so
        runs = {(c.get("Role"), str(c.get("DeadLetterConfig") or {})) for c in configs if c}
        if len(runs) > 1:
            return invalid_parameter(
                "The versions of a weighted alias must have the same execution role and "
                "dead-letter queue configuration."
            )
        return None

    def _configuration(self, call: Call, key: FunctionKey, version: str) -> dict[str, Any] | None:
        response = self._ctx.dispatch(read_call(call, "GetFunctionConfiguration", key, version))
        return response.json() if response.ok else None

    def _serving(self, call: Call) -> str | None:
        """The version an UpdateAlias that names none leaves the alias on."""
        if call.operation != "UpdateAlias":
            return None
        key = function_key(call, call.path_param("FunctionName"))
        return moto_backends.alias_version(
            key.account, key.region, key.name, call.path_param("Name")
        )

    def _tag(self, call: Call, forward: Forward) -> Response:
        arn = call.path_param("Resource")
        name, qualifier = split_function_ref(arn)
        if qualifier is not None:
            # AWS tags functions only, never one of their versions or aliases.
            return invalid_parameter(
                "Tags on function aliases and versions are not supported. Please specify a "
                "function ARN."
            )
        tags = call.json().get("Tags") or {}
        key = function_key(call, arn)
        function = moto_backends.latest_function(key.account, key.region, name)
        held = set(getattr(function, "tags", {}) or {}) if function is not None else set()
        if len(held | set(tags)) > MAX_TAGS:
            return invalid_parameter(
                f"Number of tags exceeds resource tag limit. A resource can have at most "
                f"{MAX_TAGS} tags."
            )
        return forward(call)

    def _function_ref(self, call: Call, forward: Forward) -> Response:
        ref = call.path_param("FunctionName")
        region = ARN_REGION.match(ref)
        if region is not None and region.group(1) != call.region:
            key = function_key(call, ref)
            # The function is looked up where the call was sent: another region's is not here.
            return not_found(
                f"Function not found: {ref.split(':function:')[0]}:function:{key.name}"
            )
        _, in_ref = split_function_ref(ref)
        given = call.query("Qualifier")
        if in_ref is not None and given is not None and in_ref != given:
            return invalid_parameter(
                "The derived qualifier from the function name does not match the specified "
                "qualifier."
            )
        if call.operation == "PutFunctionConcurrency" and in_ref is not None:
            return invalid_parameter(
                "Reserved concurrency is set on the function, not on a version or alias: "
                "specify the function without a qualifier."
            )
        return forward(call)

    def _destinations(self, call: Call, forward: Forward) -> Response:
        key = function_key(call, call.path_param("FunctionName"))
        config = call.json().get("DestinationConfig") or {}
        for when in ("OnSuccess", "OnFailure"):
            target = str((config.get(when) or {}).get("Destination") or "")
            if ":function:" not in target:
                continue
            name, _ = split_function_ref(target)
            if name == key.name:
                return invalid_parameter(
                    "You can't specify the function as a destination for itself."
                )
            if moto_backends.latest_function(key.account, key.region, name) is None:
                return invalid_parameter(
                    f"The destination ARN {target} is invalid: the function does not exist."
                )
        return forward(call)

    def _mapping(self, call: Call, forward: Forward) -> Response:
        uuid = call.path_param("UUID")
        if moto_backends.event_source_mapping(call.account, call.region, uuid) is None:
            return json_error("ResourceNotFoundException", 404, MAPPING_NOT_FOUND)
        return forward(call)

    def _mapping_target(self, call: Call, forward: Forward) -> Response:
        ref = str(call.json().get("FunctionName") or "")
        key = function_key(call, ref)
        _, qualifier = split_function_ref(ref)
        found = moto_backends.latest_function(key.account, key.region, key.name)
        known = found is not None and (
            qualifier in (None, LATEST)
            or moto_backends.qualifier_exists(key.account, key.region, key.name, qualifier)
        )
        if not known:
            return invalid_parameter("Function does not exist")
        return forward(call)
