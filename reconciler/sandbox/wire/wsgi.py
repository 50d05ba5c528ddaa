"""Minimal WSGI plumbing: buffered bodies, sub-calls into the wrapped app, responses."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Headers = tuple[tuple[str, str], ...]

JSON_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Response:
    """A fully buffered HTTP response."""

    status: int
    headers: Headers
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else {}

    def with_json(self, payload: object) -> Response:
        return self.with_body(json.dumps(payload).encode())

    def with_body(self, body: bytes) -> Response:
        # DynamoDB signs its answers with the body's CRC32, which botocore checks (and
        # retries on a mismatch): a rewritten body needs its own.
        derived = {"content-length": str(len(body)), "x-amz-crc32": str(zlib.crc32(body))}
        headers = tuple(
            (k, derived.get(k.lower(), v)) for k, v in self.headers if k.lower() != "content-length"
        )
        return replace(
            self, body=body, headers=(*headers, ("Content-Length", derived["content-length"]))
        )


def json_response(status: int, payload: object, content_type: str = JSON_CONTENT_TYPE) -> Response:
    body = json.dumps(payload).encode()
    return Response(
        status, (("Content-Type", content_type), ("Content-Length", str(len(body)))), body
    )


def read_body(environ: Environ) -> bytes:
    """Read the request body once; the caller hands a fresh stream to whoever reads next."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        return bytes(stream.read(int(length)))
    # Chunked uploads arrive without a length; werkzeug marks the stream safe to drain.
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def with_body(environ: Environ, body: bytes) -> Environ:
    """A copy of `environ` whose input stream yields `body` from the start."""
    copied = dict(environ)
    copied["wsgi.input"] = io.BytesIO(body)
    copied["CONTENT_LENGTH"] = str(len(body))
    return copied


def call_app(app: WsgiApp, environ: Environ) -> Response:
    """Run a WSGI app to completion and capture what it answered."""
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status = int(str(captured["status"]).split(" ", 1)[0])
    return Response(status, tuple(captured["headers"]), b"".join(chunks))


def send(response: Response, start_response: StartResponse) -> list[bytes]:
    start_response(status_line(response.status), list(response.headers))
    return [response.body]


def status_line(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"{status} {phrase}"


def internal_environ(method: str, path: str, body: bytes = b"") -> Environ:
    """A bare request for the wrapped app, used for moto's own management endpoints."""
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "CONTENT_TYPE": JSON_CONTENT_TYPE,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
