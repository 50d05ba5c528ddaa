"""Bad input: one clear line, exit 1, no traceback, and no AWS write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, LocalAws


def _desired(tmp_path: Path, old: str = "", new: str = "") -> Path:
    folder = tmp_path / "desired_state"
    folder.mkdir()
    text = (ROOT / "desired_state" / "transactions.toml").read_text()
    text = text.replace("../handlers/transactions", str(ROOT / "handlers" / "transactions"))
    (folder / "transactions.toml").write_text(text.replace(old, new, 1) if old else text)
    return folder


def _run(aws: LocalAws, args: list[str], drop: tuple[str, ...] = (), **env: str) -> tuple[int, str]:
    environment = aws.env(**env)
    for key in drop:
        environment.pop(key, None)
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True, text=True, env=environment, cwd=ROOT, timeout=60, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert "Traceback" not in proc.stderr
    assert len(errors) == 1, proc.stderr
    return proc.returncode, errors[0]


CASES = [
    ("malformed TOML", ("[stack", "[stack\n[["), [], "not valid TOML"),
    ("unknown key", ("timeout_s = 30", "timeout_s = 30\nspeed = 9"), [],
     "functions.processor.speed: unknown key"),
    ("memory out of range", ("memory_mb = 1024", "memory_mb = 99999"), [], "out of Lambda memory"),
    ("literal secret", ('"env:TRANSACTIONS_API_KEY"', '"abc123"'), [], "never a literal value"),
    ("bad suffix", None, ["--suffix", "PR_42"], "suffix 'PR_42' is invalid"),
    ("too long suffix", None, ["--suffix", "a" * 25], "X-Ray group name"),
    ("unknown stack", None, ["--stack", "billing"], "unknown stack 'billing'"),
    ("unknown command", None, ["deploy"], "invalid choice: 'deploy'"),
    ("bad max workers", None, ["--max-workers", "0"], "must be a whole number above 0"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_1_and_no_write(
    local_aws: LocalAws, tmp_path: Path, case: tuple[str, tuple[str, str] | None, list[str], str]
) -> None:
    _, edit, extra, message = case
    folder = _desired(tmp_path, *(edit or ("", "")))
    args = [*extra[:1], "--suffix", "badin", *extra[1:]] if extra[:1] == ["deploy"] else []
    args = args or ["--suffix", "badin", "--desired-dir", str(folder), *extra]
    local_aws.control.reset_calls()
    code, error = _run(local_aws, args)
    assert code == 1
    assert message in error, error
    assert local_aws.control.writes() == []


@pytest.mark.parametrize(
    ("env", "drop", "message"),
    [
        ({}, ("TRANSACTIONS_API_KEY",), "environment variable TRANSACTIONS_API_KEY is not set"),
        ({"TRANSACTIONS_DATABASE_URL": ""}, (), "TRANSACTIONS_DATABASE_URL is empty"),
    ],
)
def test_a_missing_secret_stops_the_run_before_any_call(
    local_aws: LocalAws, env: dict[str, str], drop: tuple[str, ...], message: str
) -> None:
    local_aws.control.reset_calls()
    code, error = _run(
        local_aws, ["--suffix", "badin", "--stack", "transactions"], drop=drop, **env
    )
    assert code == 1 and message in error
    assert local_aws.control.calls() == []


def test_an_unreachable_endpoint_is_named(local_aws: LocalAws) -> None:
    code, error = _run(
        local_aws,
        ["--suffix", "badin", "--stack", "transactions"],
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
    )
    assert code == 1
    assert error == "error: cannot reach AWS at http://127.0.0.1:9"


def test_missing_credentials_are_named(local_aws: LocalAws, tmp_path: Path) -> None:
    code, error = _run(
        local_aws, ["--suffix", "badin", "--stack", "transactions"],
        drop=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )  # fmt: skip
    assert code == 1 and "no AWS credentials found" in error


def test_help_lists_the_commands_and_exit_codes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "--help"], capture_output=True, text=True, check=True
    )
    assert "apply" in proc.stdout and "destroy" in proc.stdout and "exit codes" in proc.stdout
