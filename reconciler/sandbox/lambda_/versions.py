"""Version numbers as AWS gives them: each one once, counting on from the highest ever published.

moto numbers a new version one past how many versions it still holds, so once old versions are
deleted (the reconciler prunes those no alias serves) it hands out a deleted version's number
again, or even the number of a version still in use: a new release then looks like the version
the alias already serves, and is never smoke tested. AWS's numbers only grow for the life of a
function; a function deleted and created again starts at 1.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.sandbox.lambda_.names import FunctionKey, path_function
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.wsgi import Response, json_response

LAMBDA = "lambda"


class VersionNumbers:
    """Renumbers a version moto just published when AWS would have counted on."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._highest: dict[FunctionKey, int] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        # UpdateFunctionCode publishes too when it carries Publish=true.
        yield LAMBDA, "PublishVersion", self._published
        yield LAMBDA, "UpdateFunctionCode", self._published
        yield LAMBDA, "DeleteFunction", self._deleted

    def reset(self) -> None:
        with self._ctx.lock:
            self._highest.clear()

    def _published(self, call: Call, forward: Forward) -> Response:
        key, _ = path_function(call)
        with self._ctx.lock:
            held = self._numbers(key)
            highest = max([self._highest.get(key, 0), *held])
        response = forward(call)
        if not response.ok:
            return response
        with self._ctx.lock:
            numbers = self._numbers(key)
            if len(numbers) > len(held) and numbers[-1] <= highest:
                moto_backends.renumber_newest_version(
                    key.account, key.region, key.name, highest + 1
                )
                response = _renumbered(response, key, highest + 1)
            self._highest[key] = max([highest, *self._numbers(key)])
        return response

    def _deleted(self, call: Call, forward: Forward) -> Response:
        key, qualifier = path_function(call)
        response = forward(call)
        if response.ok and not qualifier:
            with self._ctx.lock:
                self._highest.pop(key, None)
        return response

    @staticmethod
    def _numbers(key: FunctionKey) -> list[int]:
        versions = moto_backends.published_versions(key.account, key.region, key.name)
        return [int(v.version) for v in versions]


def _renumbered(response: Response, key: FunctionKey, number: int) -> Response:
    config = response.json()
    if not str(config.get("Version", "")).isdigit():
        return response  # an answer about $LATEST names no version
    config.update(Version=str(number), FunctionArn=f"{key.arn}:{number}")
    return json_response(response.status, config)
