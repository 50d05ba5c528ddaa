"""The results of one benchmark run, judged against the targets and written as Markdown."""

from __future__ import annotations

import itertools
import math
import os
import platform
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench import quotas
from bench.fleet import FleetBench
from bench.fleet_tables import fleet_section, fleet_verdicts
from bench.local import Calls
from bench.markdown import Verdict, table
from bench.scenarios import Lifecycle, Scale, StackShare, Step, WatchMemory

READS_PER_RESOURCE = 1.5
ROUND_TRIPS = 4
SPEED_UP = 8.0
QUOTA_SLACK = 1.2
HELP_SECONDS = 0.5
WATCH_CYCLES = 1000
# "Flat" memory: RSS growth over 1,000 cycles (extrapolated from the slope over the second
# half of the run, after warm-up) under 10% of the RSS at cycle 10.
WATCH_GROWTH = 0.10
IAM_POLICY_CHARS = 6144


@dataclass
class Results:
    quick: bool
    latency_ms: float
    date: str
    code: str = "unknown"
    elapsed_s: float = 0.0
    lifecycles: list[Lifecycle] = field(default_factory=list)
    shares: list[StackShare] = field(default_factory=list)
    scales: list[Scale] = field(default_factory=list)
    help_s: list[float] = field(default_factory=list)
    watch: WatchMemory | None = None
    fleet: FleetBench | None = None
    # Other work on the machine skews wall times; the load average says how much there was.
    load: list[str] = field(default_factory=list)

    def lifecycle(self, workers: int) -> Lifecycle | None:
        return next((lc for lc in self.lifecycles if lc.workers == workers), None)

    def default(self) -> Lifecycle | None:
        """The lifecycle at the CLI's default worker count (the first one measured)."""
        return self.lifecycles[0] if self.lifecycles else None

    def steps(self) -> Iterator[Step]:
        for lc in self.lifecycles:
            yield from lc.steps.values()
            if lc.plan_at_zero is not None:
                yield lc.plan_at_zero
        for share in self.shares:
            yield share.plan
        for sc in self.scales:
            yield sc.first_apply
            yield sc.plan


def load_average() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as avg:
            return " ".join(avg.read().split()[:3])
    except OSError:
        return "unknown"


def machine() -> list[tuple[str, str]]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")),
                model,
            )
    except OSError:
        pass
    return [
        ("CPUs", str(os.cpu_count())),
        ("CPU model", model),
        ("Python", platform.python_version()),
        ("OS", platform.platform()),
    ]


# -- targets -------------------------------------------------------------------------------


def verdicts(r: Results) -> list[Verdict]:
    return [
        _zero_writes(r),
        _reads_per_resource(r),
        _round_trips(r),
        _speed_up(r),
        _linear(r),
        _quota_bound(r),
        _throttling(r),
        _help(r),
        _watch(r),
        *fleet_verdicts(r.fleet),
    ]


def _zero_writes(r: Results) -> Verdict:
    target = "Converged run of both stacks: 0 writes"
    writes = [
        (lc.workers, name, lc.steps[name].run.calls.writes)
        for lc in r.lifecycles
        for name in ("converged plan", "converged apply")
    ]
    if not writes:
        return Verdict(target, "-", None)
    text = ", ".join(f"{name} ({w} workers): {n}" for w, name, n in writes)
    return Verdict(target, text, all(n == 0 for _, _, n in writes))


def _reads_per_resource(r: Results) -> Verdict:
    target = f"Converged run: reads <= {READS_PER_RESOURCE} x managed resources"
    lc = r.default()
    if lc is None:
        return Verdict(target, "-", None)
    reads = lc.steps["converged plan"].run.calls.reads
    limit = READS_PER_RESOURCE * lc.managed
    text = (
        f"{reads} reads for {lc.managed} resources = {reads / lc.managed:.2f} per resource "
        f"(limit {limit:.0f})"
    )
    return Verdict(target, text, reads <= limit)


def _round_trips(r: Results) -> Verdict:
    target = (
        f"Converged plan at {r.latency_ms:g} ms/call: <= {ROUND_TRIPS} round trips + local compute"
    )
    lc = r.default()
    if lc is None or lc.plan_at_zero is None or r.latency_ms <= 0:
        return Verdict(target, "-", None)
    slow = lc.steps["converged plan"].run.wall_s
    fast = lc.plan_at_zero.run.wall_s
    trips = (slow - fast) / (r.latency_ms / 1000)
    limit = fast + ROUND_TRIPS * r.latency_ms / 1000
    text = (
        f"{slow:.2f} s vs limit {limit:.2f} s ({fast:.2f} s local compute); "
        f"{trips:.0f} sequential round trips"
    )
    return Verdict(target, text, slow <= limit)


