"""Tags read in bulk never decide a write alone: the Tagging API's listing may lag (the local
AWS's `tagging_lag_seconds` knob), so before writing, the tags it answered are read again
from each resource, and a disagreement re-plans from the direct reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import LocalAws, reconcile
from tests.e2e.test_terminal import STACK

SUFFIX = "blk1"
TABLE = f"desk-visits-{SUFFIX}"


@pytest.fixture
def folder(local_aws: LocalAws, tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "greeter").mkdir()
    (tmp_path / "greeter" / "index.mjs").write_text("export const handler = async () => 1;\n")
    (tmp_path / "desk.toml").write_text(STACK)
    yield tmp_path
    local_aws.control.configure(tagging_lag_seconds=0)
    gone = reconcile(local_aws, *_args("destroy", tmp_path), "--yes")
    assert gone.code == 0, gone.stdout + gone.stderr


def _args(command: str, folder: Path) -> tuple[str, ...]:
    where = ("--suffix", SUFFIX, "--desired-dir", str(folder), "--stack", "desk")
    return (command, *where, *(("--env", "staging") if command != "destroy" else ()))


def _retag(local_aws: LocalAws, **tags: str) -> None:
    ddb = local_aws.client("dynamodb")
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def test_a_listing_that_says_ours_is_checked_before_writing(
    local_aws: LocalAws, folder: Path
) -> None:
    assert reconcile(local_aws, *_args("apply", folder), "--yes").code == 0
    # A tag changed by hand is found through the bulk listing, with no tag read of the table.
    _retag(local_aws, Team="someone")
    assert reconcile(local_aws, *_args("plan", folder)).code == 2
    # From here the listing answers what it answered for that plan.
    local_aws.control.configure(tagging_lag_seconds=600)
    local_aws.control.reset_calls()
    plan = reconcile(local_aws, *_args("plan", folder))
    assert plan.code == 2 and "tags.Team" in plan.stdout, plan.stdout
    operations = {(c.service, c.operation) for c in local_aws.control.calls()}
    assert ("resourcegroupstaggingapi", "GetResources") in operations
    assert ("dynamodb", "ListTagsOfResource") not in operations
    # Then another suffix takes the table; the lagging listing still says it is ours.
    _retag(local_aws, EnvironmentSuffix="blk2")
    local_aws.control.reset_calls()
    applied = reconcile(local_aws, *_args("apply", folder), "--yes")
    # Re-read before writing, the table is another suffix's: not written, and said why.
    writes = [(c.service, c.operation) for c in local_aws.control.writes()]
    assert ("dynamodb", "TagResource") not in writes, writes
    assert "tags.listing_stale" in applied.stderr
    assert applied.code == 3, applied.stdout + applied.stderr
    assert (
        "The state changed while taking the lease; this plan was applied instead" in applied.stdout
    )
    assert f"! dynamodb.table {TABLE}: left alone, owned by suffix 'blk2'" in applied.stdout
    ddb = local_aws.client("dynamodb")
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert (tags["EnvironmentSuffix"], tags["Team"]) == ("blk2", "someone")
    # Given back to this suffix, the next run puts the hand-changed tag right.
    _retag(local_aws, EnvironmentSuffix=SUFFIX)
    local_aws.control.configure(tagging_lag_seconds=0)
    assert reconcile(local_aws, *_args("apply", folder), "--yes").code == 0
    again = reconcile(local_aws, *_args("plan", folder))
    assert again.code == 0, again.stdout
