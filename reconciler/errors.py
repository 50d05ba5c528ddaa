"""Domain errors shared by every stage; the CLI maps them to exit codes."""

from __future__ import annotations


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


class PlanMoved(InputError):
    """A reviewed plan that AWS's state no longer matches: refused, nothing written."""
