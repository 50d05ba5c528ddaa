"""`python -m reconciler.sandbox` runs in the foreground and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

import reconciler
from reconciler.sandbox.__main__ import knobs_from, parse_args
from reconciler.sandbox.control.knobs import knob_types
from tests.sandbox.helpers import client_kwargs

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

READY_PREFIX = "sandbox listening on "
PROJECT_ROOT = Path(reconciler.__file__).resolve().parent.parent


def test_knob_flags_become_knobs() -> None:
    args = parse_args(["--port", "0", "--pending-seconds", "0.1", "--account-concurrency", "20"])

    knobs = knobs_from(args)

    assert (args.port, knobs.pending_seconds, knobs.account_concurrency) == (0, 0.1, 20)
    assert knobs.update_seconds == 0.3


def test_help_describes_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    text = capsys.readouterr().out
    blocks = re.split(r"\n  (?=-)", text.split("options:", 1)[1])
    options = [b for b in blocks if b.startswith("--")]
    assert len(options) == len(knob_types()) + 2
    for block in options:
        flag, _, said = block.partition("  ")
        # Each option says what it does, not only its default.
        assert re.search(r"[a-z]{3,} [a-z]{2,}", said.replace("\n", " ")), flag


def test_the_sandbox_runs_as_a_module_and_exits_cleanly_on_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0", "--pending-seconds", "0"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith(READY_PREFIX), line
        lam: LambdaClient = boto3.client("lambda", **client_kwargs(line[len(READY_PREFIX) :]))

        assert lam.list_functions()["Functions"] == []

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
