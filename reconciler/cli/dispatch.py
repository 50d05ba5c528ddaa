"""The command line's entry: parse, open the terminal, run the command's module, and map
what it raised to the documented exit codes. The commands' modules load only after parsing,
so `--help` and usage errors answer before boto3 loads."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reconciler.cli.flags import UsageError
from reconciler.cli.parsing import COMMANDS, parse
from reconciler.output.exits import EXIT_FAILED

if TYPE_CHECKING:
    from reconciler.cli.terminal import Terminal

Runner = Callable[[argparse.Namespace, "Terminal"], int]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        print(f"error: {exc} (see {exc.prog} --help)", file=sys.stderr)
        return EXIT_FAILED
    return _guarded(args)


def _guarded(args: argparse.Namespace) -> int:
    # Loaded here, not at the top: botocore is heavy, and usage errors need none of it.
    from botocore.exceptions import BotoCoreError, ClientError

    from reconciler.cli import terminal
    from reconciler.errors import ReconcileError
    from reconciler.output.log import describe_error

    term = terminal.opened(args, os.environ)
    try:
        return _runner(args)(args, term)
    except (ReconcileError, ClientError, BotoCoreError) as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
    return EXIT_FAILED


def _runner(args: argparse.Namespace) -> Runner:
    """The module that runs the command: a fleet's apply and plan run target by target."""
    module = COMMANDS[args.command].module
    if args.fleet is not None and module == "reconcile":
        module = "fleet"
    run: Runner = importlib.import_module(f"reconciler.cli.commands.{module}").run
    return run
