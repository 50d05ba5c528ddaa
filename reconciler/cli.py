"""CLI: parse, run the command, print, and map the outcome to the documented exit codes.

Each command has its own flags (`reconcile plan --help`); the ones every command shares sit
in one parent parser. A bare `reconcile --suffix x` applies.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from reconciler.apply.lease_times import WAIT_S
from reconciler.output.exits import EXIT_FAILED, EXIT_OK, exit_code

if TYPE_CHECKING:
    from reconciler.desired.model import StackSpec
    from reconciler.fleet.model import Fleet
    from reconciler.fleet.shard import Shard
    from reconciler.output.plan_file import SavedPlan
    from reconciler.pipeline import Options, Outcome

DEFAULT_COMMAND = "apply"
ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class UsageError(Exception):
    """A bad command line (exit 1: exit 2 means drift, never a typo)."""

    def __init__(self, message: str, prog: str = "reconcile") -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.prog)


# --- argument types: each refusal is the one line the user sees ----------------------------


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _positive(text: str) -> float:
    if (value := _number(text)) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def _non_negative(text: str) -> float:
    if (value := _number(text)) < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number above 0")
    return int(text)


def _account_id(text: str) -> str:
    if len(text) != 12 or not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a 12-digit AWS account id")
    return text


def _env_name(text: str) -> str:
    if not ENV_NAME.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an environment name (letters, digits, - and _)"
        )
    return text


def _stack_name(text: str) -> str:
    if not re.match(r"^[a-z][a-z0-9_-]*$", text) or text == "all":
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a stack name (lowercase letters, digits, - and _; not 'all')"
        )
    return text


def _tag(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def _rate(text: str) -> tuple[str, float]:
    key, sep, value = text.partition("=")
    service, _, operation = key.partition(":")
    well_formed = sep and service.isalpha() and service.islower()
    if not well_formed or (operation and not operation.isalnum()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SERVICE=N or SERVICE:Operation=N (e.g. lambda=15)"
        )
    return key, _non_negative(value)


# --- flag groups -----------------------------------------------------------------------------


def _where(p: argparse.ArgumentParser) -> None:
    """What every command takes: the environment, where its desired state is, which account."""
    p.add_argument(
        "--suffix",
        default=os.environ.get("RECONCILE_SUFFIX") or None,
        help="environment suffix, e.g. pr42 (default $RECONCILE_SUFFIX)",
    )
    p.add_argument("--region", help="AWS region (default: the stack's, else us-east-1)")
    p.add_argument(
        "--desired-dir",
        type=Path,
        default=None,
        help="folder of <stack>.toml files (default $RECONCILE_DESIRED_DIR, else "
        "./desired_state or the current folder; never the tool's own)",
    )
    p.add_argument(
        "--account",
        action="append",
        type=_account_id,
        default=[],
        metavar="ID",
        help="refuse to run unless AWS says we are in this account (repeatable)",
    )
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))


def _which(p: argparse.ArgumentParser) -> None:
    """Which part of the desired state, for which of its environments."""
    p.add_argument(
        "--stack",
        default="all",
        help="a stack of the desired-state folder, several separated by commas, or all (default)",
    )
    p.add_argument(
        "--env",
        type=_env_name,
        default="dev",
        help="an environment the stacks' [environments] declare (default dev)",
    )


def _importing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stack",
        required=True,
        type=_stack_name,
        help="the new stack's name: <stack>.toml is written, never over a file",
    )
    p.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME",
        help="a function to take in, by its full name (repeatable)",
    )
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        type=_tag,
        metavar="KEY=VALUE",
        help="take in every function carrying this tag (repeatable: all of them)",
    )
    p.add_argument(
        "--plain",
        action="append",
        default=[],
        metavar="VARIABLE",
        help="an environment variable written as plain configuration instead of a "
        "secret reference (repeatable; never one named like a credential)",
    )


def _fleet(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fleet",
        type=Path,
        metavar="FILE",
        help="run every target of a fleet file (suffixes, accounts, regions) instead of "
        "one --suffix (docs/fleet.md)",
    )
    p.add_argument(
        "--shard",
        metavar="I/N",
        help="with --fleet: take only shard I of N (0-based) of the fleet's account-regions; "
        "in a Kubernetes Indexed Job, $JOB_COMPLETION_INDEX of $RECONCILE_SHARD_COUNT",
    )


def _fleet_policy(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fleet",
        type=Path,
        metavar="FILE",
        help="print the hub's policies and each fleet role's policy and trust policy",
    )
    p.add_argument(
        "--hub",
        metavar="ARN",
        help="with --fleet: the role (or account id) the fleet runs as, which the roles trust",
    )


def _report(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--output",
        choices=("text", "json", "markdown"),
        default="text",
        help="text for people (default), one JSON document for scripts, or markdown for a "
        "pull-request comment",
    )


def _reads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-workers", type=_positive_int, default=32, help="parallel AWS calls (default 32)"
    )
    p.add_argument(
        "--rate-limit",
        action="append",
        type=_rate,
        default=[],
        metavar="SERVICE[:Operation]=N",
        help="calls per second for an AWS API (0: unpaced); default AWS's "
        "published quotas, e.g. lambda=15 (repeatable)",
    )


def _writes(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lock-wait",
        type=_non_negative,
        default=WAIT_S,
        help="seconds to wait for a live run of this suffix (default %(default).0f, longer "
        "than a crashed run's lease lasts)",
    )


def _changes(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-replace",
        action="store_true",
        help="allow delete-then-create where AWS cannot update in place",
    )
    p.add_argument(
        "--pc-timeout",
        type=_positive,
        default=900.0,
        help="seconds to wait for provisioned concurrency (default 900)",
    )


def _adopting(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--adopt",
        action="store_true",
        help="take over declared resources that exist without our tags: tag them and change "
        "them in place (never another suffix's, never a CloudFormation stack's)",
    )


def _destroying(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", action="store_true", help="delete without typing the suffix")
    p.add_argument("--dry-run", action="store_true", help="list only, delete nothing")
    p.add_argument(
        "--include-adopted",
        action="store_true",
        help="also delete what was taken over with --adopt (listed apart in the plan); "
        "without it, adopted resources are released; a protected one never is deleted",
    )


def _releasing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="a resource's full name, as the plan shows it: our tags are removed, "
        "nothing is deleted, and no later run changes it",
    )
    p.add_argument("--dry-run", action="store_true", help="list only, change nothing")


def _saving(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="also write the plan to FILE for review; `--plan FILE` then applies exactly it "
        "(docs/saved-plans.md)",
    )


def _reviewed(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--plan",
        dest="plan_file",
        type=Path,
        metavar="FILE",
        help="apply exactly the plan saved in FILE, after checking that nothing it was made "
        "from changed (docs/saved-plans.md)",
    )
    p.add_argument(
        "--max-age",
        type=_positive,
        default=24.0,
        metavar="HOURS",
        help="refuse a saved plan older than this (default 24)",
    )


def _costing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--days",
        type=_positive_int,
        default=30,
        help="the period priced, ending now (default 30, at most 455: CloudWatch's retention)",
    )
    p.add_argument(
        "--output",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or one JSON document for scripts",
    )


def _watching(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--interval",
        type=_positive,
        default=300.0,
        help="seconds between cycles, with 10%% jitter (default 300)",
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="one cycle, exit code as apply (for external schedulers)",
    )
    p.add_argument(
        "--metrics-port",
        type=_positive_int,
        default=None,
        help="serve /metrics (Prometheus) and /healthz on this port",
    )
    p.add_argument(
        "--unhealthy-after",
        type=_positive_int,
        default=3,
        help="/healthz answers 503 after this many failed cycles in a row (default 3)",
    )
    p.add_argument(
        "--stale-after",
        type=_positive,
        default=None,
        help="/healthz answers 503 when no cycle finished for this long "
        "(default 2 x interval + 1800 s)",
    )


Group = Callable[[argparse.ArgumentParser], None]
COMMANDS: dict[str, tuple[str, tuple[Group, ...]]] = {
    "apply": (
        "show what differs, apply it, verify (the default)",
        (_report, _reads, _writes, _changes, _adopting, _fleet, _reviewed),
    ),
    "plan": (
        "show what differs; exit 2 when anything does",
        (_report, _reads, _adopting, _fleet, _saving),
    ),
    "destroy": (
        "remove everything the suffix owns, and nothing else",
        (_report, _reads, _writes, _destroying, _saving, _reviewed),
    ),
    "release": (
        "hand resources back: our tags removed, nothing deleted",
        (_report, _reads, _writes, _releasing),
    ),
    "watch": (
        "apply every --interval seconds, for months",
        (_reads, _writes, _changes, _watching, _fleet),
    ),
    "unlock": ("remove the suffix's lease now, whoever holds it", ()),
    "policy": (
        "print the IAM policy the reconciler needs (no AWS call; --suffix optional)",
        (_fleet_policy,),
    ),
    "cost": (
        "what the suffix really cost over the last days, priced from its metrics",
        (_reads, _costing),
    ),
    "import": (
        "write a stack's desired state and code from functions that already run",
        (_importing,),
    ),
}


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="reconcile",
        description="Keep AWS Lambda systems in the shape their owners declared.",
        epilog="exit codes: 0 in sync, 1 failed or bad input, 2 drift found (plan), "
        "3 apply left work undone. `reconcile COMMAND --help` lists a command's flags.",
    )
    everywhere = _Parser(add_help=False)
    _where(everywhere)
    reconciling = _Parser(add_help=False, parents=[everywhere])
    _which(reconciling)
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (summary, groups) in COMMANDS.items():
        # import names the one stack it writes; every other command reads stacks.
        parents = [everywhere] if name == "import" else [reconciling]
        sub = commands.add_parser(name, parents=parents, help=summary, description=summary)
        for group in groups:
            group(sub)
    return top


def _value_flags(top: argparse.ArgumentParser) -> set[str]:
    """Every flag, of any command, that takes a value."""
    subparsers = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return {
        flag
        for sub in subparsers.choices.values()
        for action in sub._actions
        if action.nargs != 0
        for flag in action.option_strings
    }


def command_first(argv: Sequence[str], value_flags: set[str]) -> list[str]:
    """argv with its command first (`reconcile --suffix x plan` works as it always did), and
    `apply` when none is named; a bare `--help` is left for the overview."""
    args = list(argv)
    index = 0
    while index < len(args) and args[index] != "--":
        token = args[index]
        if not token.startswith("-"):
            return [token, *args[:index], *args[index + 1 :]]
        index += 2 if token in value_flags else 1
    if "-h" in args or "--help" in args:
        return args
    return [DEFAULT_COMMAND, *args]


def parse(argv: Sequence[str]) -> argparse.Namespace:
    top = parser()
    args, extra = top.parse_known_args(command_first(argv, _value_flags(top)))
    if extra:
        raise UsageError(_misplaced(extra[0], args.command), f"reconcile {args.command}")
    if getattr(args, "fleet", None) is not None:
        _fleet_alone(argv, args.command)
        return args
    # What argv gave, apart from defaults: a saved plan's own values must agree with it.
    args.given = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    if getattr(args, "plan_file", None) is not None:
        return args
    if args.suffix is None and args.command != "policy":
        raise UsageError(
            "--suffix is required (or set RECONCILE_SUFFIX)", f"reconcile {args.command}"
        )
    return args


# What a fleet file says for each of its targets; given beside --fleet it would be ignored.
PER_TARGET = ("--suffix", "--stack", "--env", "--region", "--account")


def _fleet_alone(argv: Sequence[str], command: str) -> None:
    given = [f for f in PER_TARGET if any(a == f or a.startswith(f"{f}=") for a in argv)]
    if given:
        raise UsageError(
            f"--fleet takes each target's {given[0].lstrip('-')} from the fleet file; "
            f"drop {given[0]}",
            f"reconcile {command}",
        )


def _misplaced(flag: str, command: str) -> str:
    owners = [name for name, (_, groups) in COMMANDS.items() if _flag_of(flag, groups)]
    if owners:
        return f"`reconcile {command}` takes no {flag} (a flag of {' and '.join(owners)})"
    return f"unrecognized argument: {flag}"


def _flag_of(flag: str, groups: tuple[Group, ...]) -> bool:
    probe = _Parser(add_help=False)
    for group in groups:
        group(probe)
    return flag.split("=", 1)[0] in probe._option_string_actions


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        print(f"error: {exc} (see {exc.prog} --help)", file=sys.stderr)
        return EXIT_FAILED
    from reconciler.output import log

    log.configure(args.log_level)
    return _guarded(args)


def _guarded(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from reconciler.errors import ReconcileError
    from reconciler.output.log import describe_error

    try:
        return _run(args)
    except (ReconcileError, ClientError, BotoCoreError) as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
    return EXIT_FAILED


def _options(args: argparse.Namespace) -> Options:
    from reconciler.pipeline import Command, Options

    stacks = tuple(s.strip() for s in args.stack.split(",") if s.strip())
    return Options(
        command=Command(args.command),
        # A fleet's targets each bring their own.
        suffix=args.suffix or "",
        stacks=stacks or ("all",),
        desired_dir=_desired_dir(args),
        region=args.region,
        env=getattr(args, "env", "dev"),
        accounts=tuple(args.account),
        lock_wait_s=getattr(args, "lock_wait", WAIT_S),
        allow_replace=getattr(args, "allow_replace", False),
        adopt=getattr(args, "adopt", False),
        include_adopted=getattr(args, "include_adopted", False),
        release=tuple(getattr(args, "names", ())),
        pc_timeout_s=getattr(args, "pc_timeout", 900.0),
        max_workers=getattr(args, "max_workers", 32),
        rate_limits=tuple(getattr(args, "rate_limit", ())),
    )


def _desired_dir(args: argparse.Namespace) -> Path:
    """The folder the user named (flag, variable, or the current folder), checked before any
    AWS call; `import` writes a new one, so only where it is told."""
    from reconciler.desired import stacks

    if args.command == "import":
        return stacks.destination(args.desired_dir, os.environ)
    return stacks.folder(args.desired_dir, os.environ, Path.cwd())


def _run(args: argparse.Namespace) -> int:
    import structlog

    if args.command == "policy":
        return _policy(args)
    saved = _saved_plan(args) if getattr(args, "plan_file", None) is not None else None
    if getattr(args, "out", None) is not None:
        from reconciler import reviewed

        reviewed.check_writable(args.out)
    options = _options(args)
    if getattr(args, "fleet", None) is not None:
        return _watch(args, options) if args.command == "watch" else _fleet_run(args, options)
    structlog.contextvars.bind_contextvars(suffix=options.suffix, command=options.command.value)
    structlog.get_logger().info(
        "reconcile.started", command=options.command.value, suffix=options.suffix
    )
    if saved is not None:
        return _reconcile(args, options, saved)
    runners = {"unlock": _unlock, "watch": _watch, "import": _import, "cost": _cost}
    runner = runners.get(args.command, _reconcile)
    return runner(args, options)


# What a saved plan says, and the flag that would say it otherwise.
PLAN_FLAGS = {"--suffix": "suffix", "--stack": "stacks", "--env": "env", "--region": "region"}


def _saved_plan(args: argparse.Namespace) -> SavedPlan:
    """The plan file, read before any AWS call; flags given beside it must agree with it."""
    from reconciler import reviewed
    from reconciler.errors import InputError

    if getattr(args, "out", None) is not None:
        raise InputError("--out and --plan: a saved plan is applied as it is, not saved again")
    saved = reviewed.read(args.plan_file)
    made = saved.where
    said = {
        "suffix": made.suffix,
        "stacks": ",".join(made.stacks),
        "env": made.env,
        "region": made.region,
    }
    for flag, key in PLAN_FLAGS.items():
        given = getattr(args, flag.lstrip("-"))
        if flag in args.given and given != said[key]:
            raise InputError(f"{flag} {given} disagrees with the plan file's {key} {said[key]}")
    # The account is checked once the credentials say where they act (reviewed.prepare).
    args.suffix, args.stack, args.env, args.region = (said[k] for k in PLAN_FLAGS.values())
    # Made with --adopt, it takes resources over: applied the same way.
    args.adopt = bool(saved.data.get("adopt"))
    return saved


def _reconcile(args: argparse.Namespace, options: Options, saved: SavedPlan | None = None) -> int:
    from datetime import timedelta

    from reconciler import pipeline, reviewed
    from reconciler.output.markdown import prepared_markdown
    from reconciler.output.text import prepared_text

    if saved is None:
        prepared = pipeline.prepare(options)
    else:
        age = timedelta(hours=args.max_age)
        prepared = reviewed.prepare(options, saved, args.plan_file.name, age)
    if args.output == "text":
        print(prepared_text(prepared), flush=True)
    elif args.output == "markdown":
        print(prepared_markdown(prepared), flush=True)
    out = getattr(args, "out", None)
    if out is not None:
        reviewed.write(prepared, out)
        if args.output != "json":
            print(f"Saved the plan to {out}; `--plan {out}` applies exactly it.")
        return _finish(args, pipeline.plan_only(prepared))
    if options.command.reports_drift or getattr(args, "dry_run", False):
        return _finish(args, pipeline.plan_only(prepared))
    # A reviewed plan was approved already; otherwise a destroy asks.
    deletes = options.goal.removes and options.goal.deletes
    if deletes and not prepared.plan.empty and not args.yes and saved is None:
        _confirm(options.suffix)
        from reconciler.adapters.lambda_.callers import CUT_OFF

        # Someone still invokes what this deletes: asked once more, naming how many.
        cut = sum(1 for a in prepared.plan.actions for n in a.notes if n.endswith(CUT_OFF))
        if cut:
            _confirm(options.suffix, f"{cut} caller(s) listed above still invoke what this deletes")
    return _finish(args, pipeline.execute(prepared))


def _fleet_run(args: argparse.Namespace, options: Options) -> int:
    from reconciler import pipeline
    from reconciler.errors import InputError
    from reconciler.fleet import report, run
    from reconciler.output.text import closing_text, prepared_text

    if args.output == "markdown":
        raise InputError(
            "--output markdown is one suffix's plan for review; a fleet takes text or json"
        )
    part, fleet = _fleet_share(args, options)
    only_plan = options.command.reports_drift

    def step(target_options: Options) -> Outcome:
        prepared = pipeline.prepare(target_options)
        return pipeline.plan_only(prepared) if only_plan else pipeline.execute(prepared)

    runs = run.run(fleet, options, step)
    if args.output == "json":
        print(report.fleet_document(options.command.value, runs, part))
    else:
        for done in runs:
            if done.outcome is not None and not done.outcome.prepared.plan.empty:
                print(f"== {done.target.label}")
                print(prepared_text(done.outcome.prepared))
                print(closing_text(done.outcome), end="\n\n")
        print(report.fleet_table(runs, part))
    return run.worst([done.exit_code for done in runs])


def _fleet_share(args: argparse.Namespace, options: Options) -> tuple[Shard, Fleet]:
    """This process's shard and its share of the fleet file, checked before any AWS call."""
    from reconciler import pipeline
    from reconciler.fleet import shard
    from reconciler.fleet.load import load_fleet

    part = shard.chosen(args.shard, os.environ)
    return part, part.of(load_fleet(args.fleet, pipeline.fleet_check(options)))


