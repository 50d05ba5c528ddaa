"""What the user chose, from the parsed command line: one Options, checked before any AWS
call (the desired-state folder, the environment)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from reconciler.desired import stacks
from reconciler.desired.load import DEFAULT_ENV
from reconciler.model import Command, Options


def chosen(args: argparse.Namespace) -> Options:
    command = Command(args.command)
    names = tuple(s.strip() for s in args.stack.split(",") if s.strip())
    return Options(
        command=command,
        # A fleet's targets each bring their own.
        suffix=args.suffix or "",
        stacks=names or ("all",),
        desired_dir=desired_dir(args),
        region=args.region,
        env=environment(command, args.env),
        accounts=tuple(args.account),
        lock_wait_s=args.lock_wait,
        allow_replace=args.allow_replace,
        adopt=args.adopt,
        retry=args.retry,
        include_adopted=args.include_adopted,
        release=tuple(args.names or ()),
        pc_timeout_s=args.pc_timeout,
        max_workers=args.max_workers,
        rate_limits=tuple(args.rate_limit),
    )


def environment(command: Command, given: str | None) -> str | None:
    """The environment named, else the default; what only removes needs none."""
    if given:
        return given
    return None if command.goal.removes else DEFAULT_ENV


def desired_dir(args: argparse.Namespace) -> Path:
    """The folder the user named (flag, variable, or the current folder), checked before any
    AWS call; `import` writes a new one, so only where it is told."""
    if args.command == "import":
        return stacks.destination(args.desired_dir, os.environ)
    return stacks.folder(args.desired_dir, os.environ, Path.cwd())
