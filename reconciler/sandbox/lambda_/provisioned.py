"""Lambda provisioned concurrency, which moto lacks: configs that warm up, then READY or FAILED."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from reconciler.sandbox.lambda_.account import UNRESERVED_FLOOR
from reconciler.sandbox.lambda_.names import LATEST, FunctionKey, path_function
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import (
    conflict,
    invalid_parameter,
    json_error,
    not_found,
    validation_error,
)
from reconciler.sandbox.wire.wsgi import Response, json_response

LAMBDA = "lambda"
UNPUBLISHED = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
ConfigKey = tuple[FunctionKey, str]


@dataclass(frozen=True)
class PcConfig:
    """One provisioned concurrency config; its status follows from the clock."""

    requested: int
    ready_at: float
    fail_reason: str
    last_modified: str

    def status(self, now: float) -> str:
        if now < self.ready_at:
            return "IN_PROGRESS"
        return "FAILED" if self.fail_reason else "READY"

    def to_json(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        allocated = self.requested if status == "READY" else 0
        body: dict[str, Any] = {
            "RequestedProvisionedConcurrentExecutions": self.requested,
            "AvailableProvisionedConcurrentExecutions": allocated,
            "AllocatedProvisionedConcurrentExecutions": allocated,
            "Status": status,
            "LastModified": self.last_modified,
        }
        if status == "FAILED":
            body["StatusReason"] = self.fail_reason
        return body


def timestamp(offset_s: float = 0.0) -> str:
    """Lambda's form of a time, with milliseconds: `2026-12-07T01:50:00.123+0000`."""
    now = time.time() + offset_s
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}+0000"


