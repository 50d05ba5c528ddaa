"""`make demo`: the product's story against an embedded local AWS, in under a minute.

It starts where the two systems' owners stood: a legacy deployment built by hand years ago.
The reconciler shows what taking it over changes, migrates it in place with every caller
unbroken, then keeps it in shape: nothing to do, drift found and fixed. The functions then run
in the local AWS: an ETL job flows through, a malformed one fails into its DLQ and sets off the
alarms, a transaction sent twice is recorded once, and a broken new payments version is
stopped by its smoke test. In prod a version that passes its smoke test but refuses debits
takes 10% of live and the errors alarm rolls it back. Last, destroy.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.sandbox.control.client import SandboxControl
    from reconciler.sandbox.legacy import Legacy

SUFFIX = "demo"
FUNCTION = f"lambda-function-{SUFFIX}"
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")
# Stand-ins so the demo runs anywhere; real runs take them from the platform's secret store.
DEMO_SECRETS = {
    "TRANSACTIONS_DATABASE_URL": "postgres://ledger:demo-only-password@localhost:5432/ledger",
    "TRANSACTIONS_API_KEY": "demo-only-api-key-0000",
}
EXPECTED = [2, 0, 0, 2, 0, 3, 0, 0, 1, 0]


@dataclass(frozen=True)
class Step:
    title: str
    exit_code: int
    reads: int
    writes: int
    seconds: float


@dataclass(frozen=True)
class LocalAws:
    """The local AWS as the legacy builder uses it: its controls and boto3's default clients."""

    control: SandboxControl

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service)  # type: ignore[call-overload]


def banner(text: str) -> None:
    print(f"\n{BOLD}== {text}{RESET}", flush=True)


def main() -> int:
    from reconciler.demo_failures import FAST
    from reconciler.sandbox.control.client import SandboxControl
    from reconciler.sandbox.control.knobs import Knobs
    from reconciler.sandbox.server import Sandbox

    started = time.monotonic()
    with (
        Sandbox(port=0, knobs=Knobs().replaced(FAST)) as sandbox,
        tempfile.TemporaryDirectory(prefix="demo-stacks-") as folder,
    ):
        _point_at(sandbox.url)
        print(
            f"{DIM}Local AWS (moto + fidelity layer) at {sandbox.url}; no AWS account used.{RESET}"
        )
        stacks = _init(Path(folder) / "stacks")
        steps, noticed = _story(LocalAws(SandboxControl(sandbox.url)), stacks)
    _summary(steps, time.monotonic() - started)
    return 0 if noticed and [s.exit_code for s in steps] == EXPECTED else 1


def _init(stacks: Path) -> Path:
    """The shipped stacks, written out as a user of the package gets them."""
    from reconciler.cli import main as reconcile

    print(f"{DIM}$ reconcile init {stacks}{RESET}", flush=True)
    if reconcile(["init", str(stacks)]) != 0:
        raise SystemExit("reconcile init failed")
    return stacks


def _point_at(url: str) -> None:
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1",
    )
    for key, value in DEMO_SECRETS.items():
        os.environ.setdefault(key, value)


def _story(aws: LocalAws, stacks: Path) -> tuple[list[Step], bool]:
    """Every `reconcile` run, and whether the failure path showed what it must."""
    run = _runner(aws.control, stacks)
    systems = _legacy(aws)
    steps = [
        run("2. plan --adopt: what taking it over changes (exit 2)", ["plan", "--adopt"]),
        run("3. apply --adopt: migrate it in place, callers unbroken", ["--adopt"]),
    ]
    _callers_unbroken(aws, systems)
    steps.append(run("4. plan: nothing left to do (exit 0, zero writes)", ["plan"]))
    banner("5. someone changes things by hand: memory 1024 -> 512, log retention 7 -> 30 days")
    _drift(aws)
    steps += [
        run("6. plan finds exactly that drift (exit 2)", ["plan"]),
        run("7. apply puts it back", []),
    ]
    failures, noticed = _failures(aws, run, stacks)
    steps += failures
    steps.append(
        run(
            "14. destroy: delete what this suffix created, release what it took over",
            ["destroy", "--yes"],
        )
    )
    return steps, noticed


