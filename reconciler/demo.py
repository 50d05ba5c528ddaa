"""`make demo`: the product's story against an embedded local AWS, in under a minute."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

SUFFIX = "demo"
FUNCTION = f"lambda-function-{SUFFIX}"
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")
# Stand-ins so the demo runs anywhere; real runs take them from the platform's secret store.
DEMO_SECRETS = {
    "TRANSACTIONS_DATABASE_URL": "postgres://ledger:demo-only-password@localhost:5432/ledger",
    "TRANSACTIONS_API_KEY": "demo-only-api-key-0000",
}


@dataclass(frozen=True)
class Step:
    title: str
    exit_code: int
    reads: int
    writes: int
    seconds: float


def banner(text: str) -> None:
    print(f"\n{BOLD}== {text}{RESET}", flush=True)


def main() -> int:
    from reconciler.sandbox.control.client import SandboxControl
    from reconciler.sandbox.server import Sandbox

    started = time.monotonic()
    with Sandbox(port=0) as sandbox:
        _point_at(sandbox.url)
        print(
            f"{DIM}Local AWS (moto + fidelity layer) at {sandbox.url}; no AWS account used.{RESET}"
        )
        steps = _story(SandboxControl(sandbox.url))
    _summary(steps, time.monotonic() - started)
    expected = [2, 0, 0, 2, 0, 0]
    return 0 if [s.exit_code for s in steps] == expected else 1


def _point_at(url: str) -> None:
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1",
    )
    for key, value in DEMO_SECRETS.items():
        os.environ.setdefault(key, value)


def _story(control: object) -> list[Step]:
    from reconciler.sandbox.control.client import SandboxControl

    assert isinstance(control, SandboxControl)
    run = _runner(control)
    steps = [
        run("1. plan: a fresh suffix, everything to create (exit 2)", ["plan"]),
        run("2. apply: create it all, wait for provisioned concurrency READY", []),
        run("3. plan again: nothing to do (exit 0, zero writes)", ["plan"]),
    ]
    banner("4. someone changes things by hand: memory 1024 -> 512, log retention 7 -> 30 days")
    _drift()
    steps += [
        run("5. plan finds exactly that drift (exit 2)", ["plan"]),
        run("6. apply puts it back", []),
        run("7. destroy: remove everything this suffix owns", ["destroy", "--yes"]),
    ]
    return steps


def _runner(control: object) -> Callable[[str, list[str]], Step]:
    from reconciler.cli import main as reconcile
    from reconciler.sandbox.control.client import SandboxControl

    assert isinstance(control, SandboxControl)

    def run(title: str, args: list[str]) -> Step:
        banner(title)
        argv = [*args, "--suffix", SUFFIX, "--log-level", "warning"]
        print(f"{DIM}$ reconcile {' '.join(argv)}{RESET}", flush=True)
        control.reset_calls()
        began = time.monotonic()
        code = reconcile(argv)
        calls = control.calls()
        writes = sum(1 for c in calls if c.write)
        return Step(title, code, len(calls) - writes, writes, time.monotonic() - began)

    return run


def _drift() -> None:
    import boto3

    boto3.client("lambda").update_function_configuration(FunctionName=FUNCTION, MemorySize=512)
    boto3.client("logs").put_retention_policy(
        logGroupName=f"/aws/lambda/{FUNCTION}", retentionInDays=30
    )
    print("(changed through boto3, behind the reconciler's back)")


def _summary(steps: list[Step], total: float) -> None:
    banner("Summary (API calls seen by the local AWS)")
    print(f"{'step':<62} {'exit':>4} {'reads':>6} {'writes':>6} {'seconds':>8}")
    for step in steps:
        title = step.title.split(":")[0]
        print(
            f"{title:<62} {step.exit_code:>4} {step.reads:>6} {step.writes:>6} {step.seconds:>8.1f}"
        )
    print(f"\nDemo finished in {total:.1f} s.")


if __name__ == "__main__":
    raise SystemExit(main())
