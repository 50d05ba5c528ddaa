"""import: a stack's desired state and code, written from functions that already run."""

from __future__ import annotations

import argparse

from reconciler import pipeline
from reconciler.cli.choices import chosen
from reconciler.cli.commands.reconcile import started
from reconciler.cli.terminal import Terminal
from reconciler.errors import InputError
from reconciler.importer.toml import check_plain
from reconciler.importer.write import Choice, import_stack
from reconciler.output.exits import EXIT_OK


def run(args: argparse.Namespace, term: Terminal) -> int:
    if bool(args.function) == bool(args.tag):
        raise InputError("import takes --function NAME or --tag KEY=VALUE (one of the two)")
    check_plain(args.plain)
    options = chosen(args)
    started(options)
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
