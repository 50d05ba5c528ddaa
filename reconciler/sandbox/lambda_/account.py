"""Lambda account-level concurrency: GetAccountSettings and the unreserved-minimum rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.sandbox.lambda_.names import path_function
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import invalid_parameter
from reconciler.sandbox.wire.wsgi import Response, json_response

LAMBDA = "lambda"
TOTAL_CODE_SIZE = 80530636800
CODE_SIZE_UNZIPPED = 262144000
CODE_SIZE_ZIPPED = 52428800
UNRESERVED_FLOOR = 100


class AccountLimits:
    """Concurrency bookkeeping of the account, sized by the account_concurrency knob."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LAMBDA, "GetAccountSettings", self._settings
        yield LAMBDA, "PutFunctionConcurrency", self._put_function_concurrency

    def reset(self) -> None:
        """Nothing to forget: every figure is derived from moto and the knobs."""

    def _settings(self, call: Call, forward: Forward) -> Response:
        functions = moto_backends.latest_functions(call.account, call.region)
        limit = self._ctx.knobs().account_concurrency
        reserved = sum(moto_backends.reserved_concurrency(f) or 0 for f in functions)
        return json_response(
            200, {"AccountLimit": _limits(limit, reserved), "AccountUsage": _usage(call, functions)}
        )

    def _put_function_concurrency(self, call: Call, forward: Forward) -> Response:
        key, _ = path_function(call)
        requested = int(call.json().get("ReservedConcurrentExecutions", 0))
        others = sum(
            moto_backends.reserved_concurrency(f) or 0
            for f in moto_backends.latest_functions(key.account, key.region)
            if f.function_name != key.name
        )
        limit = self._ctx.knobs().account_concurrency
        floor = min(UNRESERVED_FLOOR, limit)
        if limit - others - requested < floor:
            return invalid_parameter(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{floor}]."
            )
        return forward(call)


def _limits(limit: int, reserved: int) -> dict[str, int]:
    return {
        "TotalCodeSize": TOTAL_CODE_SIZE,
        "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
        "CodeSizeZipped": CODE_SIZE_ZIPPED,
        "ConcurrentExecutions": limit,
        "UnreservedConcurrentExecutions": limit - reserved,
    }


def _usage(call: Call, functions: list[Any]) -> dict[str, int]:
    # Every published version keeps its own copy of the code, so all of them count, and so
    # do layer archives ("deployment packages and layer archives", AWS's AccountUsage).
    total = sum(moto_backends.layer_archive_sizes(call.account, call.region))
    for function in functions:
        versions = moto_backends.published_versions(
            call.account, call.region, function.function_name
        )
        total += sum(moto_backends.code_size(f) for f in [function, *versions])
    return {"TotalCodeSize": total, "FunctionCount": len(functions)}
