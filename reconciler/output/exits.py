"""CLI contract: the documented exit codes, decided from a run's outcome (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.pipeline import Outcome

EXIT_OK, EXIT_FAILED, EXIT_DRIFT, EXIT_UNDONE = 0, 1, 2, 3


def exit_code(outcome: Outcome) -> int:
    prepared = outcome.prepared
    if outcome.result is None and outcome.remaining is None:  # plan only
        drift = not prepared.plan.empty or (
            prepared.options.command != "destroy" and bool(prepared.plan.skipped)
        )
        return EXIT_DRIFT if drift and prepared.options.command == "plan" else EXIT_OK
    failed = outcome.result is not None and bool(outcome.result.failed)
    left = outcome.remaining is not None and not outcome.remaining.empty
    skipped = prepared.options.command != "destroy" and bool(prepared.plan.skipped)
    unknown = any(s.undone for s in prepared.plan.skipped)
    return EXIT_UNDONE if failed or left or skipped or unknown else EXIT_OK
