"""Where the reconciler would meet one of Lambda's refusals in an account, it stops before
any write with one line instead, proven against the local AWS that refuses as AWS does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import LocalAws, reconcile
from tests.e2e.test_terminal import STACK

SUFFIX = "rfs1"
# 150 instances on `live` of a function that reserves nothing: out of the unreserved pool.
CAPACITY = STACK.replace(
    '[functions.greeter.alias]\nname = "live"\n',
    '[functions.greeter.alias]\nname = "live"\nprovisioned_concurrency = 150\n',
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "greeter").mkdir()
    (tmp_path / "greeter" / "index.mjs").write_text("export const handler = async () => 1;\n")
    (tmp_path / "desk.toml").write_text(CAPACITY)
    return tmp_path


@pytest.fixture
def small_account(local_aws: LocalAws) -> Iterator[None]:
    local_aws.control.configure(account_concurrency=200)
    yield
    local_aws.control.configure(account_concurrency=1000)


def test_capacity_under_the_accounts_floor_stops_before_any_write(
    local_aws: LocalAws, folder: Path, small_account: None
) -> None:
    local_aws.control.reset_calls()
    args = ("apply", "--suffix", SUFFIX, "--env", "staging", "--desired-dir", str(folder))
    result = reconcile(local_aws, *args, "--stack", "desk")
    assert result.code == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: account concurrency too low: 200 total, 200 unreserved; the stack reserves "
        "150 (reserved and provisioned), and AWS keeps at least 100 unreserved"
    )
    assert local_aws.control.writes() == []
    # The local AWS would have refused it midway (tests/sandbox/test_lambda_refusals.py), after
    # the table, the role and the function were written.
