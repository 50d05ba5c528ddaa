"""policy: the IAM policy the reconciler needs, for a suffix, any suffix, or a fleet's hub
and roles. No AWS call."""

from __future__ import annotations

import argparse
from dataclasses import replace

from reconciler import pipeline
from reconciler.aws.regions import known_region
from reconciler.cli.choices import chosen
from reconciler.cli.terminal import Terminal
from reconciler.desired import stacks
from reconciler.desired.model import StackSpec
from reconciler.errors import InputError
from reconciler.fleet.load import load_fleet
from reconciler.fleet.model import FleetTarget
from reconciler.output import fleet_policy, reconciler_policy
from reconciler.output.exits import EXIT_OK


def run(args: argparse.Namespace, term: Terminal) -> int:
    if args.fleet is not None:
        return _fleet_policies(args)
    if args.hub is not None:
        raise InputError("--hub goes with --fleet: the principal a fleet's roles trust")
    if len(args.account) > 1:
        raise InputError("policy takes at most one --account: the account it is written for")
    options = replace(chosen(args), suffix=args.suffix or "*")
    if args.suffix:
        specs = pipeline.load(options)
    else:
        specs = stacks.load_specs(options.desired_dir, options.stacks, options.env)
    region = known_region(args.region) if args.region else "*"
    scope = reconciler_policy.PolicyScope(options.suffix, next(iter(args.account), "*"), region)
    print(reconciler_policy.rendered(specs, scope), end="")
    return EXIT_OK


def _fleet_policies(args: argparse.Namespace) -> int:
    if args.hub is None:
        raise InputError("policy --fleet needs --hub ARN: the principal the fleet's roles trust")
    hub = fleet_policy.hub_principal(args.hub)
    options = chosen(args)
    fleet = load_fleet(args.fleet, pipeline.fleet_check(options))

    def specs(target: FleetTarget) -> list[StackSpec]:
        return pipeline.load(
            replace(options, suffix=target.suffix, stacks=target.stacks, env=target.env)
        )

    print(fleet_policy.rendered(fleet_policy.fleet_policies(fleet, specs, hub)), end="")
    return EXIT_OK
