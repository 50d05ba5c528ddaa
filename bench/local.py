"""The real `reconcile` command run against the local AWS, and what a run cost in calls."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from bench import quotas
from reconciler.aws.clients import CallCount, is_read
from reconciler.sandbox.control.client import SandboxControl

ROOT = Path(__file__).resolve().parent.parent
# Dummy values: the transactions stack refuses to run without its two secrets.
SECRETS = {
    "TRANSACTIONS_DATABASE_URL": "postgres://bench:bench-password@db.internal:5432/ledger",
    "TRANSACTIONS_API_KEY": "ak_bench_0123456789abcdef",
}
# Reads by AWS's own naming, the same rule the reconciler's report and the sandbox apply.
# Knobs that make every wait of the sandbox instant: call counts of converged runs do not
# depend on them, and the CI budget test must stay short.
INSTANT: dict[str, object] = {
    "pending_seconds": 0,
    "update_seconds": 0,
    "pc_ready_seconds": 0,
    "iam_propagation_seconds": 0,
    "queue_reuse_seconds": 0,
}


@functools.cache
def unpaced() -> tuple[str, ...]:
    """Flags that turn the reconciler's client-side pacing off, where it has any.

    For runs that only set up or tear down a measurement, where waiting at AWS's quotas
    would cost minutes and measure nothing; pacing never changes which calls are made.
    """
    helptext = subprocess.run(
        [sys.executable, "-m", "reconciler", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout
    if "--rate-limit" not in helptext:
        return ()
    keys = sorted(
        q.service if q.operation == quotas.ANY else f"{q.service}:{q.operation}"
        for q in quotas.QUOTAS
    )
    return tuple(flag for key in keys for flag in ("--rate-limit", f"{key}=0"))


def cli_env(endpoint: str, **extra: str) -> dict[str, str]:
    """The environment of a CLI run: only the local AWS, dummy credentials, dummy secrets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        **SECRETS,
    )
    env.update(extra)
    return env


def local_client(endpoint: str, service: str) -> Any:
    """A boto3 client of the benchmark's own, on the local AWS's dummy credentials."""
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class Calls(CallCount):
    """A run's API calls (the reconciler's own accounting), with the busiest operations."""

    def top(self, n: int, reads_only: bool = True) -> list[tuple[str, int]]:
        items = [
            (op, count)
            for op, count in self.by_operation.items()
            if not reads_only or is_read(op.split(":", 1)[1])
        ]
        return sorted(items, key=lambda item: (-item[1], item[0]))[:n]


@dataclass(frozen=True)
class Run:
    """One CLI run: exit code, output, wall time of the whole process, the JSON report."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    wall_s: float
    report: dict[str, Any] | None

    @property
    def calls(self) -> Calls:
        if self.report is None:
            return Calls({})
        api = self.report["api_calls"]
        return Calls(dict(api["by_operation"]), int(api.get("retries", 0)))

    @property
    def duration_s(self) -> float:
        return float(self.report["duration_s"]) if self.report else float("nan")

    def plan_count(self, op: str) -> int:
        """How many resources the run's plan would `op` (create, update, delete...)."""
        if self.report is None:
            return 0
        return int(self.report["plan"]["counts"].get(op, 0))

    def describe(self) -> str:
        return f"reconcile {' '.join(self.args)} exited {self.code}:\n{self.stderr[-3000:]}"


def reconcile(endpoint: str, *args: str, timeout: float = 1800, **env: str) -> Run:
    """The real command in a child process, as a user or a scheduler runs it."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=cli_env(endpoint, **env),
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    wall = time.monotonic() - started
    report = _report(proc.stdout) if "json" in args else None
    return Run(tuple(args), proc.returncode, proc.stdout, proc.stderr, wall, report)


def _report(stdout: str) -> dict[str, Any] | None:
    start = stdout.find("{")
    if start < 0:
        return None
    try:
        parsed: dict[str, Any] = json.loads(stdout[start:])
    except json.JSONDecodeError:
        return None
    return parsed


def recorded(control: SandboxControl) -> Calls:
    """What the local AWS itself answered since its last reset, by `service:Operation`."""
    counts = Counter(f"{c.service}:{c.operation}" for c in control.calls())
    return Calls(dict(counts))


# Calls the reconciler makes after its report is taken: releasing the suffix's lease (and
# renewing it, on a long run) happen in a `finally` after the call count is snapshotted.
AFTER_REPORT = frozenset({"dynamodb:DeleteItem", "dynamodb:UpdateItem"})


def disagreement(report: Calls, seen: Calls) -> dict[str, tuple[int, int]]:
    """Operations whose counts differ between the report and the local AWS (report, seen)."""
    ops = set(report.by_operation) | set(seen.by_operation)
    out = {}
    for op in sorted(ops):
        mine, theirs = report.by_operation.get(op, 0), seen.by_operation.get(op, 0)
        if mine != theirs and not (op in AFTER_REPORT and theirs > mine):
            out[op] = (mine, theirs)
    return out
