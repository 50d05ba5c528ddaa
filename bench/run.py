"""`python -m bench.run`: measure the reconciler against the local AWS, write BENCHMARKS.md.

Full run (`make bench`): both stacks at --max-workers 1 and at the CLI's default (first
apply, converged plan, converged apply, destroy), synthetic stacks of 10, 50 and 200
functions, `--help`, and `watch` memory. `--quick`: both stacks at the default workers, 10
synthetic functions and `--help`, with no added latency unless --latency-ms says otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import fleet, scenarios
from bench.fleet_tables import fleet_section, spliced
from bench.local import ROOT, unpaced
from bench.scenarios import BenchError, measured
from bench.tables import Results, load_average, render, verdicts
from reconciler.sandbox.child import SandboxProcess

FULL_SIZES = (10, 50, 200)
QUICK_SIZES = (10,)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    _measured(p)
    _reported(p)
    return p.parse_args(argv)


def _measured(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="a short run (CI, a quick look)")
    p.add_argument(
        "--latency-ms",
        type=float,
        default=None,
        help="added to every AWS call (default 50; 0 with --quick)",
    )
    p.add_argument("--stack", default="all", help="stacks of the lifecycle runs (default all)")
    p.add_argument(
        "--sizes",
        default=None,
        help="synthetic function counts, comma-separated (default 10,50,200; "
        "10 with --quick; 0 for none)",
    )
    p.add_argument(
        "--watch-cycles",
        type=int,
        default=None,
        help="stop `watch` after this many cycles (default 1000; 0 skips it, "
        "the default with --quick)",
    )
    p.add_argument(
        "--fleet-suffixes",
        type=int,
        default=None,
        help="suffixes per account-region of the fleet scenario, 3 accounts x 2 regions "
        "(default 10; 0 skips it, the default with --quick)",
    )
    p.add_argument(
        "--fleet-only",
        action="store_true",
        help="measure the fleet scenario alone and replace its section of BENCHMARKS.md",
    )
    p.add_argument(
        "--watch-seconds",
        type=float,
        default=600.0,
        help="...or after this many seconds (default 600)",
    )


def _reported(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--output",
        default=None,
        help="Markdown file to write, '-' for stdout (default BENCHMARKS.md; stdout with --quick)",
    )
    p.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    p.add_argument(
        "--code-label",
        default=None,
        help="the code measured, for the report (default: git describe)",
    )


@dataclasses.dataclass(frozen=True)
class Plan:
    quick: bool
    latency_ms: float
    stack: str
    workers: tuple[int, ...]
    sizes: tuple[int, ...]
    watch_cycles: int
    watch_seconds: float
    fleet_suffixes: int = 0
    fleet_only: bool = False


def plan_of(args: argparse.Namespace) -> Plan:
    sizes: tuple[int, ...] = QUICK_SIZES if args.quick else FULL_SIZES
    if args.sizes is not None:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip() and int(s) > 0)
    watch = args.watch_cycles if args.watch_cycles is not None else (0 if args.quick else 1000)
    return Plan(
        quick=args.quick,
        latency_ms=args.latency_ms if args.latency_ms is not None else (0 if args.quick else 50),
        stack=args.stack,
        workers=(default_workers(),) if args.quick else (default_workers(), 1),
        sizes=sizes,
        watch_cycles=watch,
        watch_seconds=args.watch_seconds,
        fleet_suffixes=_fleet_suffixes(args),
        fleet_only=args.fleet_only,
    )


def _fleet_suffixes(args: argparse.Namespace) -> int:
    if args.fleet_suffixes is not None:
        return max(0, int(args.fleet_suffixes))
    return 0 if args.quick and not args.fleet_only else 10


def default_workers() -> int:
    """The CLI's own default for --max-workers, read from its help."""
    helptext = subprocess.run(
        [sys.executable, "-m", "reconciler", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    found = re.search(r"--max-workers MAX_WORKERS\s+[^(]*\(default (\d+)\)", helptext)
    return int(found.group(1)) if found else 8


def code_label() -> str:
    """The commit measured, and whether the working tree differed from it."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return done.stdout.strip()


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def measure(plan: Plan, code: str) -> Results:
    started = time.monotonic()
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    results = Results(plan.quick, plan.latency_ms, date, code)
    results.load.append(f"at start {load_average()}")
    with SandboxProcess() as aws, scenarios.workdir() as tmp:
        say(f"local AWS on {aws.url}; warming it up")
        _warm_up(aws, plan.stack)
        aws.control.configure(latency_ms=plan.latency_ms)
        if not plan.fleet_only:
            _one_suffix(aws, plan, results, Path(tmp))
        if plan.fleet_suffixes > 0:
            # Last: the fleet's targets stay deployed and would swell the others' listings.
            say(f"fleet: 3 accounts x 2 regions x {plan.fleet_suffixes} suffixes")
            results.fleet = fleet.fleet(aws, Path(tmp), plan.fleet_suffixes, plan.latency_ms)
    results.load.append(f"at end {load_average()}")
    results.elapsed_s = time.monotonic() - started
    return results


def _one_suffix(aws: SandboxProcess, plan: Plan, results: Results, tmp: Path) -> None:
    say("reconcile --help, 5 times")
    results.help_s = scenarios.help_seconds()
    _lifecycles(aws, plan, results)
    for n in plan.sizes:
        say(f"synthetic stack: {n} functions")
        results.scales.append(scenarios.scale(aws, n, tmp, plan.latency_ms))
    if plan.watch_cycles > 0:
        results.watch = _watch(aws, plan)


def _warm_up(aws: SandboxProcess, stack: str) -> None:
    """One apply and destroy first, so that the first measured run pays neither the local
    AWS's own start-up nor the one-time creation of the reconciler's lock table."""
    flags = ("--suffix", "bwarm", "--stack", stack, *unpaced())
    measured(aws, "warm-up apply", "apply", *flags)
    measured(aws, "warm-up destroy", "destroy", "--yes", *flags)


def _lifecycles(aws: SandboxProcess, plan: Plan, results: Results) -> None:
    for workers in plan.workers:
        say(f"stacks '{plan.stack}', --max-workers {workers}")

        def shares(suffix: str) -> None:
            stacks = scenarios.stack_names() if plan.stack == "all" else [plan.stack]
            results.shares = scenarios.stack_shares(aws, suffix, stacks)

        hook = shares if workers == plan.workers[0] and not plan.quick else None
        results.lifecycles.append(
            scenarios.lifecycle(aws, f"bw{workers}", workers, plan.stack, hook)
        )


def _watch(aws: SandboxProcess, plan: Plan) -> scenarios.WatchMemory:
    say(f"watch: up to {plan.watch_cycles} cycles or {plan.watch_seconds:g} s, no latency")
    aws.control.configure(latency_ms=0)
    flags = ("--suffix", "bwatch", "--stack", plan.stack, *unpaced())
    measured(aws, "watch suffix apply", "apply", *flags)
    return scenarios.watch_memory(aws, "bwatch", plan.watch_cycles, plan.watch_seconds)


def _step(s: scenarios.Step) -> dict[str, Any]:
    calls = s.run.calls
    return {
        "wall_s": round(s.run.wall_s, 3),
        "duration_s": s.run.duration_s,
        "reads": calls.reads,
        "writes": calls.writes,
        "by_operation": calls.by_operation,
        "mismatch": s.mismatch,
    }


def _scale(sc: scenarios.Scale) -> dict[str, Any]:
    return {
        "functions": sc.functions,
        "managed": sc.managed,
        "first_apply": _step(sc.first_apply),
        "plan": _step(sc.plan),
        "quota_plan_wall_s": round(sc.quota_plan.wall_s, 3),
        "quota_plan_exit": sc.quota_plan.code,
        "throttled": sc.throttled,
        "bound_s": sc.bound.seconds,
        "boundary_chars": sc.boundary_chars,
    }


def raw(results: Results) -> dict[str, Any]:
    """The figures as JSON, for comparing runs."""
    return {
        "date": results.date,
        "code": results.code,
        "latency_ms": results.latency_ms,
        "elapsed_s": round(results.elapsed_s, 1),
        "lifecycles": [
            {
                "workers": lc.workers,
                "managed": lc.managed,
                "steps": {name: _step(s) for name, s in lc.steps.items()},
            }
            for lc in results.lifecycles
        ],
        "scales": [_scale(sc) for sc in results.scales],
        "help_s": results.help_s,
        "watch": dataclasses.asdict(results.watch) if results.watch else None,
        "targets": [dataclasses.asdict(v) for v in verdicts(results)],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    plan = plan_of(args)
    try:
        results = measure(plan, args.code_label or code_label())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    output = args.output or ("-" if plan.quick else str(ROOT / "BENCHMARKS.md"))
    if plan.fleet_only:
        text = (
            spliced(Path(output).read_text(encoding="utf-8"), results.fleet)
            if output != "-"
            else ""
        )
        text = text or "\n".join(fleet_section(results.fleet)) + "\n"
    else:
        text = render(results)
    if output == "-":
        print(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        say(f"wrote {output}")
    if args.json is not None:
        args.json.write_text(json.dumps(raw(results), indent=2, sort_keys=True) + "\n")
    for verdict in verdicts(results):
        say(f"{verdict.mark:>12}  {verdict.target}: {verdict.measured}")
    say(f"done in {results.elapsed_s / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
