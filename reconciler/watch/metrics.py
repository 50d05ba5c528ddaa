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
        # A fleet's targets by label, with their failed cycles in a row.
        self._failing: dict[tuple[str, str, str], int] = {}
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
        self._build_targets()

    def _build_targets(self) -> None:
        # A fleet's: one series per target of its file (a bounded set), never per operation.
        r, where = self.registry, ["account", "region", "suffix"]
        self.target_cycles = Counter(
            "reconcile_target_cycles", "A fleet target's cycles", where, registry=r
        )
        self.target_failures = Counter(
            "reconcile_target_failures", "A fleet target's failed cycles", where, registry=r
        )
        self.target_failing = Gauge(
            "reconcile_target_consecutive_failures", "Its failed cycles in a row", where, registry=r
        )
        self.target_changes = Counter(
            "reconcile_target_changes", "Differences found in a fleet target", where, registry=r
        )
        self.target_seconds = Gauge(
            "reconcile_target_duration_seconds", "Its last cycle's wall time", where, registry=r
        )
        self.target_success = Gauge(
            "reconcile_target_last_success_timestamp_seconds",
            "Its last good cycle",
            where,
            registry=r,
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

    def target(self, where: tuple[str, str, str], ok: bool, seconds: float, changes: int) -> None:
        """Record one fleet target's part of a cycle."""
        self.target_cycles.labels(*where).inc()
        self.target_changes.labels(*where).inc(changes)
        self.target_seconds.labels(*where).set(seconds)
        with self._lock:
            failing = 0 if ok else self._failing.get(where, 0) + 1
            self._failing[where] = failing
        self.target_failing.labels(*where).set(failing)
        # Every target's series exists from its first cycle, at 0 until it fails.
        failures = self.target_failures.labels(*where)
        if ok:
            self.target_success.labels(*where).set_to_current_time()
        else:
            failures.inc()

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
            failing = sorted(
                "/".join(where) for where, n in self._failing.items() if n >= self.unhealthy_after
            )
        if failures >= self.unhealthy_after:
            return False, f"the last {failures} cycles failed"
        if failing:
            # One bad cycle of one target is not the loop's trouble; one that keeps failing is.
            return False, f"failed {self.unhealthy_after}+ cycles in a row: {', '.join(failing)}"
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
