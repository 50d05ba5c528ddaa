"""The measurements: a stack's lifecycle, a synthetic N-function stack, `--help`, `watch` memory."""

from __future__ import annotations

import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import quotas, synthetic
from bench.local import (
    ROOT,
    Calls,
    Run,
    cli_env,
    disagreement,
    local_client,
    reconcile,
    recorded,
    unpaced,
)
from bench.quota_proxy import QuotaProxy
from reconciler.sandbox.child import SandboxProcess

THROTTLE_CODES = re.compile(
    r"Throttl|TooManyRequests|RequestLimitExceeded|Rate exceeded|LimitExceeded|SlowDown"
)


class BenchError(RuntimeError):
    """A run did not end as the benchmark needs (a failed apply, a plan with drift...)."""


@dataclass(frozen=True)
class Step:
    """One measured CLI run and what the local AWS itself saw during it."""

    name: str
    run: Run
    seen: Calls

    @property
    def mismatch(self) -> dict[str, tuple[int, int]]:
        return disagreement(self.run.calls, self.seen)


def measured(aws: SandboxProcess, name: str, *args: str, expect: int = 0) -> Step:
    """Run the CLI with the local AWS's call log cleared first; refuse an unexpected exit."""
    aws.control.reset_calls()
    run = reconcile(aws.url, *args, "--output", "json")
    if run.code != expect or run.report is None:
        raise BenchError(f"{name}: expected exit {expect}; {run.describe()}")
    return Step(name, run, recorded(aws.control))


def fastest(aws: SandboxProcess, name: str, *args: str, times: int = 3) -> Step:
    """The quickest of `times` identical runs: other work on the machine only ever adds time,
    so the minimum is the best estimate of the run's own cost."""
    runs = [measured(aws, name, *args) for _ in range(times)]
    return min(runs, key=lambda step: step.run.wall_s)


@contextmanager
def latency(aws: SandboxProcess, ms: float) -> Iterator[None]:
    """The sandbox's per-call latency set to `ms` for a block, then put back."""
    before = aws.control.knobs().latency_ms
    aws.control.configure(latency_ms=ms)
    try:
        yield
    finally:
        aws.control.configure(latency_ms=before)


# -- both stacks --------------------------------------------------------------------------


@dataclass
class Lifecycle:
    """First apply, converged plan, converged apply and destroy of one suffix."""

    suffix: str
    workers: int
    steps: dict[str, Step] = field(default_factory=dict)
    # The converged plan again with no added latency: the local compute of that run.
    plan_at_zero: Step | None = None

    @property
    def managed(self) -> int:
        """Resources the suffix owns: what the first apply created."""
        return self.steps["first apply"].run.plan_count("create")


def lifecycle(
    aws: SandboxProcess,
    suffix: str,
    workers: int,
    stack: str = "all",
    converged: Callable[[str], None] | None = None,
) -> Lifecycle:
    """The four steps in order; `converged(suffix)` runs between the converged apply and the
    destroy, for measurements that need the suffix deployed."""
    flags = ("--suffix", suffix, "--stack", stack, "--max-workers", str(workers))
    out = Lifecycle(suffix, workers)
    out.steps["first apply"] = measured(aws, "first apply", "apply", *flags)
    out.steps["converged plan"] = fastest(aws, "converged plan", "plan", *flags)
    with latency(aws, 0):
        out.plan_at_zero = fastest(aws, "converged plan, no latency", "plan", *flags)
    out.steps["converged apply"] = measured(aws, "converged apply", "apply", *flags)
    if converged is not None:
        converged(suffix)
    out.steps["destroy"] = measured(aws, "destroy", "destroy", "--yes", *flags)
    return out


@dataclass(frozen=True)
class StackShare:
    """One stack's part of a converged plan: its reads and how many resources it owns."""

    stack: str
    plan: Step
    managed: int


def stack_shares(aws: SandboxProcess, suffix: str, stacks: list[str]) -> list[StackShare]:
    """Each stack's converged plan on its own, and what it owns (a dry-run destroy lists it)."""
    out = []
    for stack in stacks:
        flags = ("--suffix", suffix, "--stack", stack)
        plan = measured(aws, f"converged plan of {stack}", "plan", *flags)
        owned = measured(aws, f"owned by {stack}", "destroy", "--dry-run", *flags)
        out.append(StackShare(stack, plan, owned.run.plan_count("delete")))
    return out


def stack_names() -> list[str]:
    return sorted(p.stem for p in (ROOT / "desired_state").glob("*.toml"))


# -- synthetic N functions ----------------------------------------------------------------


@dataclass
class Scale:
    """One synthetic size: its first apply, converged plan, and that plan under AWS's quotas."""

    functions: int
    first_apply: Step
    plan: Step
    peaks: dict[str, int]
    quota_plan: Run
    throttled: int
    boundary_chars: int

    @property
    def managed(self) -> int:
        return self.first_apply.run.plan_count("create")

    @property
    def bound(self) -> quotas.Bound:
        return quotas.minimum(self.plan.run.calls.by_operation)

    @property
    def errors_reaching_user(self) -> int:
        return throttle_errors(self.quota_plan)


