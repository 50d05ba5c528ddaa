"""A stack the team declares itself, with environments of its own, reconciled end to end."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.e2e.helpers import ROOT, LocalAws, Run, names_ending, run

STACK = """
[stack]
name = "inventory"

[tags]
Team = "warehouse"
Environment = "{env}"

[environments.dev]
log_retention_days = 3

[environments.staging]
log_retention_days = 14

[tables.stock]
name = "inventory-stock-{suffix}"
billing_mode = "PAY_PER_REQUEST"
hash_key = "sku"
hash_key_type = "S"

[functions.counter]
name = "inventory-counter-{suffix}"
source = "counter"
handler = "index.handler"
runtime = "nodejs24.x"
architecture = "arm64"
memory_mb = 256
timeout_s = 15
tracing = "Active"

[functions.counter.environment]
TABLE_NAME = "{tables.stock}"
STAGE = "{env}"

[functions.counter.role]
name = "inventory-counter-role-{suffix}"
dynamodb = [{ table = "stock", actions = ["dynamodb:GetItem", "dynamodb:UpdateItem"] }]
"""
SUFFIX = "inv1"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "counter").mkdir()
    (tmp_path / "counter" / "index.mjs").write_text(
        "export const handler = async (event) => ({ counted: event.sku });\n"
    )
    (tmp_path / "inventory.toml").write_text(STACK)
    return tmp_path


def inventory(aws: LocalAws, folder: Path, *args: str) -> Run:
    return run(aws, *args, "--desired-dir", str(folder), "--stack", "inventory")


def test_a_third_stack_with_a_staging_environment_lives_and_dies(
    local_aws: LocalAws, folder: Path
) -> None:
    first = inventory(local_aws, folder, "--suffix", SUFFIX, "--env", "staging")
    assert first.code == 0, first.stdout + first.stderr
    logs = local_aws.client("logs")
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/inventory-counter-inv1")[
        "logGroups"
    ]
    assert group["retentionInDays"] == 14
    lam = local_aws.client("lambda")
    got = lam.get_function(FunctionName=f"inventory-counter-{SUFFIX}")
    assert got["Configuration"]["Environment"]["Variables"] == {
        "TABLE_NAME": f"inventory-stock-{SUFFIX}",
        "STAGE": "staging",
    }
    assert got["Tags"]["Environment"] == "staging" and got["Tags"]["Stack"] == "inventory"

    local_aws.control.reset_calls()
    again = inventory(local_aws, folder, "plan", "--suffix", SUFFIX, "--env", "staging")
    assert again.code == 0 and "No changes" in again.stdout, again.stdout + again.stderr
    assert local_aws.control.writes() == []

    report = json.loads(
        inventory(
            local_aws, folder, "plan", "--suffix", SUFFIX, "--env", "staging", "--output", "json"
        ).stdout
    )
    jsonschema.validate(report, json.loads((ROOT / "docs" / "report.schema.json").read_text()))
    assert (report["env"], report["stacks"], report["exit_code"]) == ("staging", ["inventory"], 0)

    # `all` is every stack of the folder: here, only this one.
    args = ("plan", "--desired-dir", str(folder), "--suffix", SUFFIX, "--env", "staging")
    everything = run(local_aws, *args, "--stack", "all")
    assert everything.code == 0, everything.stdout + everything.stderr

    gone = inventory(local_aws, folder, "destroy", "--suffix", SUFFIX, "--yes", "--env", "staging")
    assert gone.code == 0, gone.stdout + gone.stderr
    assert names_ending(local_aws, f"-{SUFFIX}") == set()


def test_an_environment_the_stack_does_not_declare_is_one_line_and_no_call(
    local_aws: LocalAws, folder: Path
) -> None:
    local_aws.control.reset_calls()
    result = inventory(local_aws, folder, "plan", "--suffix", SUFFIX, "--env", "prod")
    assert result.code == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        "error: inventory.toml: environments: no environment 'prod' (known: dev, staging)"
    ]
    assert local_aws.control.calls() == []


def test_an_unknown_stack_names_the_folders_own(local_aws: LocalAws, folder: Path) -> None:
    args = ("plan", "--desired-dir", str(folder), "--suffix", SUFFIX)
    result = run(local_aws, *args, "--stack", "transactions")
    assert result.code == 1
    assert "unknown stack 'transactions' (known: inventory)" in result.stderr