def _speed_up(r: Results) -> Verdict:
    target = f"Converged plan: >= {SPEED_UP:g}x faster than --max-workers 1"
    one, default = r.lifecycle(1), r.default()
    if one is None or default is None:
        return Verdict(target, "-", None)
    ratio = one.steps["converged plan"].run.wall_s / default.steps["converged plan"].run.wall_s
    return Verdict(target, f"{ratio:.1f}x", ratio >= SPEED_UP)


def _per_function(sc: Scale) -> float:
    return sc.plan.run.calls.total / sc.functions


def _marginal(a: Scale, b: Scale) -> float:
    return (b.plan.run.calls.total - a.plan.run.calls.total) / (b.functions - a.functions)


def _linear(r: Results) -> Verdict:
    target = "Synthetic: converged-plan calls grow linearly with functions"
    if len(r.scales) < 3:
        return Verdict(target, "-", None)
    pairs = list(itertools.pairwise(r.scales))
    margins = [_marginal(a, b) for a, b in pairs]
    text = ", ".join(
        f"{a.functions}->{b.functions}: +{m:.1f} calls/function"
        for (a, b), m in zip(pairs, margins, strict=True)
    )
    # Linear: each added function costs the same; superlinear growth shows as a rising margin.
    return Verdict(target, text, max(margins) <= min(margins) * 1.1 + 0.5)


def _largest(r: Results) -> Scale | None:
    return r.scales[-1] if r.scales else None


def _quota_bound(r: Results) -> Verdict:
    sc = _largest(r)
    target = f"Synthetic, largest size: converged plan <= {QUOTA_SLACK}x quota-bound minimum"
    if sc is None or sc.bound.seconds <= 0:
        return Verdict(target, "-", None)
    ratio = sc.quota_plan.wall_s / sc.bound.seconds
    text = (
        f"{sc.functions} functions: {sc.quota_plan.wall_s:.1f} s vs minimum "
        f"{sc.bound.seconds:.1f} s ({sc.bound.bucket}) = {ratio:.2f}x"
    )
    return Verdict(target, text, ratio <= QUOTA_SLACK)


def _throttling(r: Results) -> Verdict:
    sc = _largest(r)
    target = "Synthetic, largest size: no throttling error reaching the user"
    if sc is None:
        return Verdict(target, "-", None)
    text = (
        f"{sc.functions} functions: {sc.errors_reaching_user} error(s), exit "
        f"{sc.quota_plan.code}; {sc.throttled} throttled answers, "
        f"{sc.quota_plan.calls.retries} botocore retries"
    )
    return Verdict(target, text, sc.errors_reaching_user == 0 and sc.quota_plan.code == 0)


def _help(r: Results) -> Verdict:
    target = f"`reconcile --help` < {HELP_SECONDS} s"
    if not r.help_s:
        return Verdict(target, "-", None)
    best = min(r.help_s)
    return Verdict(target, f"{best:.3f} s (best of {len(r.help_s)})", best < HELP_SECONDS)


def watch_growth(w: WatchMemory) -> tuple[float, float] | None:
    """(kB at cycle 10, kB of growth over 1,000 cycles, measured or extrapolated)."""
    start = w.rss_at(10)
    if start is None or w.cycles < 20:
        return None
    return float(start), w.growth_kb_per_cycle * (WATCH_CYCLES - 10)


def _watch(r: Results) -> Verdict:
    target = f"`watch` memory flat across {WATCH_CYCLES:,} cycles"
    growth = watch_growth(r.watch) if r.watch else None
    if r.watch is None or growth is None:
        return Verdict(target, "-", None)
    start, grow = growth
    how = "measured" if r.watch.cycles >= WATCH_CYCLES else f"extrapolated from {r.watch.cycles}"
    end = r.watch.samples[-1][1]
    text = (
        f"{start / 1024:.1f} MB at cycle 10, {end / 1024:.1f} MB at cycle {r.watch.cycles}; "
        f"trend over cycles {r.watch.trend_from}-{r.watch.cycles} "
        f"{r.watch.growth_kb_per_cycle:+.2f} kB/cycle = {grow / 1024:+.1f} MB over "
        f"{WATCH_CYCLES:,} cycles ({how} cycles)"
    )
    return Verdict(target, text, grow <= WATCH_GROWTH * start)


