"""A fleet whose targets together need more concurrency than their account has: the ones that
do not fit are refused before any target writes, and the others converge; nothing is left
half-made (a function made, its reservation refused by AWS midway)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.helpers import LocalAws, reconcile
from tests.e2e.test_terminal import STACK

SUFFIXES = ("fq1", "fq2", "fq3", "fq4")
# Each target's function reserves 100. The account has 450, of which AWS keeps 100
# unreserved: 350 to share, so three targets fit and the fourth does not.
RESERVING = STACK.replace("memory_mb = 128\n", "memory_mb = 128\nreserved_concurrency = 100\n")
FLEET = "".join(
    f'[[targets]]\naccount = "123456789012"\nregion = "us-east-1"\nsuffix = "{suffix}"\n'
    'stacks = ["desk"]\nenv = "staging"\n'
    for suffix in SUFFIXES
)
REFUSAL = (
    "account concurrency too low for every target of 123456789012/us-east-1: 450 total, "
    "450 unreserved, and AWS keeps at least 100 unreserved; the targets before it in the fleet "
    "file take 300, and this one reserves 100 (reserved and provisioned); nothing was written "
    "for it"
)


@pytest.fixture
def folder(local_aws: LocalAws, tmp_path: Path) -> Iterator[Path]:
    stacks = tmp_path / "stacks"
    (stacks / "greeter").mkdir(parents=True)
    (stacks / "greeter" / "index.mjs").write_text("export const handler = async () => 1;\n")
    (stacks / "desk.toml").write_text(RESERVING)
    (tmp_path / "fleet.toml").write_text(FLEET)
    local_aws.control.configure(account_concurrency=450)
    yield stacks
    local_aws.control.configure(account_concurrency=1000)
    for suffix in SUFFIXES:
        args = ("destroy", "--suffix", suffix, "--yes", "--desired-dir", str(stacks))
        gone = reconcile(local_aws, *args)
        assert gone.code == 0, gone.stdout + gone.stderr


def _fleet(aws: LocalAws, folder: Path, command: str) -> tuple[int, dict[str, Any]]:
    args = ("--fleet", str(folder.parent / "fleet.toml"), "--desired-dir", str(folder))
    yes = ("--yes",) if command == "apply" else ()
    result = reconcile(aws, command, *args, *yes, "--output", "json")
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    return result.code, {t["suffix"]: t for t in report["targets"]}


def _exists(call: Any) -> bool:
    try:
        call()
    except ClientError:
        return False
    return True


def test_targets_that_do_not_fit_together_are_refused_before_any_write(
    local_aws: LocalAws, folder: Path
) -> None:
    local_aws.control.reset_calls()
    code, planned = _fleet(local_aws, folder, "plan")
    # The plan says it already: the fourth would not fit beside the three before it.
    assert code == 1 and planned["fq4"]["exit_code"] == 1
    assert planned["fq4"]["error"] == REFUSAL
    assert [planned[s]["exit_code"] for s in SUFFIXES[:3]] == [2, 2, 2]
    assert local_aws.control.writes() == []

    code, applied = _fleet(local_aws, folder, "apply")
    assert code == 1, applied
    assert [applied[s]["exit_code"] for s in SUFFIXES] == [0, 0, 0, 1]
    assert applied["fq4"]["error"] == REFUSAL
    lam, dynamodb, iam = (local_aws.client(s) for s in ("lambda", "dynamodb", "iam"))
    for suffix in SUFFIXES[:3]:
        concurrency = lam.get_function_concurrency(FunctionName=f"desk-greeter-{suffix}")
        assert concurrency["ReservedConcurrentExecutions"] == 100
    # Nothing of the refused target was made: not its table, role or function.
    assert not _exists(lambda: lam.get_function(FunctionName="desk-greeter-fq4"))
    assert not _exists(lambda: dynamodb.describe_table(TableName="desk-visits-fq4"))
    assert not _exists(lambda: iam.get_role(RoleName="desk-greeter-role-fq4"))
    settings = lam.get_account_settings()["AccountLimit"]
    assert settings["UnreservedConcurrentExecutions"] == 150

    # The next cycle: the three converged write nothing, and the fourth is refused again, by
    # its own look at the account now that the others' reservations are made.
    local_aws.control.reset_calls()
    code, again = _fleet(local_aws, folder, "apply")
    assert [again[s]["exit_code"] for s in SUFFIXES] == [0, 0, 0, 1]
    assert again["fq4"]["error"] == (
        "account concurrency too low: 450 total, 150 unreserved; the stack reserves 100 "
        "(reserved and provisioned), and AWS keeps at least 100 unreserved"
    )
    assert local_aws.control.writes() == []
