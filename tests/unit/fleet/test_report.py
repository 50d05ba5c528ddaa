"""A fleet's outcome: the worst target's exit code, and one table row per target."""

from __future__ import annotations

import json

from reconciler.fleet.model import FleetTarget
from reconciler.fleet.report import fleet_document, fleet_table
from reconciler.fleet.run import TargetRun, worst


def _failed(suffix: str, reason: str) -> TargetRun:
    target = FleetTarget("111111111111", "us-east-1", suffix, "dev", ("etl",), None, None)
    return TargetRun(target, 1, None, reason, 0.25)


def test_the_worst_exit_code_is_failed_then_undone_then_drift() -> None:
    assert worst([0, 2, 3, 1]) == 1
    assert worst([0, 2, 3]) == 3
    assert worst([2, 0]) == 2
    assert worst([0, 0]) == 0
    assert worst([]) == 0


def test_a_failed_target_has_a_row_and_its_reason() -> None:
    runs = [_failed("pr1", "cannot assume arn:aws:iam::111111111111:role/r: AccessDenied")]
    table = fleet_table(runs).splitlines()
    assert table[0].split() == [
        "account",
        "region",
        "suffix",
        "outcome",
        "changes",
        "calls",
        "seconds",
    ]
    assert table[1].split() == ["111111111111", "us-east-1", "pr1", "failed", "0", "0", "0.2"]
    assert table[2] == (
        "failed: 111111111111/us-east-1/pr1: cannot assume "
        "arn:aws:iam::111111111111:role/r: AccessDenied"
    )
    assert table[-1] == "Fleet: 1 target, failed (exit 1)."


def test_the_json_report_lists_each_target_with_its_own_exit_code() -> None:
    report = json.loads(fleet_document("plan", [_failed("pr1", "boom"), _failed("pr2", "bang")]))
    assert report["exit_code"] == 1 and report["command"] == "plan"
    assert [(t["suffix"], t["exit_code"], t["error"], t["report"]) for t in report["targets"]] == [
        ("pr1", 1, "boom", None),
        ("pr2", 1, "bang", None),
    ]
