"""LocalStack, the second emulator, installed and started by the project's own scripts
(emulators/localstack/), for the journey both emulators must pass (test_journey.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.child import free_port
from tests.e2e.helpers import ROOT, cli_env, client

SCRIPTS = ROOT / "emulators/localstack"
HOME = ROOT / ".localstack"
# Each version takes this long to prepare, so that a function stays Pending after create and an
# update InProgress for a while, as on AWS (LocalStack's own executor would take as long).
PREPARE_S = "1.5"
START_TIMEOUT_S = 90
RETRY_BASE_S = 1


@dataclass(frozen=True)
class LocalStack:
    url: str
    # X-Ray is not in LocalStack's free tier: the local AWS answers it.
    xray_url: str

    def env(self, **extra: str) -> dict[str, str]:
        return cli_env({"": self.url, "xray": self.xray_url}, **extra)

    def client(self, service: str) -> Any:
        return client(self.xray_url if service == "xray" else self.url, service)


@contextmanager
def started(xray_url: str) -> Iterator[LocalStack]:
    """Install (once) and start LocalStack on a free port; stop it afterwards."""
    subprocess.run([str(SCRIPTS / "install.sh")], check=True)
    port = free_port()
    env = {
        **os.environ,
        "LOCALSTACK_PORT": str(port),
        "NO_CODE_PREPARE_SECONDS": PREPARE_S,
        # Async retries after 1 s and 2 s rather than one and two minutes (LocalStack's knob).
        "LAMBDA_RETRY_BASE_DELAY": str(RETRY_BASE_S),
    }
    log = HOME / "localstack.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(SCRIPTS / "start.sh")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, log.read_text)
        yield LocalStack(url, xray_url)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Any) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"LocalStack exited {proc.returncode}:\n{log()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_localstack/health", timeout=2) as answer:
                services = json.load(answer)["services"]
            if all(services.get(s) in ("available", "running") for s in ("lambda", "dynamodb")):
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"LocalStack not healthy after {START_TIMEOUT_S} s:\n{log()[-3000:]}")
