"""The terminal every command talks through: whether a person can be asked, whether plans
are coloured, and how logs are written. Decided once per run from the streams, the flags
and the environment (no-color.org's NO_COLOR)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import InputError
from reconciler.output import log
from reconciler.output.colour import coloured


@dataclass(frozen=True)
class Terminal:
    # A person can answer: stdin is a terminal.
    asks: bool
    # Plans are coloured: stdout is a terminal, text output, colour not turned off.
    colour: bool
    # Logs in words rather than JSON.
    words: bool

    def show(self, text: str, end: str = "\n") -> None:
        print(coloured(text) if self.colour else text, end=end, flush=True)

    def answer(self, question: str) -> str:
        """The line typed after the question ("" at the end of input)."""
        # Where the person looks: the question goes with the plan unless stdout is a file.
        out = sys.stdout if sys.stdout.isatty() else sys.stderr
        print(question, end=" ", file=out, flush=True)
        return sys.stdin.readline().strip()

    def approve(self, question: str) -> None:
        """Only `yes` goes on; anything else stops the run before any write."""
        if self.answer(f"{question} Only 'yes' is accepted:") != "yes":
            raise InputError("not approved: nothing was written")

    def type_suffix(self, suffix: str, prompt: str, needs_yes: str) -> None:
        """A destroy's confirmation: the suffix typed on a terminal, --yes anywhere else."""
        if not self.asks:
            raise InputError(needs_yes)
        if self.answer(prompt) != suffix:
            raise InputError("confirmation did not match the suffix; nothing was deleted")


def is_tty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def detect(args: argparse.Namespace, environ: Mapping[str, str]) -> Terminal:
    text_out = args.output != "json"
    colour_off = args.no_color or bool(environ.get("NO_COLOR")) or environ.get("TERM") == "dumb"
    words = args.log_format == "text" or (args.log_format == "auto" and is_tty(sys.stderr))
    return Terminal(
        asks=is_tty(sys.stdin),
        colour=is_tty(sys.stdout) and text_out and not colour_off,
        words=words,
    )


def opened(args: argparse.Namespace, environ: Mapping[str, str]) -> Terminal:
    """The run's terminal, with its logs configured."""
    term = detect(args, environ)
    log.configure(args.log_level, json=not term.words)
    return term