def _failures(
    aws: LocalAws, run: Callable[[str, list[str]], Step], stacks: Path
) -> tuple[list[Step], bool]:
    from reconciler import demo_failures as fail

    banner("8. the functions run in the local AWS: a valid ETL job, through real SDK v3 calls")
    print(
        f"{DIM}(retries after 0.5 s and 1 s instead of 1 and 2 minutes; alarms evaluated every "
        f"0.25 s over periods a fiftieth as long){RESET}"
    )
    fail.valid_job(aws, SUFFIX)
    banner("9. a malformed job fails: retried twice, into its dead-letter queue, alarms fire")
    noticed = fail.malformed_job(aws, SUFFIX)
    banner("10. the same transaction sent twice to the payments function")
    fail.duplicate_transaction(aws, SUFFIX)
    serving = fail.live_version(aws, SUFFIX)
    with fail.broken_tree(stacks) as broken:
        stopped = run(
            "11. a broken new version: its smoke test keeps the alias where it is (exit 3)",
            ["--desired-dir", str(broken)],
        )
    after = fail.live_version(aws, SUFFIX)
    print(f"alias live: version {serving} before, version {after} after (still serving)")
    fixed = run("11b. apply the working code again", [])
    released, rolled_back = _canary(aws, run, stacks)
    return [stopped, fixed, *released], noticed and after == serving and rolled_back


def _canary(
    aws: LocalAws, run: Callable[[str, list[str]], Step], stacks: Path
) -> tuple[list[Step], bool]:
    """prod's canary: a version that refuses debits takes 10% of live, and is rolled back."""
    from reconciler import demo_failures as fail

    prod = ["--env", "prod", "--stack", "transactions"]
    armed = run("12. prod: releases by canary, watched by the function's errors alarm", prod)
    serving = fail.live_version(aws, SUFFIX)
    # The errors alarm's one-minute period as six seconds: longer than a rollout's look.
    aws.control.configure(metric_period_scale=0.1)
    with fail.debits_refused(stacks, "30s") as bad, fail.Debits(aws, SUFFIX) as debits:
        title = "13. a version that refuses debits passes its smoke test: rolled back (exit 1)"
        rolled = run(title, [*prod, "--desired-dir", str(bad)])
    aws.control.configure(metric_period_scale=fail.FAST["metric_period_scale"])
    after = fail.live_version(aws, SUFFIX)
    print(f"debits through live meanwhile: {debits.said()}")
    print(f"alias live: version {serving} before, version {after} after (still serving)")
    refused = any(not ok for _, ok in debits.ran)
    return [armed, rolled], after == serving and refused


def _legacy(aws: LocalAws) -> list[Legacy]:
    from reconciler.sandbox import legacy

    banner("1. a legacy deployment, as both systems ran before the refactor")
    systems = [legacy.transactions(aws, SUFFIX), legacy.etl(aws, SUFFIX)]
    print(
        "Node.js 14.x on x86_64, 128 MB and 3 s, no tracing, logs that never expire, no DLQ,\n"
        "one shared role per system with dynamodb:* and a managed policy; callers attached an\n"
        "alias 'prod', an API Gateway permission and an SQS event source mapping. Built through\n"
        "boto3 with the local AWS's date set to 2023-06-01."
    )
    return systems


def _callers_unbroken(aws: LocalAws, systems: list[Legacy]) -> None:
    lam = aws.client("lambda")
    for system in systems:
        for name, arn in system.functions.items():
            config = lam.get_function_configuration(FunctionName=name)
            same = "same ARN" if config["FunctionArn"] == arn else "ARN CHANGED"
            print(f"{name}: {config['Runtime']}, {config['Architectures'][0]}, {same}")
        mapping = lam.get_event_source_mapping(UUID=system.mapping)
        caller = mapping["FunctionArn"].split(":")[6]
        alias = lam.get_alias(FunctionName=caller, Name="prod")["FunctionVersion"]
        role = system.role.rsplit("/", 1)[1]
        print(
            f"  callers of {caller}: alias prod -> version {alias}, event source mapping "
            f"{mapping['State']}, role {role} left in place"
        )


def _runner(control: SandboxControl, stacks: Path) -> Callable[[str, list[str]], Step]:
    from reconciler.cli import main as reconcile

    # The stacks `reconcile init` wrote, named: the tool never falls back to its own folder.
    shipped = ["--desired-dir", str(stacks)]

    def run(title: str, args: list[str]) -> Step:
        banner(title)
        where = [] if "--desired-dir" in args else shipped
        argv = [*args, *where, "--suffix", SUFFIX, "--log-level", "warning"]
        print(f"{DIM}$ reconcile {' '.join(argv)}{RESET}", flush=True)
        control.reset_calls()
        began = time.monotonic()
        code = reconcile(argv)
        calls = control.calls()
        writes = sum(1 for c in calls if c.write)
        return Step(title, code, len(calls) - writes, writes, time.monotonic() - began)

    return run


def _drift(aws: LocalAws) -> None:
    aws.client("lambda").update_function_configuration(FunctionName=FUNCTION, MemorySize=512)
    aws.client("logs").put_retention_policy(
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
