"""The command line's grammar: each command, its flags and the module that runs it.

Each command has its own flags (`reconcile plan --help`); the ones every command shares sit
in one parent parser. A bare `reconcile --suffix x` applies. Nothing here loads boto3, so
`--help` and every usage error answer at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reconciler import __version__
from reconciler.cli import flags
from reconciler.cli.flags import Parser, UsageError
from reconciler.errors import did_you_mean

DEFAULT_COMMAND = "apply"
Group = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Spec:
    summary: str
    groups: tuple[Group, ...]
    # The module of reconciler.cli.commands that runs it.
    module: str
    # What it shares with the others: the suffix and folder flags and which stacks ("stacks"),
    # the suffix and folder flags only (import names the one stack it writes), or nothing
    # (init writes a folder and reaches no AWS).
    shares: str = "stacks"
    # Refused without --suffix (or $RECONCILE_SUFFIX).
    needs_suffix: bool = True


COMMANDS: dict[str, Spec] = {
    "apply": Spec(
        "show what differs, ask on a terminal, apply it, verify (the default)",
        (
            flags.report,
            flags.reads,
            flags.writes,
            flags.changes,
            flags.approving,
            flags.adopting,
            flags.retrying,
            flags.fleet,
            flags.reviewed,
        ),
        "reconcile",
    ),
    "plan": Spec(
        "show what differs; exit 2 when anything does",
        (flags.report, flags.reads, flags.adopting, flags.retrying, flags.fleet, flags.saving),
        "reconcile",
    ),
    "destroy": Spec(
        "remove everything the suffix owns, and nothing else",
        (flags.report, flags.reads, flags.writes, flags.destroying, flags.saving, flags.reviewed),
        "reconcile",
    ),
    "release": Spec(
        "hand resources back: our tags removed, nothing deleted",
        (flags.report, flags.reads, flags.writes, flags.releasing),
        "reconcile",
    ),
    "watch": Spec(
        "apply every --interval seconds, for months",
        (flags.reads, flags.writes, flags.changes, flags.watching, flags.fleet),
        "watch",
    ),
    "unlock": Spec("remove the suffix's lease now, whoever holds it", (), "unlock"),
    "rollout": Spec(
        "show the releases in steps of the suffix's aliases, or abort them (rolled back)",
        (flags.rolling,),
        "rollout",
    ),
    "policy": Spec(
        "print the IAM policy the reconciler needs (no AWS call; --suffix optional)",
        (flags.fleet_policy,),
        "policy",
        needs_suffix=False,
    ),
    "cost": Spec(
        "what the suffix really cost over the last days, priced from its metrics",
        (flags.reads, flags.costing),
        "cost",
    ),
    "import": Spec(
        "write a stack's desired state and code from functions that already run",
        (flags.importing,),
        "importing",
        shares="suffix",
    ),
    "init": Spec(
        "write the shipped example stacks and their code into a new folder (no AWS call)",
        (flags.initing,),
        "init",
        shares="nothing",
        needs_suffix=False,
    ),
}


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog="reconcile",
        description="Keep AWS Lambda systems in the shape their owners declared.",
        epilog="exit codes: 0 in sync, 1 failed or bad input, 2 drift found (plan), "
        "3 apply left work undone. `reconcile COMMAND --help` lists a command's flags.",
    )
    top.add_argument(
        "--version", action="version", version=f"reconcile {__version__}", help="print the version"
    )
    everywhere = Parser(add_help=False)
    flags.where(everywhere)
    reconciling = Parser(add_help=False, parents=[everywhere])
    flags.which(reconciling)
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    defaults = _every_default()
    for name, spec in COMMANDS.items():
        parents = {"stacks": [reconciling], "suffix": [everywhere], "nothing": []}[spec.shares]
        sub = commands.add_parser(name, parents=parents, help=spec.summary)
        sub.description = spec.summary
        for group in spec.groups:
            group(sub)
        # Every command's namespace has every flag, at its default where the command has
        # none: the commands read `args.x`, never guess a default of their own.
        own = {action.dest for action in sub._actions}
        sub.set_defaults(**{k: v for k, v in defaults.items() if k not in own})
    return top


def _every_default() -> dict[str, object]:
    probe = argparse.ArgumentParser(add_help=False, conflict_handler="resolve")
    every = [flags.where, flags.which, *(g for spec in COMMANDS.values() for g in spec.groups)]
    for group in dict.fromkeys(every):
        group(probe)
    return {a.dest: a.default for a in probe._actions if a.dest != argparse.SUPPRESS}


def _value_flags(top: argparse.ArgumentParser) -> set[str]:
    """Every flag, of any command, that takes a value."""
    return {flag for sub in _subparsers(top).values() for flag in _takes_value(sub)}


def _subparsers(top: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _takes_value(sub: argparse.ArgumentParser) -> set[str]:
    return {flag for a in sub._actions if a.nargs != 0 for flag in a.option_strings}


def command_first(argv: Sequence[str], value_flags: set[str]) -> list[str]:
    """argv with its command first (`reconcile --suffix x plan` works as it always did), and
    `apply` when none is named; a bare `--help` or `--version` is left for the top level."""
    args = list(argv)
    index = 0
    while index < len(args) and args[index] != "--":
        token = args[index]
        if not token.startswith("-"):
            return [_known_command(token), *args[:index], *args[index + 1 :]]
        index += 2 if token in value_flags else 1
    if "-h" in args or "--help" in args or args == ["--version"]:
        return args
    return [DEFAULT_COMMAND, *args]


def _known_command(token: str) -> str:
    if token not in COMMANDS:
        raise UsageError(f"no command {token!r}{did_you_mean(token, COMMANDS)}")
    return token


def parse(argv: Sequence[str]) -> argparse.Namespace:
    top = parser()
    args, extra = top.parse_known_args(command_first(argv, _value_flags(top)))
    if extra:
        sub = _subparsers(top)[args.command]
        raise UsageError(_misplaced(extra[0], args.command, sub), f"reconcile {args.command}")
    if args.fleet is not None:
        _fleet_alone(argv, args.command)
        return args
    # What argv gave, apart from defaults: a saved plan's own values must agree with it.
    args.given = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    if args.plan_file is not None:
        return args
    if args.suffix is None and COMMANDS[args.command].needs_suffix:
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


def _misplaced(flag: str, command: str, sub: argparse.ArgumentParser) -> str:
    name = flag.split("=", 1)[0]
    owners = [n for n, spec in COMMANDS.items() if _flag_of(name, spec.groups)]
    if owners:
        return f"`reconcile {command}` takes no {name} (a flag of {' and '.join(owners)})"
    if not name.startswith("-"):
        return f"unrecognized argument: {flag}"
    return f"unrecognized argument: {name}{did_you_mean(name, sub._option_string_actions)}"


def _flag_of(flag: str, groups: tuple[Group, ...]) -> bool:
    probe = Parser(add_help=False)
    for group in groups:
        group(probe)
    return flag in probe._option_string_actions
