"""The request object every fidelity handler receives, and the handler signatures."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from reconciler.sandbox.control.knobs import Knobs
from reconciler.sandbox.wire.routing import Route
from reconciler.sandbox.wire.wsgi import Environ, Response


@dataclass(frozen=True)
class Call:
    """One signed AWS request, body already buffered."""

    route: Route
    account: str
    environ: Environ
    body: bytes

    @property
    def service(self) -> str:
        return self.route.service

    @property
    def operation(self) -> str:
        return self.route.operation

    @property
    def region(self) -> str:
        return self.route.region

    def path_param(self, name: str) -> str:
        return self.route.path_params.get(name, "")

    def query(self, name: str) -> str | None:
        values = parse_qs(str(self.environ.get("QUERY_STRING", ""))).get(name)
        return values[0] if values else None

    def json(self) -> dict[str, Any]:
        try:
            payload = json.loads(self.body) if self.body else {}
        except ValueError:
            return {}
        return payload if isinstance(payload, dict) else {}

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"))
        return {key: values[0] for key, values in parsed.items()}

    def with_json(self, payload: Mapping[str, Any]) -> Call:
        return replace(self, body=json.dumps(payload).encode())

    def with_path(self, path: str, query: str | None = None) -> Call:
        """The same request sent to `path` (and `query`, when given, as the query string)."""
        environ = {**self.environ, "PATH_INFO": path}
        if query is not None:
            environ["QUERY_STRING"] = query
        # werkzeug rebuilds the URL from RAW_URI/REQUEST_URI when present; drop them so
        # the wrapped app sees the rewritten path.
        for stale in ("RAW_URI", "REQUEST_URI"):
            environ.pop(stale, None)
        return replace(self, environ=environ)


Forward = Callable[[Call], Response]
Handler = Callable[[Call, Forward], Response]
RouteKey = tuple[str, str]


@dataclass(frozen=True)
class LayerContext:
    """What every fidelity component shares: the one state lock, the knobs, the clock."""

    lock: threading.RLock
    knobs: Callable[[], Knobs]
    now: Callable[[], float]
    # Serves a request through the whole layer without recording it: what AWS's services
    # read of each other on their own (an invocation reading its function's configuration).
    dispatch: Callable[[Call], Response] = lambda call: Response(500, (), b"")


def run_chain(handlers: tuple[Handler, ...], call: Call, terminal: Forward) -> Response:
    """Run handlers outermost first; the last one's `forward` reaches `terminal` (moto)."""
    if not handlers:
        return terminal(call)
    head, rest = handlers[0], handlers[1:]
    return head(call, lambda inner: run_chain(rest, inner, terminal))
