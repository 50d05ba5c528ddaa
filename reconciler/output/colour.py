"""Output: colour for a plan on a terminal (pure). Each line is coloured by the action its
symbol names, so text, colour and symbol always agree; files, pipes and JSON never get any."""

from __future__ import annotations

import re

from reconciler.planning.plan import SYMBOLS

RESET = "\033[0m"
# By action: what adds is green, what changes yellow, what removes red; what takes over or
# hands back is named apart from an update, and what is left alone is dim.
BY_ACTION = {
    "create": "\033[32m",
    "adopt": "\033[36m",
    "update": "\033[33m",
    "replace": "\033[35m",
    "delete": "\033[31m",
    "release": "\033[34m",
}
LEFT_ALONE = "\033[2m"
WARNING = "\033[1;31m"
DIFF_COLOURS = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}

_ACTION_LINE = {symbol: BY_ACTION[op] for op, symbol in SYMBOLS.items()}
# A field's unified-diff line: six spaces of indent, then its mark.
_DIFF_LINE = re.compile(r"^ {6}([-+@])")


def line_colour(line: str) -> str | None:
    if line.startswith("! "):
        return LEFT_ALONE
    if line.startswith("  ! "):
        # Lifting deletion protection: the line a reviewer must not miss.
        return WARNING
    if (found := _DIFF_LINE.match(line)) is not None:
        return DIFF_COLOURS[found.group(1)]
    symbol, space, _ = line.partition(" ")
    return _ACTION_LINE.get(symbol) if space else None


def coloured(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        colour = line_colour(line)
        lines.append(f"{colour}{line}{RESET}" if colour else line)
    return "\n".join(lines)