def _watch(args: argparse.Namespace, options: Options) -> int:
    from dataclasses import replace

    from reconciler.pipeline import Command
    from reconciler.watch import loop

    schedule = loop.Schedule(
        interval_s=args.interval,
        once=args.once,
        metrics_port=args.metrics_port,
        unhealthy_after=args.unhealthy_after,
        stale_after_s=args.stale_after,
    )
    options = replace(options, command=Command.APPLY)
    if args.fleet is None:
        return loop.run(options, schedule)
    import boto3

    from reconciler.fleet.run import Sessions

    _, fleet = _fleet_share(args, options)
    return loop.run(options, schedule, loop.fleet_cycle(fleet, Sessions(boto3.session.Session())))


def _policy(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from reconciler import pipeline
    from reconciler.aws.regions import known_region
    from reconciler.desired import stacks
    from reconciler.errors import InputError
    from reconciler.output import reconciler_policy

    if args.fleet is not None:
        return _fleet_policies(args)
    if args.hub is not None:
        raise InputError("--hub goes with --fleet: the principal a fleet's roles trust")
    if len(args.account) > 1:
        raise InputError("policy takes at most one --account: the account it is written for")
    options = replace(_options(args), suffix=args.suffix or "*")
    if args.suffix:
        specs = pipeline.load(options)
    else:
        specs = stacks.load_specs(options.desired_dir, options.stacks, options.env)
    region = known_region(args.region) if args.region else "*"
    scope = reconciler_policy.PolicyScope(options.suffix, next(iter(args.account), "*"), region)
    print(reconciler_policy.rendered(specs, scope), end="")
    return EXIT_OK


def _fleet_policies(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from reconciler import pipeline
    from reconciler.errors import InputError
    from reconciler.fleet.load import load_fleet
    from reconciler.fleet.model import FleetTarget
    from reconciler.output import fleet_policy

    if args.hub is None:
        raise InputError("policy --fleet needs --hub ARN: the principal the fleet's roles trust")
    hub = fleet_policy.hub_principal(args.hub)
    options = _options(args)
    fleet = load_fleet(args.fleet, pipeline.fleet_check(options))

    def specs(target: FleetTarget) -> list[StackSpec]:
        return pipeline.load(
            replace(options, suffix=target.suffix, stacks=target.stacks, env=target.env)
        )

    print(fleet_policy.rendered(fleet_policy.fleet_policies(fleet, specs, hub)), end="")
    return EXIT_OK


def _cost(args: argparse.Namespace, options: Options) -> int:
    import datetime as dt
    import json

    from reconciler import pipeline
    from reconciler.cost import read, usage
    from reconciler.cost.prices import table_for
    from reconciler.errors import InputError
    from reconciler.output.cost import usage_json, usage_text

    if args.days > 455:
        raise InputError(f"--days {args.days}: CloudWatch keeps metrics 455 days at most")
    prepared = pipeline.prepare(options)
    target = prepared.ctx.target
    now = dt.datetime.now(dt.UTC)
    uses = read.uses(prepared.ctx, prepared.resources, prepared.live, args.days, now)
    table = table_for(target.region)
    costs = [usage.priced(u, args.days, table) if table else usage.unpriced(u) for u in uses]
    if args.output == "json":
        print(json.dumps(usage_json(costs, args.days, target.region, table is not None), indent=2))
    else:
        print(usage_text(costs, args.days, target.region, table is not None))
    return EXIT_OK


def _import(args: argparse.Namespace, options: Options) -> int:
    from reconciler import pipeline
    from reconciler.errors import InputError
    from reconciler.importer.toml import check_plain
    from reconciler.importer.write import Choice, import_stack

    if bool(args.function) == bool(args.tag):
        raise InputError("import takes --function NAME or --tag KEY=VALUE (one of the two)")
    check_plain(args.plain)
    choice = Choice(
        args.stack,
        options.desired_dir,
        tuple(args.function),
        tuple(args.tag),
        frozenset(args.plain),
    )
    path, result = import_stack(pipeline.session(options), choice)
    print(
        f"Wrote {path} and the code it deploys, as it runs, in {path.parent / choice.stack}-code/."
    )
    if result.secrets:
        print("Before reconciling it, set each of these to the value its function has now:")
        for secret in result.secrets:
            print(f"  {secret.variable}  ({secret.function}'s {secret.key})")
    for note in result.notes:
        print(f"  note: {note}")
    print(
        "Not taken in: tables, and the roles (used by ARN, left as they are). Next: "
        f"reconcile plan --adopt --stack {choice.stack} --suffix {options.suffix}"
    )
    return EXIT_OK


def _unlock(args: argparse.Namespace, options: Options) -> int:
    from reconciler import pipeline
    from reconciler.apply import lock

    ctx = pipeline.connect(options)
    holder = lock.force_unlock(ctx.clients.get("dynamodb"), options.suffix)
    if holder is None:
        print(f"Suffix {options.suffix!r} was not locked.")
    else:
        print(f"Removed the lease of {holder.describe()}.")
    return EXIT_OK


def _confirm(suffix: str, warning: str = "") -> None:
    from reconciler.errors import InputError

    if warning:
        print(f"{warning}. Type the suffix ({suffix}) again to cut them off: ", end="", flush=True)
    else:
        print(f"Type the suffix ({suffix}) to delete everything listed above: ", end="", flush=True)
    answer = sys.stdin.readline().strip()
    if answer != suffix:
        raise InputError("confirmation did not match the suffix; nothing was deleted")


def _finish(args: argparse.Namespace, outcome: Outcome) -> int:
    import structlog

    from reconciler.output.document import outcome_document
    from reconciler.output.text import closing_text

    code = exit_code(outcome)
    print(outcome_document(outcome, code) if args.output == "json" else closing_text(outcome))
    structlog.get_logger().info(
        "reconcile.finished",
        exit_code=code,
        reads=outcome.calls.reads,
        writes=outcome.calls.writes,
        duration_s=outcome.duration_s,
    )
    return code
