"""init: the shipped example stacks and their code, written into a new folder."""

from __future__ import annotations

import argparse

from reconciler.cli.terminal import Terminal
from reconciler.examples.write import write
from reconciler.output.exits import EXIT_OK


def run(args: argparse.Namespace, term: Terminal) -> int:
    written = write(args.folder, args.example)
    names = ", ".join(path.name for path in written)
    print(f"Wrote {names} and the code they deploy into {args.folder}.")
    print(f"Next: reconcile plan --desired-dir {args.folder} --suffix <your suffix>")
    return EXIT_OK
