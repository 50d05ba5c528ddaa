"""cost: what the suffix really cost over the last days, priced from its metrics."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from reconciler import pipeline
from reconciler.cli.choices import chosen
from reconciler.cli.commands.reconcile import started
from reconciler.cli.terminal import Terminal
from reconciler.cost import read, usage
from reconciler.cost.prices import table_for
from reconciler.errors import InputError
from reconciler.output.cost import usage_json, usage_text
from reconciler.output.exits import EXIT_OK

# CloudWatch keeps metrics this long (in hourly points).
RETENTION_DAYS = 455


def run(args: argparse.Namespace, term: Terminal) -> int:
    if args.days > RETENTION_DAYS:
        raise InputError(
            f"--days {args.days}: CloudWatch keeps metrics {RETENTION_DAYS} days at most"
        )
    options = chosen(args)
    started(options)
    prepared = pipeline.prepare(options)
    target = prepared.ctx.target
    period = usage.Period(args.days, dt.datetime.now(dt.UTC))
    uses = read.uses(prepared.ctx, prepared.resources, prepared.live, period.days, period.now)
    table = table_for(target.region)
    costs = [usage.priced(u, period, table) if table else usage.unpriced(u) for u in uses]
    if args.output == "json":
        print(json.dumps(usage_json(costs, period, target.region, table is not None), indent=2))
    else:
        print(usage_text(costs, period, target.region, table is not None))
    return EXIT_OK
