"""Destroy: everything a suffix owns, found by tags, in order, resumably, and nothing else."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import LocalAws, copy_tree, names_ending, run

OWNED = {"ManagedBy": "lambda-reconciler", "Stack": "etl"}


def both(aws: LocalAws, suffix: str, *args: str) -> int:
    result = run(aws, *args, "--suffix", suffix, "--stack", "all")
    assert result.code in (0, 2), result.stdout + result.stderr
    return result.code


def _decoys(aws: LocalAws) -> set[str]:
    """Resources that look like suffix `da`'s but are not: no tags, or another suffix's."""
    logs, sqs, ddb = aws.client("logs"), aws.client("sqs"), aws.client("dynamodb")
    logs.create_log_group(logGroupName="/aws/lambda/hand-made-da")
    sqs.create_queue(QueueName="legacy-dlq-da", tags={**OWNED, "EnvironmentSuffix": "db"})
    ddb.create_table(
        TableName="other-records-da",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        Tags=[
            {"Key": "ManagedBy", "Value": "someone-else"},
            {"Key": "EnvironmentSuffix", "Value": "da"},
        ],
    )
    return {"logs:/aws/lambda/hand-made-da", "queue:legacy-dlq-da", "table:other-records-da"}


def test_destroy_removes_all_of_one_suffix_and_nothing_of_another_or_of_decoys(
    local_aws: LocalAws,
) -> None:
    assert both(local_aws, "da") == 0 and both(local_aws, "db") == 0
    decoys = _decoys(local_aws)
    before_b = names_ending(local_aws, "-db")
    result = run(local_aws, "destroy", "--suffix", "da", "--yes", "--stack", "all")
    assert result.code == 0, result.stdout + result.stderr
    assert "Destroyed." in result.stdout
    assert names_ending(local_aws, "-da") == decoys
    assert names_ending(local_aws, "-db") == before_b
    again = run(local_aws, "destroy", "--suffix", "da", "--yes", "--stack", "all")
    assert again.code == 0 and "Nothing owned by suffix 'da' was found" in again.stdout
    assert both(local_aws, "db", "destroy", "--yes") == 0


def _with_extra_function(desired: Path) -> Path:
    text = (desired / "etl.toml").read_text()
    (desired / "etl.toml").write_text(
        text
        + """
[functions.report]
name = "report-handler-{suffix}"
source = "../handlers/etl/api-handler"
memory_mb = 512
timeout_s = 30
dead_letter_queue.name = "report-handler-dlq-{suffix}"

[functions.report.environment]
JOBS_TABLE = "{tables.jobs}"
TRANSFORM_FUNCTION = "{functions.transform}"

[functions.report.role]
name = "report-handler-role-{suffix}"
"""
    )
    return desired


def test_a_function_dropped_from_the_desired_state_is_deleted_by_the_next_apply(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    desired = copy_tree(tmp_path)
    original = (desired / "etl.toml").read_text()
    _with_extra_function(desired)
    args = ("--stack", "etl", "--suffix", "prn", "--desired-dir", str(desired))
    assert run(local_aws, *args).code == 0
    assert "function:report-handler-prn" in names_ending(local_aws, "-prn")
    (desired / "etl.toml").write_text(original)  # the function is gone from the TOML
    plan = run(local_aws, "plan", *args)
    assert plan.code == 2
    for line in (
        "- lambda.function report-handler-prn",
        "- iam.role report-handler-role-prn",
        "- logs.log_group /aws/lambda/report-handler-prn",
        "- sqs.queue report-handler-dlq-prn",
    ):
        assert line in plan.stdout, plan.stdout
    assert run(local_aws, *args).code == 0
    assert not any("report-handler" in name for name in names_ending(local_aws, "-prn"))
    assert run(local_aws, "plan", *args).code == 0
    assert run(local_aws, "destroy", "--yes", *args).code == 0


def test_a_dry_run_lists_everything_and_writes_nothing(local_aws: LocalAws) -> None:
    assert run(local_aws, "--suffix", "dry").code == 0
    local_aws.control.reset_calls()
    result = run(local_aws, "destroy", "--suffix", "dry", "--dry-run")
    assert result.code == 0
    assert result.stdout.count("\n- ") == 8
    assert local_aws.control.writes() == []
    assert len(names_ending(local_aws, "-dry")) == 6
    assert run(local_aws, "destroy", "--suffix", "dry", "--yes").code == 0


def test_an_account_outside_the_allow_list_is_refused_before_any_write(
    local_aws: LocalAws,
) -> None:
    local_aws.control.reset_calls()
    result = run(local_aws, "destroy", "--suffix", "acct", "--yes", "--account", "999999999999")
    assert result.code == 1
    assert "account 123456789012 is not in the allowed accounts (999999999999)" in result.stderr
    assert local_aws.control.writes() == []
