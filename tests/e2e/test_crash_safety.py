"""Crash safety: a run killed with SIGKILL at any point, then the same command again at once,
as a person or a scheduler does (no `unlock`, no wait): it takes over the dead run's lease,
exits 0 and leaves what an uninterrupted run leaves. Every resource was tagged when it was
created, so a destroy afterwards leaves nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from reconciler.apply.lock import read_holder
from tests.e2e import requirements
from tests.e2e.helpers import ROOT, LocalAws, Run, names_ending, run

# The first apply of the transactions stack makes 16 writes (lease included); kill after each.
WRITES = list(range(1, 17))
TAKEN_OVER = '"event": "lock.taken_over"'


def _kill_when(aws: LocalAws, reached: Callable[[], bool], *args: str, **knobs: object) -> None:
    """Start `reconcile *args`, SIGKILL it once `reached()` (the local AWS holding its writes
    as `knobs` say meanwhile), then release the held writes unperformed."""
    aws.control.reset_calls()
    defaults = aws.control.knobs().to_json()
    aws.control.configure(**knobs)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *args],
            env=aws.env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not reached() and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)  # let it reach the held write, or go on waiting
        assert proc.poll() is None, "the run ended before the kill"
        proc.kill()
        proc.wait(timeout=10)
    finally:
        aws.control.configure(**{k: defaults[k] for k in knobs})


def _wrote(aws: LocalAws, count: int = 0, operation: str = "") -> Callable[[], bool]:
    """`count` writes were made, or a write of `operation` was made or is being held."""

    def reached() -> bool:
        writes = aws.control.writes()
        if operation:
            return operation in aws.control.held() or any(w.operation == operation for w in writes)
        return len(writes) >= count

    return reached


def _again(aws: LocalAws, *args: str) -> Run:
    """The same command at once: it must take the dead run's lease over, not wait for it."""
    suffix = args[args.index("--suffix") + 1]
    held = read_holder(aws.client("dynamodb"), suffix) is not None
    result = run(aws, *args)
    assert result.code == 0, result.stdout + result.stderr
    # A run killed before its lease was written (creating the lease table) left none to take,
    # and one killed after its last change leaves nothing to write: no lease is needed.
    needed = '"event": "lock.acquired"' in result.stderr
    assert (TAKEN_OVER in result.stderr) == (held and needed), result.stderr
    assert '"event": "lock.waiting"' not in result.stderr
    return result


@pytest.fixture
def cleanup(local_aws: LocalAws) -> Iterator[list[str]]:
    suffixes: list[str] = []
    yield suffixes
    for suffix in suffixes:
        assert run(local_aws, "destroy", "--suffix", suffix, "--yes", "--stack", "all").code == 0
        # Destroy deletes only what carries our tags: nothing left means nothing was untagged.
        assert names_ending(local_aws, f"-{suffix}") == set()


MEETS: dict[str, Callable[[LocalAws, str], None]] = {
    "transactions": requirements.transactions,
    "etl": lambda aws, suffix: requirements.etl(aws, suffix, 7),
}


@pytest.mark.parametrize(
    ("stack", "writes"),
    # The ETL stack's first apply makes 44 writes: a few points spread over them.
    [("transactions", n) for n in WRITES] + [("etl", n) for n in (3, 12, 25, 40)],
)
def test_an_apply_killed_after_n_writes_converges_when_run_again(
    local_aws: LocalAws, cleanup: list[str], stack: str, writes: int
) -> None:
    suffix = f"crash{stack[0]}{writes}"
    cleanup.append(suffix)
    args = ("--suffix", suffix, "--stack", stack)
    _kill_when(local_aws, _wrote(local_aws, writes), *args, freeze_after_writes=writes)
    _again(local_aws, *args)
    assert run(local_aws, "plan", *args).code == 0
    MEETS[stack](local_aws, suffix)


def test_an_apply_killed_while_provisioned_concurrency_settles_converges(
    local_aws: LocalAws, cleanup: list[str]
) -> None:
    cleanup.append("crashpc")
    args = ("--suffix", "crashpc", "--stack", "transactions")
    put = _wrote(local_aws, operation="PutProvisionedConcurrencyConfig")
    # The run is killed while it polls for READY, which takes 8 s here: the next run finds
    # the config still settling and waits for it rather than calling that converged.
    _kill_when(local_aws, put, *args, pc_ready_seconds=8.0)
    _again(local_aws, *args)
    requirements.transactions_provisioned(local_aws, "crashpc")
    assert run(local_aws, "plan", *args).code == 0


@pytest.mark.parametrize("when", ["freeze_from_operation", "freeze_after_operation"])
def test_an_apply_killed_in_a_layer_publish_converges_without_publishing_twice(
    local_aws: LocalAws, cleanup: list[str], when: str
) -> None:
    suffix = "crashlyr" if when == "freeze_from_operation" else "crashlyr2"
    cleanup.append(suffix)
    args = ("--suffix", suffix, "--stack", "etl")
    publish = _wrote(local_aws, operation="PublishLayerVersion")
    _kill_when(local_aws, publish, *args, **{when: "PublishLayerVersion"})
    _again(local_aws, *args)
    assert run(local_aws, "plan", *args).code == 0
    requirements.etl(local_aws, suffix, 7)
    layer = f"etl-shared-{suffix}"
    versions = local_aws.client("lambda").list_layer_versions(LayerName=layer)["LayerVersions"]
    # Killed mid-publish: the publish never happened. Killed after it: the next run found
    # that version by its content and used it.
    assert len(versions) == 1, versions


@pytest.mark.parametrize(
    ("stack", "after"),
    [("transactions", n) for n in range(1, 9)] + [("etl", n) for n in (1, 6, 14, 22)],
)
def test_a_destroy_killed_after_n_writes_finishes_when_run_again(
    local_aws: LocalAws, stack: str, after: int
) -> None:
    suffix = f"kill{stack[0]}{after}"
    assert run(local_aws, "--suffix", suffix, "--stack", stack).code == 0
    args = ("destroy", "--suffix", suffix, "--yes", "--stack", stack)
    _kill_when(local_aws, _wrote(local_aws, after), *args, freeze_after_writes=after)
    _again(local_aws, *args)
    assert names_ending(local_aws, f"-{suffix}") == set()
