"""HTTP client for the sandbox control API, for tests that run the sandbox out of process."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from reconciler.sandbox.control.faults import FaultRule
from reconciler.sandbox.control.knobs import Knobs
from reconciler.sandbox.control.recorder import RecordedCall
from reconciler.sandbox.lambda_.activity import Activity

TIMEOUT_SECONDS = 10


class SandboxControlError(RuntimeError):
    """The control API refused a request."""


class SandboxControl:
    """Knobs, recorded calls, faults and resets of a running sandbox."""

    def __init__(self, url: str) -> None:
        self._base = url.rstrip("/") + "/_sandbox/"

    def configure(self, **knobs: object) -> None:
        self._request("POST", "config", knobs)

    def knobs(self) -> Knobs:
        return Knobs(**self._request("GET", "config"))

    def calls(self) -> list[RecordedCall]:
        return [RecordedCall.from_json(c) for c in self._request("GET", "calls")["calls"]]

    def writes(self) -> list[RecordedCall]:
        return [call for call in self.calls() if call.write]

    def activity(self) -> list[Activity]:
        """Each function with an invocation running or an Event invocation not yet finished."""
        return [Activity.from_json(a) for a in self._request("GET", "invocations")["functions"]]

    def held(self) -> list[str]:
        """The operations of the writes a freeze knob is holding now."""
        return [str(op) for op in self._request("GET", "held")["held"]]

    def breaches(self) -> list[str]:
        """Answers that broke botocore's model of their operation's output (contract.py)."""
        return [str(b) for b in self._request("GET", "contract")["breaches"]]

    def clear_breaches(self) -> None:
        self._request("DELETE", "contract")

    def reset_calls(self) -> None:
        self._request("POST", "calls/reset")

    def add_fault(self, rule: FaultRule) -> None:
        self._request("POST", "faults", rule.to_json())

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    def reset(self) -> None:
        """Wipe all AWS state, the layer's own state and the recorded calls (knobs stay)."""
        self._request("POST", "reset")

    def _request(self, method: str, path: str, payload: object = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self._base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise SandboxControlError(f"{method} {path}: HTTP {exc.code} {detail}") from exc
