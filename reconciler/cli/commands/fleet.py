"""apply and plan of a fleet file: every target, each reported apart, then one table."""

from __future__ import annotations

import argparse
import os

from reconciler import pipeline
from reconciler.cli.choices import chosen
from reconciler.cli.terminal import Terminal
from reconciler.errors import InputError
from reconciler.fleet import report, shard
from reconciler.fleet import run as fleet_run
from reconciler.fleet.load import load_fleet
from reconciler.fleet.model import Fleet
from reconciler.fleet.shard import Shard
from reconciler.model import Options
from reconciler.output.text import closing_text, prepared_text


def run(args: argparse.Namespace, term: Terminal) -> int:
    if args.output == "markdown":
        raise InputError(
            "--output markdown is one suffix's plan for review; a fleet takes text or json"
        )
    if args.command == "apply" and term.asks and not args.yes:
        # Many targets, each planned and applied in turn: one question cannot approve them.
        raise InputError(
            "apply --fleet on a terminal writes to every target without a question for each: "
            "review with `reconcile plan --fleet FILE`, then add --yes"
        )
    options = chosen(args)
    part, fleet = share(args, options)
    only_plan = options.command.reports_drift

    finish = pipeline.plan_only if only_plan else pipeline.execute
    runs = fleet_run.run(fleet, options, finish)
    if args.output == "json":
        print(report.fleet_document(options.command.value, runs, part))
        return fleet_run.worst([done.exit_code for done in runs])
    for done in runs:
        if done.outcome is not None and not done.outcome.prepared.plan.empty:
            print(f"== {done.target.label}")
            term.show(prepared_text(done.outcome.prepared))
            print(closing_text(done.outcome), end="\n\n")
    print(report.fleet_table(runs, part))
    return fleet_run.worst([done.exit_code for done in runs])


def share(args: argparse.Namespace, options: Options) -> tuple[Shard, Fleet]:
    """This process's shard and its share of the fleet file, checked before any AWS call."""
    part = shard.chosen(args.shard, os.environ)
    return part, part.of(load_fleet(args.fleet, pipeline.fleet_check(options)))
