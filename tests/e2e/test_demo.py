"""`make demo` works as a newcomer runs it: every step's exit code as told, no secret shown."""

from __future__ import annotations

import os
import subprocess
import sys

from reconciler.demo import DEMO_SECRETS
from reconciler.sandbox.legacy import LEGACY_SECRETS
from tests.e2e.helpers import ROOT


def test_the_demo_tells_its_story_and_exits_0() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRANSACTIONS_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler.demo"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    for secret in (*DEMO_SECRETS.values(), *LEGACY_SECRETS.values()):
        assert secret not in out
    assert "lambda-function-demo: nodejs24.x, arm64, same ARN" in proc.stdout
    assert "alias prod -> version 1, event source mapping Enabled" in proc.stdout
    # The failure path, from a failed job to alarms in ALARM, and the smoke gate.
    assert "batch-transform-demo: 3 attempts (1 + MaximumRetryAttempts 2), then its DLQ:" in out
    assert "alarm batch-transform-errors-demo: ALARM" in out
    assert "alarm batch-transform-dlq-messages-demo: ALARM" in out
    assert "transactions-demo: 1 row for txn-demo-0001" in out
    assert "smoke test live.smoke.json of lambda-function-demo version" in out
    assert "(still serving)" in out
    # prod's canary: a version that passes its smoke test but refuses debits, rolled back.
    assert "live: 2 -> 4 canary 10% for 30s, then 100%; rolls back on lambda-function-errors" in out
    assert "rolled back: lambda.alias lambda-function-demo:live" in out
    assert "ran version 4 (refused)" in out
    assert out.count("(still serving)") == 2
    assert "Demo finished in" in proc.stdout