def scale(aws: SandboxProcess, functions: int, workdir: Path, latency_ms: float) -> Scale:
    """Apply N functions, measure the converged plan directly and through the quota proxy,
    then destroy them with no added latency (the destroy is not part of this measurement)."""
    folder = workdir / f"n{functions}"
    synthetic.write(folder, functions)
    suffix = f"syn{functions}"
    flags = ("--suffix", suffix, "--stack", synthetic.STACK, "--desired-dir", str(folder))
    first = measured(aws, f"first apply, {functions} functions", "apply", *flags)
    plan = measured(aws, f"converged plan, {functions} functions", "plan", *flags)
    stamps = [(f"{c.service}:{c.operation}", c.at) for c in aws.control.calls()]
    with QuotaProxy(aws.url, latency_ms) as proxy:
        # Exit 0 expected; anything else is what throttling did to the user, kept as data.
        quota_plan = reconcile(proxy.url, "plan", *flags, "--output", "json")
        throttled = sum(proxy.quotas.throttled.values())
    boundary = _boundary_chars(aws, suffix)
    with latency(aws, 0):
        destroy = ("destroy", "--yes", *flags, *unpaced())
        measured(aws, f"destroy, {functions} functions", *destroy)
    return Scale(functions, first, plan, quotas.peak_rate(stamps), quota_plan, throttled, boundary)


def throttle_errors(run: Run) -> int:
    """Throttling that reached the user: `error:` lines and failed actions that name it."""
    lines = [ln for ln in run.stderr.splitlines() if ln.startswith("error:")]
    count = sum(1 for ln in lines if THROTTLE_CODES.search(ln))
    if run.report is not None:
        failed = run.report.get("failed", [])
        count += sum(1 for f in failed if THROTTLE_CODES.search(str(f.get("reason", ""))))
    return count


def _boundary_chars(aws: SandboxProcess, suffix: str) -> int:
    """Length of the stack's boundary policy document as stored (IAM's limit is 6,144)."""
    iam = local_client(aws.url, "iam")
    wanted = f"-{suffix}"
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page["Policies"]:
            if policy["PolicyName"].endswith(wanted) and "boundary" in policy["PolicyName"]:
                version = iam.get_policy_version(
                    PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
                )
                document = version["PolicyVersion"]["Document"]
                return len(document if isinstance(document, str) else _compact(document))
    return 0


def _compact(document: object) -> str:
    return json.dumps(document, separators=(",", ":"))


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="reconcile-bench-")


# -- reconcile --help ---------------------------------------------------------------------


def help_seconds(tries: int = 5) -> list[float]:
    """Wall time of `reconcile --help` (the installed command when there is one)."""
    script = Path(sys.executable).parent / "reconcile"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "reconciler"]
    times = []
    for _ in range(tries):
        started = time.monotonic()
        subprocess.run([*command, "--help"], capture_output=True, check=True, cwd=ROOT)
        times.append(time.monotonic() - started)
    return times


# -- watch memory -------------------------------------------------------------------------


@dataclass
class WatchMemory:
    """RSS of a `watch` process after every cycle, against a converged suffix."""

    cycles: int = 0
    failures: int = 0
    seconds: float = 0.0
    samples: list[tuple[int, int]] = field(default_factory=list)  # (cycle, RSS in kB)

    def rss_at(self, cycle: int) -> int | None:
        return next((kb for c, kb in self.samples if c >= cycle), None)

    def settled(self) -> list[tuple[int, int]]:
        """Samples from cycle 10 on: imports and first-use caches are done by then."""
        return [(c, kb) for c, kb in self.samples if c >= 10]

    @property
    def trend_from(self) -> int:
        """First cycle of the trend: the second half of the run, once RSS has stopped
        climbing with warm-up (caches filling over the first few dozen cycles)."""
        return max(10, self.cycles // 2)

    @property
    def growth_kb_per_cycle(self) -> float:
        """Least-squares slope of RSS over the trend's cycles. RSS swings by megabytes from
        one cycle to the next as the allocator takes and returns memory; a slope over every
        cycle's sample separates a leak from that noise where two samples cannot."""
        points = [(c, kb) for c, kb in self.samples if c >= self.trend_from]
        if len(points) < 2:
            return 0.0
        mean_c = sum(c for c, _ in points) / len(points)
        mean_kb = sum(kb for _, kb in points) / len(points)
        num = sum((c - mean_c) * (kb - mean_kb) for c, kb in points)
        den = sum((c - mean_c) ** 2 for c, _ in points)
        return num / den if den else 0.0

    def thirds(self) -> tuple[float, float] | None:
        """Median RSS (kB) of the first and the last third of the settled samples."""
        points = [kb for _, kb in self.settled()]
        if len(points) < 6:
            return None
        third = len(points) // 3
        return statistics.median(points[:third]), statistics.median(points[-third:])


def rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def watch_memory(
    aws: SandboxProcess, suffix: str, max_cycles: int, max_seconds: float
) -> WatchMemory:
    """`reconcile watch` with a near-zero interval; RSS after every cycle, and at the end.

    With the image's MALLOC_ARENA_MAX=2 (see Dockerfile): the allocator setting it ships with.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "watch", "--suffix", suffix, "--interval", "0.001"],
        env=cli_env(aws.url, MALLOC_ARENA_MAX="2"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    result = WatchMemory()
    done = threading.Event()
    reader = threading.Thread(target=_follow, args=(proc, result, max_cycles, done), daemon=True)
    started = time.monotonic()
    reader.start()
    done.wait(max_seconds)
    result.seconds = time.monotonic() - started
    last = rss_kb(proc.pid)
    if last is not None:
        result.samples.append((result.cycles, last))
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return result


def _follow(
    proc: subprocess.Popen[str], result: WatchMemory, max_cycles: int, done: threading.Event
) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        if '"reconcile.finished"' in line and '"watch"' in line:
            result.cycles += 1
            if '"exit_code": 0' not in line:
                result.failures += 1
            kb = rss_kb(proc.pid)
            if kb is not None:
                result.samples.append((result.cycles, kb))
            if result.cycles >= max_cycles:
                done.set()
    done.set()
