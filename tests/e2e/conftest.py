"""End-to-end fixtures: the real `reconcile` command against `python -m reconciler.sandbox`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from reconciler.sandbox.child import SandboxProcess
from reconciler.sandbox.control.client import SandboxControl

ROOT = Path(__file__).parents[2]
SECRET_DB = "postgres://ledger:Sup3r-Secret-pw@db.internal:5432/ledger"
SECRET_KEY = "ak_live_9f8e7d6c5b4a39281706"
RECONCILER_KEY = "reconciler"
# The tests' own client stands for a person at a console, not for the code under test: it
# retries through every injected fault (at the fault matrix's 25% a call fails 16 times running
# about once in 4e9), so a test fails only on what `reconcile` did.
BYSTANDER = Config(retries={"mode": "standard", "total_max_attempts": 16})


@dataclass
class LocalAws:
    url: str
    control: SandboxControl

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=self.url,
            # The CLI signs with its own key, so the local AWS tells its calls from the tests'.
            AWS_ACCESS_KEY_ID=RECONCILER_KEY,
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
            TRANSACTIONS_DATABASE_URL=SECRET_DB,
            TRANSACTIONS_API_KEY=SECRET_KEY,
        )
        env.update(extra)
        return env

    def client(self, service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=BYSTANDER,
        )


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    with SandboxProcess() as process:
        yield LocalAws(process.url, process.control)


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def reconcile(aws: LocalAws, *args: str, stdin: str = "", **env: str) -> Run:
    """The installed console script, as a user runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=aws.env(**env),
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)
