"""Output: the CLI contract, the documented exit codes, decided from a run's outcome (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.apply.executor import ApplyResult
    from reconciler.model import Command, Outcome
    from reconciler.planning.plan import Plan

EXIT_OK, EXIT_FAILED, EXIT_DRIFT, EXIT_UNDONE = 0, 1, 2, 3


def exit_code(outcome: Outcome) -> int:
    prepared = outcome.prepared
    return code_for(prepared.options.command, prepared.plan, outcome.result, outcome.remaining)


def code_for(
    command: Command, plan: Plan, result: ApplyResult | None, remaining: Plan | None
) -> int:
    """`result` and `remaining` are None for a run that only planned (plan, --dry-run)."""
    # A resource apply must leave alone is work undone; destroy leaving it is its purpose.
    refused = not command.goal.removes and bool(plan.skipped)
    if result is None and remaining is None:
        drift = not plan.empty or refused
        return EXIT_DRIFT if drift and command.reports_drift else EXIT_OK
    failed = result is not None and bool(result.failed)
    if failed and result is not None and all(f.rolled_back for f in result.failed):
        # A release rolled back: the system serves what it served before, and the run failed.
        return EXIT_FAILED
    # A release in steps still under way (watch advances it cycle by cycle) is not left undone.
    left = remaining is not None and any(not a.releasing for a in remaining.actions)
    unknown = any(s.undone for s in plan.skipped)
    return EXIT_UNDONE if failed or left or refused or unknown else EXIT_OK
