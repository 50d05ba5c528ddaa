"""The sandbox: moto behind the fidelity layer, served on a local port from a thread."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from reconciler.sandbox.control.knobs import Knobs
from reconciler.sandbox.fidelity import Fidelity
from reconciler.sandbox.lambda_.runtime import SDK


class _QuietRequestHandler(MotoRequestHandler):
    """moto's handler (it keeps underscored headers) minus the access log on stderr."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None

    def send_response(self, code: int, message: str | None = None) -> None:
        # The answer carries its own Date, by the local AWS's clock (see Fidelity): one only.
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())


class Sandbox:
    """moto + fidelity layer served on 127.0.0.1 in a background thread."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", knobs: Knobs | None = None) -> None:
        self._host = host
        self._port = port
        self._fidelity = Fidelity(DomainDispatcherApplication(create_backend_app), knobs)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Sandbox:
        """Bind (port 0 picks a free one) and serve; returns once the socket is listening."""
        if self._server is not None:
            return self
        # Handlers need Node.js and its SDK: installed on the first start on a machine, or
        # one line saying what is missing (everything but Invoke is still served).
        SDK.prepare()
        self._server = make_server(
            self._host,
            self._port,
            self._fidelity,
            threaded=True,
            request_handler=_QuietRequestHandler,
        )
        # A short poll interval lets stop() return promptly instead of after half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sandbox-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()
        self._fidelity.close()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("sandbox is not running")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def fidelity(self) -> Fidelity:
        return self._fidelity

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
