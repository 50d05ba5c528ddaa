"""Domain errors shared by every stage; the CLI maps them to exit codes."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


class ReconcileError(Exception):
    """Base of every error the reconciler raises on purpose (never a traceback)."""


class InputError(ReconcileError):
    """Bad input: desired state, suffix, flags, secrets. Raised before any AWS write."""


class PreflightError(ReconcileError):
    """The account or the environment cannot take the desired state (limits, identity, reach)."""


class WaitTimeout(ReconcileError):
    """A resource did not reach the state it must reach within its deadline."""


class ResourceFailed(ReconcileError):
    """AWS reports a terminal failure for a resource (e.g. provisioned concurrency FAILED)."""


class ReleaseRolledBack(ResourceFailed):
    """A release stepped back on trouble: the previous version serves alone, as before it."""


class PlanMoved(InputError):
    """A reviewed plan that AWS's state no longer matches: refused, nothing written."""


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`; did you mean 'x'?` when one known word is close to `word`, else nothing."""
    close = get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
