"""`reconcile watch`: scheduled drift correction against the local AWS, as a container runs it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.sandbox.child import free_port
from reconciler.sandbox.control.faults import FaultRule
from tests.e2e.helpers import ROOT, LocalAws, run


def _until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def _metric(port: int, name: str) -> float:
    _, text = _get(port, "/metrics")
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    return 0.0


class Watcher:
    def __init__(self, aws: LocalAws, suffix: str, *extra: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reconciler",
                "watch",
                "--suffix",
                suffix,
                "--stack",
                "transactions",
                "--metrics-port",
                str(self.port),
                *extra,
            ],
            env=aws.env(),
            cwd=ROOT,
            text=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def cycles(self) -> float:
        return _metric(self.port, "reconcile_cycles_total")

    def stop(self) -> tuple[int, str, float]:
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        _, stderr = self.proc.communicate(timeout=30)
        return self.proc.returncode, stderr, time.monotonic() - started


@pytest.fixture
def watcher(local_aws: LocalAws) -> Iterator[Watcher]:
    w = Watcher(local_aws, "wch", "--interval", "1")
    yield w
    if w.proc.poll() is None:
        w.proc.kill()
        w.proc.wait()
    local_aws.control.clear_faults()
    run(local_aws, "destroy", "--suffix", "wch", "--yes")


def test_watch_corrects_drift_survives_a_failed_cycle_and_stops_on_sigterm(
    local_aws: LocalAws, watcher: Watcher
) -> None:
    lam = local_aws.client("lambda")
    _until(lambda: watcher.cycles() >= 1)
    assert lam.get_function_configuration(FunctionName="lambda-function-wch")["MemorySize"] == 1024
    # Drift between cycles is corrected by the next cycle.
    lam.update_function_configuration(FunctionName="lambda-function-wch", MemorySize=256)
    _until(
        lambda: (
            lam.get_function_configuration(FunctionName="lambda-function-wch")["MemorySize"] == 1024
        )
    )
    # One failed cycle is logged and counted; the next one succeeds.
    local_aws.control.add_fault(FaultRule("lambda", "GetFunction", "AccessDeniedException", 403, 1))
    _until(lambda: _metric(watcher.port, "reconcile_cycle_failures_total") >= 1)
    failed_at = watcher.cycles()
    _until(lambda: watcher.cycles() >= failed_at + 1)
    assert _get(watcher.port, "/healthz")[0] == 200
    assert _metric(watcher.port, "reconcile_last_success_timestamp_seconds") > time.time() - 60
    code, stderr, seconds = watcher.stop()
    assert code == 0 and seconds < 15
    assert '"event": "reconcile.failed"' in stderr and "AccessDeniedException" in stderr
    assert '"event": "watch.stopped"' in stderr


def test_metrics_parse_and_count_api_calls_by_operation(
    local_aws: LocalAws, watcher: Watcher
) -> None:
    _until(lambda: watcher.cycles() >= 2)
    _, text = _get(watcher.port, "/metrics")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in (
        "reconcile_cycles",
        "reconcile_cycle_failures",
        "reconcile_api_calls",
        "reconcile_cycle_duration_seconds",
        "reconcile_last_success_timestamp_seconds",
        "reconcile_actions_applied",
        "reconcile_drift_found",
    ):
        assert name in families, sorted(families)
    samples = families["reconcile_api_calls"].samples
    reads = [
        s
        for s in samples
        if s.labels.get("operation") == "GetFunction" and s.name.endswith("_total")
    ]
    assert reads and reads[0].labels["access"] == "read" and reads[0].value >= 2
    applied = {
        s.labels["op"]: s.value
        for s in families["reconcile_actions_applied"].samples
        if s.name.endswith("_total")
    }
    assert applied.get("create", 0) == 8  # the first cycle built the stack, later ones nothing
    assert watcher.stop()[0] == 0


def test_healthz_turns_503_after_repeated_failures(local_aws: LocalAws) -> None:
    local_aws.control.add_fault(FaultRule("sts", "GetCallerIdentity", "AccessDenied", 403, 1000))
    w = Watcher(local_aws, "wchbad", "--interval", "0.3", "--unhealthy-after", "2")
    try:
        _until(lambda: _get(w.port, "/healthz")[0] == 503, timeout=60)
        status, body = _get(w.port, "/healthz")
        assert status == 503 and "cycles failed" in body
    finally:
        local_aws.control.clear_faults()
        code, _, _ = w.stop()
    assert code == 0


def test_once_runs_one_cycle_with_the_exit_code_of_apply(local_aws: LocalAws) -> None:
    result = run(local_aws, "watch", "--once", "--suffix", "wchonce")
    assert result.code == 0, result.stderr
    assert run(local_aws, "plan", "--suffix", "wchonce").code == 0
    assert run(local_aws, "destroy", "--suffix", "wchonce", "--yes").code == 0