# -- Markdown ------------------------------------------------------------------------------


def render(r: Results) -> str:
    lines = _intro(r)
    lines += _targets(r)
    lines += _stacks(r)
    lines += _where_reads_go(r)
    lines += _synthetic(r)
    lines += _quotas_used()
    lines += _help_and_watch(r)
    lines += fleet_section(r.fleet)
    lines += _cross_check(r)
    return "\n".join(lines) + "\n"


def _intro(r: Results) -> list[str]:
    mode = "quick (`--quick`)" if r.quick else "full (`make bench`)"
    lines = [
        "# Benchmarks",
        "",
        "Measured by `make bench` (`python -m bench.run`; `--quick` for a short run, `--help` "
        "for the flags) against the embedded local AWS with a fixed latency added to every "
        "call by the sandbox's `latency_ms` knob. API calls are read from each run's JSON "
        "report (`api_calls`) and checked against the calls the local AWS recorded. Wall "
        "times are of the whole `reconcile` process, interpreter start-up included; the "
        "report's own `duration_s` is shown beside them. Converged plans are the fastest of "
        "three runs (other work on the machine only adds time); every other step runs once. "
        "The local AWS runs on the same machine, so its own CPU time is part of every wall "
        "time, and of the 'local compute' measured with no added latency.",
        "",
        f"Run: {mode}, {r.date}, code {r.code}, latency {r.latency_ms:g} ms per call, "
        f"took {r.elapsed_s / 60:.1f} min.",
        "",
    ]
    rows = [[k, v] for k, v in machine()]
    if r.load:
        rows.append(["load average (1, 5, 15 min)", "; ".join(r.load)])
    lines += table(["machine", ""], rows)
    return [*lines, ""]


def _targets(r: Results) -> list[str]:
    rows = [[v.target, v.measured, v.mark] for v in verdicts(r)]
    return ["## Targets", "", *table(["target", "measured", ""], rows), ""]


def _step_row(lc: Lifecycle, name: str, step: Step) -> list[str]:
    calls = step.run.calls
    return [
        name,
        str(lc.workers),
        str(calls.total),
        str(calls.reads),
        str(calls.writes),
        f"{step.run.wall_s:.2f}",
        f"{step.run.duration_s:.2f}",
    ]


def _stacks(r: Results) -> list[str]:
    if not r.lifecycles:
        return []
    rows = [_step_row(lc, name, step) for lc in r.lifecycles for name, step in lc.steps.items()]
    lines = [
        "## Both stacks (`--stack all`)",
        "",
        f"Each worker count on its own suffix; latency {r.latency_ms:g} ms per call.",
        "",
        *table(["step", "workers", "calls", "reads", "writes", "wall s", "in-run s"], rows),
        "",
    ]
    lines += _ratios(r)
    lc = r.default() or r.lifecycles[0]
    plan = lc.steps["converged plan"].run.calls
    lines += [
        f"Managed resources (created by the first apply): {lc.managed}. Converged plan: "
        f"{plan.reads} reads = {plan.reads / lc.managed:.2f} per resource (target "
        f"{READS_PER_RESOURCE}). The same plan with no added latency took "
        f"{lc.plan_at_zero.run.wall_s if lc.plan_at_zero else math.nan:.2f} s.",
        "",
    ]
    return lines


def _ratios(r: Results) -> list[str]:
    one, default = r.lifecycle(1), r.default()
    if one is None or default is None:
        return []
    rows = []
    for name, step in default.steps.items():
        slow = one.steps[name].run
        rows.append(
            [
                name,
                f"{slow.wall_s:.2f}",
                f"{step.run.wall_s:.2f}",
                f"{slow.wall_s / step.run.wall_s:.1f}x",
                f"{slow.duration_s / step.run.duration_s:.1f}x",
            ]
        )
    many = f"wall s, {default.workers} workers"
    header = ["step", "wall s, 1 worker", many, "speed-up", "in-run speed-up"]
    return [*table(header, rows), "", *_differences(one, default)]


def _differences(one: Lifecycle, default: Lifecycle) -> list[str]:
    """Operations whose counts depend on the worker count (retries racing AWS's delays)."""
    parts = []
    for name, step in default.steps.items():
        mine, theirs = step.run.calls.by_operation, one.steps[name].run.calls.by_operation
        for op in sorted(set(mine) | set(theirs)):
            if mine.get(op, 0) != theirs.get(op, 0):
                parts.append(f"{name}: {op} {mine.get(op, 0)} vs {theirs.get(op, 0)}")
    if not parts:
        return ["Every step made the same calls at both worker counts.", ""]
    return [
        f"Calls that differ by worker count ({default.workers} vs 1 workers; a create retried "
        "while AWS's own "
        "delays run, e.g. a new role not yet assumable, is a new call): " + "; ".join(parts) + ".",
        "",
    ]


