"""An HTTP proxy in front of the local AWS that throttles like AWS: per-account request-rate
quotas (bench/quotas.py) as token buckets, answered with each service's throttling error.

The local AWS answers every call however fast it comes, so on its own it can never show
whether a run stays within AWS's quotas or whether throttling reaches the user; through this
proxy it can.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from bench import quotas
from reconciler.sandbox.wire.errors import aws_error
from reconciler.sandbox.wire.routing import identify

# Headers that describe one hop, not the message; they are not passed on.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class Bucket:
    """A token bucket: `rate` calls per second, bursts up to one second's worth."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._tokens = self.capacity
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class Quotas:
    """Every bucket, created on first use, and what was let through or throttled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, Bucket] = {}
        self.passed: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()

    def admit(self, service: str, operation: str, scope: str = "") -> bool:
        """`scope` names the caller's account and region: each has buckets of its own."""
        name, rate = quotas.bucket_of(service, operation)
        with self._lock:
            bucket = self._buckets.setdefault(f"{scope}|{name}", Bucket(rate))
        ok = bucket.take()
        with self._lock:
            (self.passed if ok else self.throttled)[f"{service}:{operation}"] += 1
        return ok

    def reset(self) -> None:
        """Full buckets and zero counts, as if the account had been idle."""
        with self._lock:
            self._buckets.clear()
            self.passed.clear()
            self.throttled.clear()


class QuotaProxy:
    """Listens on a free local port and forwards to `upstream` what the quotas admit."""

    def __init__(self, upstream: str, latency_ms: float = 0.0) -> None:
        self.quotas = Quotas()
        # A throttled answer still costs a round trip in AWS.
        self.latency_ms = latency_ms
        handler = _handler(urlsplit(upstream), self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> QuotaProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


def _handler(upstream: Any, proxy: QuotaProxy) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to one proxy and its upstream."""
    bound = {"proxy": proxy, "host": upstream.hostname, "port": upstream.port}
    return type("BoundHandler", (_Handler,), {**bound, "local": threading.local()})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: QuotaProxy
    host: str
    port: int
    # One keep-alive connection upstream per serving thread.
    local: threading.local

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        route = identify(self._environ(), body)
        scope = _scope(self.headers.get("Authorization", ""))
        if route is not None and not self.proxy.quotas.admit(route.service, route.operation, scope):
            time.sleep(self.proxy.latency_ms / 1000)
            code, status = quotas.throttle_answer(route.service)
            answer = aws_error(route.protocol, code, status, "Rate exceeded")
            self._reply(answer.status, list(answer.headers), answer.body)
            return
        self._forward(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

    def _environ(self) -> dict[str, str]:
        path, _, query = self.path.partition("?")
        return {
            "HTTP_AUTHORIZATION": self.headers.get("Authorization", ""),
            "HTTP_X_AMZ_TARGET": self.headers.get("X-Amz-Target", ""),
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "QUERY_STRING": query,
            "PATH_INFO": unquote(path),
            "REQUEST_METHOD": self.command,
        }

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self.local, "conn", None)
        if conn is None or fresh:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            self.local.conn = conn
        return conn

    def _forward(self, body: bytes) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        try:
            answer = _send(self._connection(), self.command, self.path, body, headers)
        except (OSError, http.client.HTTPException):
            # A dropped keep-alive connection: open a new one, once.
            answer = _send(self._connection(fresh=True), self.command, self.path, body, headers)
        self._reply(*answer)

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _send(
    conn: http.client.HTTPConnection, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    return response.status, list(response.getheaders()), payload


def _scope(authorization: str) -> str:
    """The caller's access key and region from a SigV4 header (`Credential=KEY/date/region/
    service/aws4_request`): one account-region's buckets, as AWS keeps them (a fleet's
    accounts each assume a role of their own, so the key tells them apart)."""
    _, found, rest = authorization.partition("Credential=")
    parts = rest.split(",", 1)[0].split("/") if found else []
    return f"{parts[0]}/{parts[2]}" if len(parts) >= 3 else ""
