"""The smoke gate: a new version answers its smoke event before the alias serving traffic moves.

The version is invoked by number, so callers of the alias never see it; a function error, an
answer that lacks what the smoke file expects, or an Invoke AWS refuses stops the move and
leaves the alias, its version and everything callers use as they were.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from reconciler.adapters.base import Context
from reconciler.desired.model import SmokeSpec
from reconciler.errors import ResourceFailed

# An answer quoted in an error is cut here: enough to see what came back, never a dump.
QUOTED = 200


class SmokeFailed(ResourceFailed):
    """A new version failed its smoke test: the alias was not moved."""


def check(ctx: Context, function: str, version: str, smoke: SmokeSpec) -> None:
    """Invoke `function:version` with the smoke event; raise SmokeFailed unless it passes."""
    where = f"smoke test {smoke.file} of {function} version {version}"
    try:
        answer = ctx.client("lambda").invoke(
            FunctionName=function, Qualifier=version, Payload=smoke.event.encode()
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        refused = f"{error.get('Code')}: {error.get('Message')}"
        raise SmokeFailed(f"{where}: Invoke refused: {refused}") from None
    body = answer["Payload"].read().decode("utf-8", "replace")
    if answer.get("FunctionError"):
        raise SmokeFailed(f"{where} failed: {_error(body)}")
    if smoke.expect is not None and not contains(_json(body), json.loads(smoke.expect)):
        raise SmokeFailed(f"{where} answered {body[:QUOTED]}, expected {smoke.expect}")


def contains(answer: Any, expected: Any) -> bool:
    """Objects match on the members expected (recursively); anything else must be equal."""
    if isinstance(expected, dict):
        return isinstance(answer, dict) and all(
            key in answer and contains(answer[key], value) for key, value in expected.items()
        )
    return bool(answer == expected)


def _error(body: str) -> str:
    document = _json(body)
    if isinstance(document, dict) and "errorType" in document:
        return f"{document['errorType']}: {str(document.get('errorMessage', ''))[:QUOTED]}"
    return body[:QUOTED]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
