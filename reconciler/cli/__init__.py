"""The command line: `reconcile COMMAND [flags]` (see docs and `reconcile --help`)."""

from reconciler.cli.dispatch import main
from reconciler.cli.flags import UsageError
from reconciler.cli.parsing import COMMANDS, parse, parser

__all__ = ["COMMANDS", "UsageError", "main", "parse", "parser"]
