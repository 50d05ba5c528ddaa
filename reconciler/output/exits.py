"""CLI contract: the documented exit codes, decided from a run's outcome (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.pipeline import Outcome

EXIT_OK, EXIT_FAILED, EXIT_DRIFT, EXIT_UNDONE = 0, 1, 2, 3


def exit_code(outcome: Outcome) -> int:
    prepared = outcome.prepared
    plan, options = prepared.plan, prepared.options
    # A resource apply must leave alone is work undone; destroy leaving it is its purpose.
    refused = not options.goal.removes and bool(plan.skipped)
    if outcome.planned_only:
        drift = not plan.empty or refused
        return EXIT_DRIFT if drift and options.command.reports_drift else EXIT_OK
    failed = outcome.result is not None and bool(outcome.result.failed)
    left = outcome.remaining is not None and not outcome.remaining.empty
    unknown = any(s.undone for s in plan.skipped)
    return EXIT_UNDONE if failed or left or refused or unknown else EXIT_OK
