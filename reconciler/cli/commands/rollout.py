"""rollout status|abort: the releases in steps of a suffix, as its aliases hold them.

`abort` takes no lease: it must reach a rollout that a running apply is driving (that run
sees the alias change at its next look, within seconds, and stops with exit 1).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from reconciler import pipeline
from reconciler.adapters.base import Context, unless_missing
from reconciler.adapters.lambda_ import release, rollout
from reconciler.adapters.lambda_.configuration import MISSING
from reconciler.cli.choices import chosen
from reconciler.cli.commands.reconcile import started
from reconciler.cli.terminal import Terminal
from reconciler.errors import ReleaseRolledBack
from reconciler.expand import releases
from reconciler.expand.lambda_ import Release
from reconciler.output.exits import EXIT_OK

ABORTED = "aborted by reconcile rollout abort"


def run(args: argparse.Namespace, term: Terminal) -> int:
    options = chosen(args)
    started(options)
    specs = pipeline.load(options)
    ctx = pipeline.connect(options)
    declared = [r for spec in specs for r in releases(spec, ctx.target)]
    if args.action == "abort":
        return _abort(ctx, declared, options.suffix)
    for one in declared:
        print(_status(ctx, one, options.env))
    if not declared:
        print(f"No alias is declared for suffix {options.suffix!r}.")
    return EXIT_OK


def _status(ctx: Context, one: Release, env: str | None) -> str:
    alias = _alias(ctx, one)
    if alias is None:
        return f"{one.qualified}: not deployed"
    state = release.parse(alias.get("Description"))
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    serving = f"version {alias['FunctionVersion']}"
    serving += "".join(f", {w:.0%} to version {v}" for v, w in sorted(weights.items()))
    lines = [f"{one.qualified}: {serving}" + ("" if weights else " alone")]
    if isinstance(state, release.InProgress) and one.spec.stepped:
        lines.append(f"  {release.progress_words(one.spec, state, time.time())}")
    elif isinstance(state, release.InProgress):
        where = f"env {env}" if env else "the desired state (no --env)"
        lines.append(
            f"  rollout of version {state.version} in progress (step {state.step} since "
            f"{release.clock(state.since)}), but {where} declares none for it: "
            "name the environment it was released with"
        )
    elif isinstance(state, release.RolledBack):
        lines.append(f"  last rollout: {state.held()}")
    lines += [f"  alarm {name}: {value}" for name, value in _alarms(ctx, one)]
    return "\n".join(lines)


def _abort(ctx: Context, declared: list[Release], suffix: str) -> int:
    stopped = 0
    for one in declared:
        alias = _alias(ctx, one)
        state = release.parse(alias.get("Description")) if alias else None
        if not isinstance(state, release.InProgress):
            continue
        try:
            rollout.roll_back(ctx, one, state, ABORTED)
        except ReleaseRolledBack as done:
            print(f"Aborted: {done}")
            stopped += 1
    if not stopped:
        print(f"No rollout in progress for suffix {suffix!r}: nothing was written.")
    return EXIT_OK


def _alias(ctx: Context, one: Release) -> dict[str, Any] | None:
    lam = ctx.client("lambda")
    got: dict[str, Any] | None = unless_missing(
        lambda: lam.get_alias(FunctionName=one.function, Name=one.alias), *MISSING
    )
    return got


def _alarms(ctx: Context, one: Release) -> list[tuple[str, str]]:
    if not one.alarms:
        return []
    got = ctx.client("cloudwatch").describe_alarms(AlarmNames=list(one.alarms))
    states = {a["AlarmName"]: a["StateValue"] for a in got.get("MetricAlarms", [])}
    return [(name, states.get(name, "missing")) for name in one.alarms]
