"""Crash safety: a first apply killed after each of its first N writes converges when re-run,
and a destroy afterwards leaves nothing (every resource was tagged when it was created)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.e2e.helpers import ROOT, LocalAws, names_ending, run

# The first apply of the transactions stack makes 16 writes (lease included); kill after each.
WRITES = list(range(1, 17))


def _kill_after(aws: LocalAws, writes: int, *args: str) -> None:
    aws.control.reset_calls()
    aws.control.configure(freeze_after_writes=writes)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *args],
            env=aws.env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len(aws.control.writes()) < writes and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)  # let it reach the held write
        proc.kill()
        proc.wait(timeout=10)
    finally:
        aws.control.configure(freeze_after_writes=-1)


@pytest.mark.parametrize("writes", WRITES)
def test_an_apply_killed_after_n_writes_converges_when_run_again(
    local_aws: LocalAws, writes: int
) -> None:
    suffix = f"crash{writes}"
    _kill_after(local_aws, writes, "--suffix", suffix, "--stack", "transactions")
    # The killed run's lease would expire in 2 minutes; a person unlocks after a crash.
    assert run(local_aws, "unlock", "--suffix", suffix).code == 0
    again = run(local_aws, "--suffix", suffix, "--lock-wait", "0")
    assert again.code == 0, again.stdout + again.stderr
    assert run(local_aws, "plan", "--suffix", suffix).code == 0
    assert run(local_aws, "destroy", "--suffix", suffix, "--yes").code == 0
    # Destroy deletes only what carries our tags: nothing left means nothing was untagged.
    assert names_ending(local_aws, f"-{suffix}") == set()
