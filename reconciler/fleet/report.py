"""Output: a fleet run as people read it (one table) and as scripts read it (one document)."""

from __future__ import annotations

from typing import Any

from reconciler.fleet.run import TargetRun, worst
from reconciler.fleet.shard import WHOLE, Shard
from reconciler.output.document import document, outcome_json, versioned
from reconciler.output.exits import EXIT_DRIFT, EXIT_FAILED, EXIT_OK, EXIT_UNDONE

OUTCOMES = {EXIT_OK: "in sync", EXIT_DRIFT: "drift", EXIT_UNDONE: "undone", EXIT_FAILED: "failed"}
COLUMNS = ("account", "region", "suffix", "outcome", "changes", "calls", "seconds")


def _row(run: TargetRun) -> tuple[str, ...]:
    outcome = run.outcome
    changes = len(outcome.prepared.plan.actions) if outcome else 0
    calls = outcome.calls.total if outcome else 0
    said = OUTCOMES.get(run.exit_code, str(run.exit_code))
    if outcome is not None and outcome.result is not None and run.exit_code == EXIT_OK and changes:
        said = "applied"
    target = run.target
    return (
        target.account,
        target.region,
        target.suffix,
        said,
        str(changes),
        str(calls),
        f"{run.duration_s:.1f}",
    )


def fleet_table(runs: list[TargetRun], part: Shard = WHOLE) -> str:
    """One line per target, then each failure's reason and the fleet's outcome."""
    rows = [COLUMNS, *(_row(run) for run in runs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines += [f"failed: {run.target.label}: {run.error}" for run in runs if run.error]
    code = worst([run.exit_code for run in runs])
    count = f"{len(runs)} target" + ("" if len(runs) == 1 else "s")
    which = "Fleet" if part == WHOLE else f"Fleet shard {part}"
    lines.append(f"{which}: {count}, {OUTCOMES.get(code, code)} (exit {code}).")
    return "\n".join(lines)


def fleet_document(command: str, runs: list[TargetRun], part: Shard = WHOLE) -> str:
    """The fleet's JSON report: a `targets` list, each with its own run's report."""
    return document(
        command=command,
        shard={"index": part.index, "count": part.count},
        targets=[_target_json(run) for run in runs],
        exit_code=worst([run.exit_code for run in runs]),
    )


def _target_json(run: TargetRun) -> dict[str, Any]:
    target = run.target
    return {
        "account": target.account,
        "region": target.region,
        "suffix": target.suffix,
        "env": target.env,
        "stacks": list(target.stacks),
        "exit_code": run.exit_code,
        "error": run.error,
        "duration_s": run.duration_s,
        # Each target's report is a whole report of one run, valid on its own.
        "report": (versioned(outcome_json(run.outcome, run.exit_code)) if run.outcome else None),
    }
