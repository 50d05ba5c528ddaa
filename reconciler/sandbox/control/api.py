"""Server side of the sandbox control API under /_sandbox/ (JSON in, JSON out)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from reconciler.sandbox.control.faults import FaultRule
from reconciler.sandbox.lambda_.code import CODE_PATH, download
from reconciler.sandbox.wire.wsgi import Environ, Response, json_response, read_body

if TYPE_CHECKING:
    from reconciler.sandbox.fidelity import Fidelity

CONTROL_PREFIX = "/_sandbox/"
Endpoint = Callable[[Any], Response]


class ControlApi:
    """Maps method + path to the matching Fidelity operation."""

    def __init__(self, fidelity: Fidelity) -> None:
        self._fidelity = fidelity
        self._endpoints: dict[tuple[str, str], Endpoint] = {
            ("GET", "config"): lambda _: self._config(),
            ("POST", "config"): self._configure,
            ("GET", "calls"): lambda _: self._calls(),
            ("POST", "calls/reset"): lambda _: self._done(fidelity.reset_calls),
            ("GET", "invocations"): lambda _: self._activity(),
            ("GET", "held"): lambda _: json_response(200, {"held": fidelity.held()}),
            ("GET", "contract"): lambda _: json_response(200, {"breaches": fidelity.breaches()}),
            ("DELETE", "contract"): lambda _: self._done(fidelity.clear_breaches),
            ("GET", "faults"): lambda _: self._faults(),
            ("POST", "faults"): self._add_fault,
            ("DELETE", "faults"): lambda _: self._done(fidelity.clear_faults),
            ("POST", "reset"): lambda _: self._done(fidelity.reset),
        }

    def handle(self, environ: Environ) -> Response:
        path = str(environ.get("PATH_INFO", ""))[len(CONTROL_PREFIX) :].strip("/")
        if path.startswith(f"{CODE_PATH}/") and environ.get("REQUEST_METHOD") == "GET":
            # Where GetFunction and GetLayerVersion say the code is (see lambda_.code).
            return download([unquote(part) for part in path.split("/")[1:]])
        endpoint = self._endpoints.get((str(environ.get("REQUEST_METHOD", "")), path))
        if endpoint is None:
            return json_response(404, {"error": f"no control endpoint {path!r}"})
        try:
            raw = read_body(environ)
            return endpoint(json.loads(raw) if raw else {})
        except (KeyError, TypeError, ValueError) as exc:  # KnobError is a ValueError
            return json_response(400, {"error": str(exc)})

    def _config(self) -> Response:
        return json_response(200, self._fidelity.knobs.to_json())

    def _configure(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise TypeError("config must be a JSON object")
        return json_response(200, self._fidelity.configure(**body).to_json())

    def _calls(self) -> Response:
        return json_response(200, {"calls": [c.to_json() for c in self._fidelity.calls()]})

    def _activity(self) -> Response:
        functions = [a.to_json() for a in self._fidelity.activity()]
        return json_response(200, {"functions": functions})

    def _faults(self) -> Response:
        rules = [rule.to_json() for rule in self._fidelity.faults.pending()]
        return json_response(200, {"faults": rules})

    def _add_fault(self, body: Any) -> Response:
        self._fidelity.add_fault(FaultRule.from_json(body))
        return json_response(200, {})

    @staticmethod
    def _done(action: Callable[[], None]) -> Response:
        action()
        return json_response(200, {})
