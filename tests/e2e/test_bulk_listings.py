"""Bulk listings never decide a write alone: the Tagging API's listing and IAM's account
details may lag (the local AWS's `tagging_lag_seconds` and `iam_details_lag_seconds` knobs),
so before writing, what they answered is read again from each resource, and a disagreement
re-plans from the direct reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import LocalAws, reconcile
from tests.e2e.test_terminal import STACK

WIDE = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
SUFFIX = "blk1"
TABLE = f"desk-visits-{SUFFIX}"
ROLE = f"desk-greeter-role-{SUFFIX}"


@pytest.fixture
def folder(local_aws: LocalAws, tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "greeter").mkdir()
    (tmp_path / "greeter" / "index.mjs").write_text("export const handler = async () => 1;\n")
    (tmp_path / "desk.toml").write_text(STACK)
    yield tmp_path
    local_aws.control.configure(tagging_lag_seconds=0, iam_details_lag_seconds=0)
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
    assert "listing.stale" in applied.stderr
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


def _role_inline(local_aws: LocalAws) -> dict[str, object]:
    iam = local_aws.client("iam")
    names = iam.list_role_policies(RoleName=ROLE)["PolicyNames"]
    return {n: iam.get_role_policy(RoleName=ROLE, PolicyName=n)["PolicyDocument"] for n in names}


def test_a_role_read_from_the_account_details_is_read_again_before_writing(
    local_aws: LocalAws, folder: Path
) -> None:
    assert reconcile(local_aws, *_args("apply", folder), "--yes").code == 0
    iam = local_aws.client("iam")
    # A policy added by hand is found through the account's details, with no read of the role.
    iam.put_role_policy(RoleName=ROLE, PolicyName="byhand", PolicyDocument=WIDE)
    local_aws.control.reset_calls()
    plan = reconcile(local_aws, *_args("plan", folder))
    assert plan.code == 2 and "inline_policies.byhand" in plan.stdout, plan.stdout
    operations = {(c.service, c.operation) for c in local_aws.control.calls()}
    assert ("iam", "GetAccountAuthorizationDetails") in operations
    assert not {("iam", "GetRole"), ("iam", "GetRolePolicy")} & operations, operations
    # From here the details answer what they answered for that plan.
    local_aws.control.configure(iam_details_lag_seconds=600)
    # Then another suffix takes the role; the lagging details still say it is ours.
    iam.tag_role(RoleName=ROLE, Tags=[{"Key": "EnvironmentSuffix", "Value": "blk2"}])
    before = _role_inline(local_aws)
    local_aws.control.reset_calls()
    applied = reconcile(local_aws, *_args("apply", folder), "--yes")
    writes = [(c.service, c.operation) for c in local_aws.control.writes() if c.service == "iam"]
    assert writes == [], writes
    assert "listing.stale" in applied.stderr
    assert f"! iam.role {ROLE}: left alone, owned by suffix 'blk2'" in applied.stdout, (
        applied.stdout
    )
    assert _role_inline(local_aws) == before
    # Given back, the next run (details current again) removes what was added by hand.
    iam.tag_role(RoleName=ROLE, Tags=[{"Key": "EnvironmentSuffix", "Value": SUFFIX}])
    local_aws.control.configure(iam_details_lag_seconds=0)
    assert reconcile(local_aws, *_args("apply", folder), "--yes").code == 0
    assert "byhand" not in _role_inline(local_aws)
    again = reconcile(local_aws, *_args("plan", folder))
    assert again.code == 0, again.stdout