def _where_reads_go(r: Results) -> list[str]:
    lc = r.default()
    if lc is None:
        return []
    plan = lc.steps["converged plan"].run.calls
    lines = [
        "## Where a converged plan's reads go",
        "",
        "Both stacks, by operation (what batching would cut):",
        "",
        *table(["operation", "calls"], [[op, str(n)] for op, n in plan.top(40)]),
        "",
    ]
    lines += _buckets(
        "Both stacks, by quota bucket (calls / quota = the least time AWS allows):", plan
    )
    return lines + _reads_per_stack(r) + _reads_of_the_largest(r)


def _reads_per_stack(r: Results) -> list[str]:
    if not r.shares:
        return []
    rows = [
        [
            s.stack,
            str(s.managed),
            str(s.plan.run.calls.reads),
            f"{s.plan.run.calls.reads / max(s.managed, 1):.2f}",
            ", ".join(f"{op} {n}" for op, n in s.plan.run.calls.top(5)),
        ]
        for s in r.shares
    ]
    header = ["stack alone", "resources", "reads", "per resource", "top operations"]
    return [*table(header, rows), ""]


def _reads_of_the_largest(r: Results) -> list[str]:
    largest = _largest(r)
    if largest is None:
        return []
    calls = largest.plan.run.calls
    per_function = [[op, f"{n} ({n / largest.functions:.2f})"] for op, n in calls.top(15)]
    return [
        f"Synthetic stack of {largest.functions} functions, by operation (per function in "
        "brackets):",
        "",
        *table(["operation", "calls"], per_function),
        "",
        *_buckets("The same, by quota bucket:", calls),
    ]


def _buckets(title: str, calls: Calls) -> list[str]:
    rows = [
        [load.bucket, str(load.calls), f"{load.per_second:g}", f"{load.seconds:.1f}"]
        for load in quotas.loads(calls.by_operation)[:8]
    ]
    header = ["bucket", "calls", "quota req/s", "seconds at quota"]
    return [title, "", *table(header, rows), ""]


def _synthetic(r: Results) -> list[str]:
    if not r.scales:
        return []
    rows = [_scale_row(sc) for sc in r.scales]
    header = [
        "functions",
        "resources",
        "first apply calls (r/w)",
        "first apply s",
        "plan calls",
        "per function",
        "per resource",
        "plan s",
        "quota-bound min s (bucket)",
        "plan s under quotas",
        "x min",
        "throttled / retried / errors",
        "peak vs quota",
    ]
    lines = [
        "## Synthetic stacks (ETL-shaped functions)",
        "",
        "The ETL stack's functions repeated (api, load, transform, ...) with their own names, "
        "handlers, DLQs, roles, async settings and, for the critical ones, three alarms each; "
        "tables, layer, boundary and X-Ray group as in the ETL stack. `plan` is the converged "
        "plan straight to the local AWS; `under quotas` is the same plan through a proxy that "
        "throttles at the quotas below (token buckets, one second of burst), answering with "
        "each service's throttling error. The quota-bound minimum is calls / quota of the "
        "slowest bucket; a bucket starts full (one second of calls), so a small run can finish "
        "under it. `peak vs quota` is the busiest one-second window of the direct plan, which "
        "a full bucket lets reach twice the rate without a throttle.",
        "",
        *table(header, rows),
        "",
    ]
    lines += _marginals(r.scales)
    lines += _boundary(r.scales)
    return lines


def _scale_row(sc: Scale) -> list[str]:
    first, plan, bound = sc.first_apply.run.calls, sc.plan.run.calls, sc.bound
    return [
        str(sc.functions),
        str(sc.managed),
        f"{first.total} ({first.reads}/{first.writes})",
        f"{sc.first_apply.run.wall_s:.1f}",
        str(plan.total),
        f"{plan.total / sc.functions:.1f}",
        f"{plan.reads / max(sc.managed, 1):.2f}",
        f"{sc.plan.run.wall_s:.1f}",
        f"{bound.seconds:.1f} ({bound.bucket})",
        f"{sc.quota_plan.wall_s:.1f} (exit {sc.quota_plan.code})",
        f"{sc.quota_plan.wall_s / bound.seconds:.2f}" if bound.seconds else "-",
        f"{sc.throttled} / {sc.quota_plan.calls.retries} / {sc.errors_reaching_user}",
        _peak(sc),
    ]


