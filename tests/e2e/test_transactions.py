"""The transactions stack end to end: the real CLI against the local AWS, checked with boto3."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.e2e import requirements
from tests.e2e.helpers import ROOT, SECRET_DB, SECRET_KEY, LocalAws, Run, run
from tests.e2e.terminal import on_terminal

SUFFIX = "e2e"
FN = f"lambda-function-{SUFFIX}"


@pytest.fixture(scope="module")
def first_apply(local_aws: LocalAws) -> Run:
    local_aws.control.reset_calls()
    result = run(local_aws, "--suffix", SUFFIX)
    assert result.code == 0, result.stdout + result.stderr
    return result


def test_first_apply_gives_the_function_every_required_value(
    local_aws: LocalAws, first_apply: Run
) -> None:
    requirements.transactions_function(local_aws, SUFFIX)


def test_first_apply_puts_provisioned_concurrency_5_ready_on_a_published_alias(
    local_aws: LocalAws, first_apply: Run
) -> None:
    requirements.transactions_provisioned(local_aws, SUFFIX)


def test_first_apply_creates_the_log_group_with_7_days_before_the_function(
    local_aws: LocalAws, first_apply: Run
) -> None:
    requirements.transactions_log_group(local_aws, SUFFIX)
    ops = [c.operation for c in local_aws.control.writes()]
    assert ops.index("CreateLogGroup") < ops.index("CreateFunction")


def test_first_apply_creates_a_least_privilege_role(local_aws: LocalAws, first_apply: Run) -> None:
    requirements.transactions_role(local_aws, SUFFIX)


def test_first_apply_creates_table_xray_group_and_dashboard(
    local_aws: LocalAws, first_apply: Run
) -> None:
    requirements.transactions_table_trace_and_dashboard(local_aws, SUFFIX)


def test_a_second_run_makes_no_writes(local_aws: LocalAws, first_apply: Run) -> None:
    local_aws.control.reset_calls()
    result = run(local_aws, "--suffix", SUFFIX)
    assert result.code == 0
    assert local_aws.control.writes() == []
    assert "In sync." in result.stdout and "0 writes" in result.stdout
    assert "No changes" in result.stdout


def test_plan_reports_out_of_band_drift_and_apply_fixes_it(
    local_aws: LocalAws, first_apply: Run
) -> None:
    lam, logs = local_aws.client("lambda"), local_aws.client("logs")
    versions_before = len(lam.list_versions_by_function(FunctionName=FN)["Versions"])
    lam.update_function_configuration(FunctionName=FN, MemorySize=512)
    logs.put_retention_policy(logGroupName=f"/aws/lambda/{FN}", retentionInDays=30)
    plan = run(local_aws, "plan", "--suffix", SUFFIX)
    assert plan.code == 2, plan.stdout + plan.stderr
    assert "memory_mb: 512 -> 1024" in plan.stdout
    assert "retention_days: 30 -> 7" in plan.stdout
    fix = run(local_aws, "--suffix", SUFFIX)
    assert fix.code == 0, fix.stdout + fix.stderr
    assert lam.get_function_configuration(FunctionName=FN)["MemorySize"] == 1024
    # The memory change went back to what the alias's version already has: nothing to publish.
    assert len(lam.list_versions_by_function(FunctionName=FN)["Versions"]) == versions_before
    assert run(local_aws, "plan", "--suffix", SUFFIX).code == 0


def test_a_config_change_publishes_one_new_version_and_moves_the_alias(
    local_aws: LocalAws, first_apply: Run
) -> None:
    lam = local_aws.client("lambda")
    old_version = lam.get_alias(FunctionName=FN, Name="live")["FunctionVersion"]
    result = run(local_aws, "--suffix", SUFFIX, TRANSACTIONS_API_KEY=SECRET_KEY + "-rotated")
    assert result.code == 0, result.stdout + result.stderr
    assert "environment.API_KEY: (sensitive) -> (sensitive)" in result.stdout
    new_version = lam.get_alias(FunctionName=FN, Name="live")["FunctionVersion"]
    assert int(new_version) == int(old_version) + 1
    pc = lam.get_provisioned_concurrency_config(FunctionName=FN, Qualifier="live")
    assert pc["Status"] == "READY"
    back = run(local_aws, "--suffix", SUFFIX)  # restore the original key
    assert back.code == 0
    # Versions no alias serves are pruned; the one the alias just left stays for a rollback.
    current = lam.get_alias(FunctionName=FN, Name="live")["FunctionVersion"]
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=FN)["Versions"]]
    assert sorted(v for v in versions if v != "$LATEST") == sorted([new_version, current])


def test_json_output_is_versioned_and_counts_calls(local_aws: LocalAws, first_apply: Run) -> None:
    result = run(local_aws, "plan", "--suffix", SUFFIX, "--output", "json")
    assert result.code == 0
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert report["plan"]["resources"] == []
    assert report["api_calls"]["writes"] == 0 and report["api_calls"]["reads"] > 0
    assert report["exit_code"] == 0


def test_destroy_with_a_wrong_typed_suffix_deletes_nothing(
    local_aws: LocalAws, first_apply: Run
) -> None:
    local_aws.control.reset_calls()
    destroy = ("destroy", "--suffix", SUFFIX, "--stack", "transactions")
    typed = on_terminal(local_aws, *destroy, answers=(("Type the suffix", "e2f"),))
    assert typed.code == 1, typed.screen
    assert "error: confirmation did not match the suffix; nothing was deleted" in typed.screen
    assert local_aws.control.writes() == []


def test_destroy_off_a_terminal_without_yes_is_one_line_and_deletes_nothing(
    local_aws: LocalAws, first_apply: Run
) -> None:
    local_aws.control.reset_calls()
    # A suffix on stdin is no confirmation: a scheduler could send anything there.
    result = run(local_aws, "destroy", "--suffix", SUFFIX, stdin=f"{SUFFIX}\n")
    assert result.code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: destroy of suffix {SUFFIX!r} off a terminal needs --yes; nothing was deleted"
    )
    assert local_aws.control.writes() == []


def test_destroy_leaves_nothing_owned_by_the_suffix(local_aws: LocalAws, first_apply: Run) -> None:
    decoy = f"/aws/lambda/lambda-function-{SUFFIX}x"
    local_aws.client("logs").create_log_group(logGroupName=decoy)
    result = run(local_aws, "destroy", "--suffix", SUFFIX, "--yes")
    assert result.code == 0, result.stdout + result.stderr
    assert "Destroyed." in result.stdout
    lam = local_aws.client("lambda")
    assert FN not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    roles = [r["RoleName"] for r in local_aws.client("iam").list_roles()["Roles"]]
    assert f"lambda-function-role-{SUFFIX}" not in roles
    groups = local_aws.client("logs").describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups if SUFFIX in g["logGroupName"]] == [decoy]
    assert f"transactions-{SUFFIX}" not in local_aws.client("dynamodb").list_tables()["TableNames"]
    xray = [g["GroupName"] for g in local_aws.client("xray").get_groups()["Groups"]]
    assert f"transactions-{SUFFIX}" not in xray and "Default" in xray
    boards = local_aws.client("cloudwatch").list_dashboards()["DashboardEntries"]
    assert f"transactions-{SUFFIX}" not in [b["DashboardName"] for b in boards]
    again = run(local_aws, "destroy", "--suffix", SUFFIX, "--yes")
    assert again.code == 0 and "No changes" in again.stdout


def test_json_reports_of_every_command_validate_against_the_published_schema(
    local_aws: LocalAws,
) -> None:
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    reports = []
    for args in (["plan"], [], ["plan"], ["destroy", "--yes"]):
        result = run(local_aws, *args, "--suffix", "jsn", "--output", "json")
        assert SECRET_DB not in result.stdout and SECRET_KEY not in result.stdout
        reports.append(json.loads(result.stdout))
    for report in reports:
        errors = sorted(validator.iter_errors(report), key=str)
        assert errors == [], errors[0].message
    first_plan, applied, converged, destroyed = reports
    assert first_plan["exit_code"] == 2 and first_plan["plan"]["counts"]["create"] == 8
    secret = next(
        c
        for r in first_plan["plan"]["resources"]
        for c in r["changes"]
        if c["field"] == "environment.API_KEY"
    )
    assert secret == {
        "field": "environment.API_KEY",
        "old": None,
        "new": "(sensitive)",
        "sensitive": True,
    }
    assert applied["applied"] == 8 and applied["remaining"]["resources"] == []
    assert converged["exit_code"] == 0 and converged["api_calls"]["writes"] == 0
    assert destroyed["plan"]["counts"]["delete"] == 8
