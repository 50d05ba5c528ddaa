"""watch: apply every interval, for months, of one suffix or a fleet."""

from __future__ import annotations

import argparse
from dataclasses import replace

import boto3

from reconciler.cli.choices import chosen
from reconciler.cli.commands.fleet import share
from reconciler.cli.commands.reconcile import started
from reconciler.cli.terminal import Terminal
from reconciler.fleet.run import Sessions
from reconciler.model import Command
from reconciler.watch import loop


def run(args: argparse.Namespace, term: Terminal) -> int:
    schedule = loop.Schedule(
        interval_s=args.interval,
        once=args.once,
        metrics_port=args.metrics_port,
        unhealthy_after=args.unhealthy_after,
        stale_after_s=args.stale_after,
    )
    options = replace(chosen(args), command=Command.APPLY)
    if args.fleet is None:
        started(replace(options, command=Command.WATCH))
        return loop.run(options, schedule)
    _, fleet = share(args, options)
    return loop.run(options, schedule, loop.fleet_cycle(fleet, Sessions(boto3.session.Session())))
