"""unlock: the suffix's lease removed now, whoever holds it."""

from __future__ import annotations

import argparse

from reconciler import pipeline
from reconciler.apply import lock
from reconciler.cli.choices import chosen
from reconciler.cli.commands.reconcile import started
from reconciler.cli.terminal import Terminal
from reconciler.output.exits import EXIT_OK


def run(args: argparse.Namespace, term: Terminal) -> int:
    options = chosen(args)
    started(options)
    ctx = pipeline.connect(options)
    holder = lock.force_unlock(ctx.clients.get("dynamodb"), options.suffix)
    if holder is None:
        print(f"Suffix {options.suffix!r} was not locked.")
    else:
        print(f"Removed the lease of {holder.describe()}.")
    return EXIT_OK