class ProvisionedConcurrency:
    """Put/Get/List/Delete of provisioned concurrency, kept consistent with aliases."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._configs: dict[ConfigKey, PcConfig] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LAMBDA, "PutProvisionedConcurrencyConfig", self._put
        yield LAMBDA, "GetProvisionedConcurrencyConfig", self._get
        yield LAMBDA, "ListProvisionedConcurrencyConfigs", self._list
        yield LAMBDA, "DeleteProvisionedConcurrencyConfig", self._delete
        yield LAMBDA, "UpdateAlias", self._update_alias
        yield LAMBDA, "DeleteAlias", self._delete_alias
        yield LAMBDA, "DeleteFunction", self._delete_function

    def reset(self) -> None:
        with self._ctx.lock:
            self._configs.clear()

    def _put(self, call: Call, forward: Forward) -> Response:
        key, qualifier = path_function(call)
        requested = int(call.json().get("ProvisionedConcurrentExecutions", 0))
        refusal = (
            _qualifier_refusal(key, qualifier)
            or _value_refusal(requested)
            or _reservation_refusal(key, requested)
            or self._pairing_refusal(key, str(qualifier))
            or self._account_refusal(key, str(qualifier), requested)
        )
        if refusal is not None:
            return refusal
        config = self._new_config(requested)
        with self._ctx.lock:
            self._configs[(key, qualifier or "")] = config
        return json_response(202, config.to_json(self._ctx.now()))

    def _pairing_refusal(self, key: FunctionKey, qualifier: str) -> Response | None:
        """One configuration per version: an alias and the version it points to never both
        hold one (AWS: 409); none on an alias while it routes by weight (AWS: 400)."""
        if not qualifier.isdigit() and moto_backends.alias_weights(
            key.account, key.region, key.name, qualifier
        ):
            return invalid_parameter(
                "Alias with weights can not be used with Provisioned Concurrency"
            )
        with self._ctx.lock:
            held = {q for (k, q) in self._configs if k == key and q != qualifier}
        if qualifier.isdigit():
            aliases = [q for q in held if not q.isdigit() and self._points_to(key, q) == qualifier]
            if aliases:
                return conflict(
                    f"Alias {aliases[0]} points to version {qualifier} and already has "
                    "provisioned concurrency: one configuration per version."
                )
            return None
        version = self._points_to(key, qualifier)
        if version is not None and version in held:
            return conflict(
                f"Version {version}, which alias {qualifier} points to, already has "
                "provisioned concurrency: one configuration per version."
            )
        return None

    def _points_to(self, key: FunctionKey, alias: str) -> str | None:
        return moto_backends.alias_version(key.account, key.region, key.name, alias)

    def _account_refusal(self, key: FunctionKey, qualifier: str, requested: int) -> Response | None:
        """Provisioned concurrency of functions without a reservation comes out of the
        account's unreserved pool, which never goes below its minimum (AWS: 400)."""
        function = moto_backends.latest_function(key.account, key.region, key.name)
        if moto_backends.reserved_concurrency(function) is not None:
            return None
        functions = moto_backends.latest_functions(key.account, key.region)
        reserved = sum(moto_backends.reserved_concurrency(f) or 0 for f in functions)
        unreserved = {
            f.function_name for f in functions if moto_backends.reserved_concurrency(f) is None
        }
        with self._ctx.lock:
            others = sum(
                c.requested
                for (k, q), c in self._configs.items()
                if k.name in unreserved
                and (k, q) != (key, qualifier)
                and (k.account, k.region) == (key.account, key.region)
            )
        limit = self._ctx.knobs().account_concurrency
        floor = min(UNRESERVED_FLOOR, limit)
        if limit - reserved - others - requested < floor:
            return invalid_parameter(
                f"Requested Provisioned Concurrency ({requested}) would decrease the account's "
                f"UnreservedConcurrentExecution below its minimum value of [{floor}] "
                f"(account limit {limit}, reserved {reserved}, provisioned elsewhere {others})."
            )
        return None

    def _new_config(self, requested: int) -> PcConfig:
        knobs = self._ctx.knobs()
        ready_at = self._ctx.now() + knobs.pc_ready_seconds
        written = timestamp(knobs.clock_offset_seconds)
        return PcConfig(requested, ready_at, knobs.pc_fail_reason, written)

    def _get(self, call: Call, forward: Forward) -> Response:
        key, qualifier = path_function(call)
        refusal = _qualifier_refusal(key, qualifier)
        if refusal is not None:
            return refusal
        with self._ctx.lock:
            config = self._configs.get((key, qualifier or ""))
        if config is None:
            return json_error(
                "ProvisionedConcurrencyConfigNotFoundException",
                404,
                "No Provisioned Concurrency Config found for this function",
            )
        return json_response(200, config.to_json(self._ctx.now()))

    def _list(self, call: Call, forward: Forward) -> Response:
        key, _ = path_function(call)
        if moto_backends.latest_function(key.account, key.region, key.name) is None:
            return not_found(f"Function not found: {key.arn}")
        now = self._ctx.now()
        with self._ctx.lock:
            found = sorted((q, c) for (k, q), c in self._configs.items() if k == key)
        listed = [{"FunctionArn": f"{key.arn}:{q}", **c.to_json(now)} for q, c in found]
        return json_response(200, {"ProvisionedConcurrencyConfigs": listed})

    def _delete(self, call: Call, forward: Forward) -> Response:
        key, qualifier = path_function(call)
        refusal = _qualifier_refusal(key, qualifier)
        if refusal is not None:
            return refusal
        with self._ctx.lock:
            self._configs.pop((key, qualifier or ""), None)
        return Response(204, (("Content-Length", "0"),), b"")

    def _update_alias(self, call: Call, forward: Forward) -> Response:
        key, alias = _alias_of(call)
        before = moto_backends.alias_version(key.account, key.region, key.name, alias)
        refusal = self._move_refusal(key, alias, call.json().get("FunctionVersion"), before)
        if refusal is not None:
            return refusal
        response = forward(call)
        after = response.json().get("FunctionVersion") if response.ok else before
        if after != before:
            self._restart(key, alias)
        return response

    def _move_refusal(
        self, key: FunctionKey, alias: str, wanted: object, before: str | None
    ) -> Response | None:
        """One configuration per version holds for a move too: an alias with provisioned
        concurrency is not pointed at a version that has its own (AWS: 409)."""
        if not isinstance(wanted, str) or wanted == before:
            return None
        with self._ctx.lock:
            both = (key, alias) in self._configs and (key, wanted) in self._configs
        if not both:
            return None
        return conflict(
            f"Version {wanted} already has provisioned concurrency and alias {alias} has its "
            "own: one configuration per version."
        )

    def _restart(self, key: FunctionKey, qualifier: str) -> None:
        # AWS re-provisions an alias's environments on its new version, so the config
        # goes back through IN_PROGRESS.
        knobs, now = self._ctx.knobs(), self._ctx.now()
        with self._ctx.lock:
            config = self._configs.get((key, qualifier))
            if config is not None:
                self._configs[(key, qualifier)] = replace(
                    config,
                    ready_at=now + knobs.pc_ready_seconds,
                    last_modified=timestamp(knobs.clock_offset_seconds),
                )

    def _delete_alias(self, call: Call, forward: Forward) -> Response:
        key, alias = _alias_of(call)
        response = forward(call)
        if response.ok:
            with self._ctx.lock:
                self._configs.pop((key, alias), None)
        return response

    def _delete_function(self, call: Call, forward: Forward) -> Response:
        key, qualifier = path_function(call)
        response = forward(call)
        if response.ok:
            with self._ctx.lock:
                for stale in [k for k in self._configs if k[0] == key]:
                    if qualifier in (None, LATEST, stale[1]):
                        del self._configs[stale]
        return response


def _alias_of(call: Call) -> tuple[FunctionKey, str]:
    key, _ = path_function(call)
    return key, call.path_param("Name")


def _qualifier_refusal(key: FunctionKey, qualifier: str | None) -> Response | None:
    if not qualifier or qualifier == LATEST:
        return invalid_parameter(UNPUBLISHED)
    if moto_backends.latest_function(key.account, key.region, key.name) is None:
        return not_found(f"Function not found: {key.arn}")
    if not moto_backends.qualifier_exists(key.account, key.region, key.name, qualifier):
        return not_found(f"Function not found: {key.arn}:{qualifier}")
    return None


def _value_refusal(requested: int) -> Response | None:
    if requested >= 1:
        return None
    return validation_error(
        f"1 validation error detected: Value '{requested}' at 'provisionedConcurrentExecutions' "
        "failed to satisfy constraint: Member must have value greater than or equal to 1"
    )


def _reservation_refusal(key: FunctionKey, requested: int) -> Response | None:
    function = moto_backends.latest_function(key.account, key.region, key.name)
    reserved = moto_backends.reserved_concurrency(function)
    if reserved is not None and requested > reserved:
        return invalid_parameter(
            f"Requested Provisioned Concurrency ({requested}) should not be greater than the "
            f"reservedConcurrentExecution ({reserved}) for function {key.arn}"
        )
    return None
