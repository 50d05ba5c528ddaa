"""Output: a changed JSON document (an IAM policy, a trust policy) as a unified diff of its
pretty-printed form, each changed statement shown whole and nothing cut (pure)."""

from __future__ import annotations

import json
from difflib import SequenceMatcher
from typing import Any

from reconciler.planning.diff import FieldChange

# Longer than this on one line, a document is shown as a diff rather than `old -> new`.
ONE_LINE = 96
# Lines of context kept around a change outside any statement.
CONTEXT = 2


def is_document(change: FieldChange) -> bool:
    """A document worth a diff: not a secret, a table or list on both sides (or a new one),
    too long to read on one line."""
    if change.sensitive:
        return False
    sides = [v for v in (change.old, change.new) if v is not None]
    if not sides or not all(isinstance(v, dict | list) for v in sides):
        return False
    return any(len(json.dumps(v, sort_keys=True, default=list)) > ONE_LINE for v in sides)


def pretty(value: Any) -> list[str]:
    if value is None:
        return []
    return json.dumps(value, indent=2, sort_keys=True, default=list).splitlines()


def diff_lines(old: Any, new: Any) -> list[str]:
    """`--- live`, `+++ desired`, then hunks (`@@ -a,n +b,m @@`) of ` `, `-` and `+` lines."""
    a, b = pretty(old), pretty(new)
    matcher = SequenceMatcher(a=a, b=b, autojunk=False)
    ops = matcher.get_opcodes()
    shown_a = _context(a, [(i1, i2) for tag, i1, i2, _, _ in ops if tag != "equal"])
    shown_b = _context(b, [(j1, j2) for tag, _, _, j1, j2 in ops if tag != "equal"])
    body: list[tuple[int, int, str]] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            body += [
                (i, j, f" {a[i]}")
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                if i in shown_a or j in shown_b
            ]
            continue
        body += [(i, -1, f"-{a[i]}") for i in range(i1, i2)]
        body += [(-1, j, f"+{b[j]}") for j in range(j1, j2)]
    return ["--- live", "+++ desired", *_hunks(body)]


def _context(lines: list[str], changed: list[tuple[int, int]]) -> set[int]:
    """The lines shown around the changes: every line of a statement (a list's element
    object) that changed, and a little context elsewhere."""
    spans = _element_spans(lines)
    shown: set[int] = set()
    for start, end in changed:
        touched = range(max(start - CONTEXT, 0), min(max(end, start + 1) + CONTEXT, len(lines)))
        shown.update(touched)
        for first, last in spans:
            if first < max(end, start + 1) and start <= last:
                shown.update(range(first, last + 1))
    return shown


def _element_spans(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line of each object that is an element of a list."""
    spans, opened = [], []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped == "{" and index and lines[index - 1].rstrip().endswith(("[", "},", "{")):
            opened.append((index, len(line) - len(line.lstrip())))
        elif stripped in ("}", "},") and opened:
            start, indent = opened[-1]
            if len(line) - len(line.lstrip()) == indent:
                spans.append((start, index))
                opened.pop()
    return spans


def _hunks(body: list[tuple[int, int, str]]) -> list[str]:
    """The body cut where unchanged lines were left out, each piece under its `@@` header."""
    out: list[str] = []
    piece: list[tuple[int, int, str]] = []
    last_a = last_b = -1
    for i, j, text in body:
        skipped = (i >= 0 and i != last_a + 1) or (j >= 0 and j != last_b + 1)
        if piece and skipped:
            out += _hunk(piece)
            piece = []
        piece.append((i, j, text))
        last_a, last_b = max(last_a, i), max(last_b, j)
    return out + (_hunk(piece) if piece else [])


def _hunk(piece: list[tuple[int, int, str]]) -> list[str]:
    a = [i for i, _, _ in piece if i >= 0]
    b = [j for _, j, _ in piece if j >= 0]
    header = f"@@ -{_range(a)} +{_range(b)} @@"
    return [header, *(text for _, _, text in piece)]


def _range(indexes: list[int]) -> str:
    if not indexes:
        return "0,0"
    return f"{indexes[0] + 1},{len(indexes)}"
