"""Watch: Prometheus metrics and a health endpoint for the scheduled drift corrector."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from reconciler.aws.clients import CallCount, is_read


class Metrics:
    """What a watch loop has done, as Prometheus counters, and whether it is healthy."""

    def __init__(self, stale_after_s: float, unhealthy_after: int) -> None:
        self.registry = CollectorRegistry()
        self.stale_after_s, self.unhealthy_after = stale_after_s, unhealthy_after
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_end: float | None = None
        self._failures = 0
        self._build()

    def _build(self) -> None:
        r = self.registry
        self.cycles = Counter("reconcile_cycles", "Reconcile cycles run", registry=r)
        self.failures = Counter("reconcile_cycle_failures", "Cycles that failed", registry=r)
        self.drift = Counter("reconcile_drift_found", "Differences found", ["kind"], registry=r)
        self.applied = Counter("reconcile_actions_applied", "Actions applied", ["op"], registry=r)
        self.calls = Counter(
            "reconcile_api_calls", "AWS API calls", ["service", "operation", "access"], registry=r
        )
        self.retries = Counter("reconcile_api_retries", "Calls botocore repeated", registry=r)
        self.duration = Histogram(
            "reconcile_cycle_duration_seconds",
            "Cycle wall time",
            registry=r,
            buckets=(1, 2, 5, 10, 30, 60, 120, 300, 900, 1800),
        )
        self.last_success = Gauge(
            "reconcile_last_success_timestamp_seconds", "When a cycle last succeeded", registry=r
        )

    def cycle(
        self,
        seconds: float,
        ok: bool,
        drift: dict[str, int],
        applied: dict[str, int],
        calls: CallCount | None,
    ) -> None:
        """Record one finished cycle."""
        self.cycles.inc()
        self.duration.observe(seconds)
        for kind, count in drift.items():
            self.drift.labels(kind).inc(count)
        for op, count in applied.items():
            self.applied.labels(op).inc(count)
        if calls is not None:
            self._count_calls(calls)
        with self._lock:
            self._last_end = time.monotonic()
            self._failures = 0 if ok else self._failures + 1
        if ok:
            self.last_success.set_to_current_time()
        else:
            self.failures.inc()

    def _count_calls(self, calls: CallCount) -> None:
        for key, count in calls.by_operation.items():
            service, operation = key.split(":", 1)
            access = "read" if is_read(operation) else "write"
            self.calls.labels(service, operation, access).inc(count)
        self.retries.inc(calls.retries)

    def health(self) -> tuple[bool, str]:
        """Healthy while cycles finish in time and the last few did not all fail."""
        with self._lock:
            since = time.monotonic() - (self._last_end or self._started)
            failures = self._failures
        if failures >= self.unhealthy_after:
            return False, f"the last {failures} cycles failed"
        if since > self.stale_after_s:
            return False, f"no cycle finished for {since:.0f} s: the loop is stuck"
        return True, "ok"


def serve(metrics: Metrics, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """`/metrics` and `/healthz` on a background thread (probes come from outside the pod)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._send(200, generate_latest(metrics.registry), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                ok, reason = metrics.health()
                self._send(200 if ok else 503, reason.encode() + b"\n", "text/plain")
            else:
                self._send(404, b"not found\n", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            """Probes every few seconds would drown the structured logs."""

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