def _peak(sc: Scale) -> str:
    """The bucket the unthrottled plan overran most: its busiest second against its quota."""
    worst = max(
        sc.peaks.items(),
        key=lambda item: item[1] / _rate(item[0]),
        default=None,
    )
    if worst is None:
        return "-"
    bucket, peak = worst
    return f"{bucket}: {peak}/s vs {_rate(bucket):g}/s"


def _rate(bucket: str) -> float:
    service, _, rest = bucket.partition(": ")
    operation = quotas.ANY if rest == "other operations" else rest
    return quotas.bucket_of(service, operation)[1]


def _marginals(scales: list[Scale]) -> list[str]:
    if len(scales) < 2:
        return []
    parts = [
        f"{a.functions}->{b.functions}: {_marginal(a, b):.1f}"
        for a, b in itertools.pairwise(scales)
    ]
    per = [f"{sc.functions}: {_per_function(sc):.1f}" for sc in scales]
    return [
        "Converged-plan calls per function: "
        + ", ".join(per)
        + ". Calls per added function: "
        + ", ".join(parts)
        + ".",
        "",
    ]


def _boundary(scales: list[Scale]) -> list[str]:
    sizes = [f"{sc.functions} functions: {sc.boundary_chars:,}" for sc in scales]
    over = [sc.functions for sc in scales if sc.boundary_chars > IAM_POLICY_CHARS]
    note = (
        f" Above IAM's {IAM_POLICY_CHARS:,}-character limit for a managed policy at "
        f"{', '.join(map(str, over))} functions: real IAM would refuse it (the local AWS "
        "does not check the size)."
        if over
        else ""
    )
    return [
        "Boundary policy size (characters, as stored): " + "; ".join(sizes) + "." + note,
        "",
    ]


def _quotas_used() -> list[str]:
    rows = [
        [
            q.service,
            "(others)" if q.operation == quotas.ANY else q.operation,
            f"{q.per_second:g}",
            q.source,
        ]
        for q in quotas.QUOTAS
    ]
    return [
        "## Quotas assumed (requests per second per account and region)",
        "",
        *table(["service", "operation", "req/s", "source"], rows),
        "",
    ]


def _help_and_watch(r: Results) -> list[str]:
    lines = ["## `reconcile --help` and `watch` memory", ""]
    if r.help_s:
        runs = ", ".join(f"{s:.3f}" for s in r.help_s)
        lines += [
            f"`reconcile --help`: best {min(r.help_s):.3f} s, median "
            f"{statistics.median(r.help_s):.3f} s ({runs}).",
            "",
        ]
    w = r.watch
    if w is not None:
        shown = [(c, kb) for c, kb in w.samples if c in (1, 10) or c % 50 == 0]
        # The sample taken at the end shares the last cycle's number: one entry, the later.
        by_cycle = dict([*shown, w.samples[-1]])
        samples = ", ".join(f"{c}: {kb / 1024:.1f}" for c, kb in by_cycle.items())
        thirds = w.thirds()
        medians = (
            f" Median RSS of the first and last third of cycles 10-{w.cycles}: "
            f"{thirds[0] / 1024:.1f} MB and {thirds[1] / 1024:.1f} MB."
            if thirds
            else ""
        )
        lines += [
            f"`reconcile watch --interval 0.001` on a converged suffix of both stacks, no added "
            f"latency: {w.cycles} cycles in {w.seconds:.0f} s, {w.failures} failed. RSS is read "
            f"from /proc after every cycle; MB by cycle: {samples}.{medians}",
            "",
        ]
    return lines


def _cross_check(r: Results) -> list[str]:
    steps = list(r.steps())
    bad = [(s.name, s.mismatch) for s in steps if s.mismatch]
    if not bad:
        text = (
            f"Cross-check: in all {len(steps)} measured runs the report's call counts match "
            "what the local AWS recorded, operation by operation (the lease release, made "
            "after the report is taken, aside)."
        )
        return ["## Cross-check", "", text, ""]
    rows = [
        [name, op, str(mine), str(seen)] for name, ops in bad for op, (mine, seen) in ops.items()
    ]
    return [
        "## Cross-check",
        "",
        "Operations where the report and the local AWS disagree:",
        "",
        *table(["run", "operation", "report", "local AWS"], rows),
        "",
    ]
