"""The fleet scenario: accounts x regions x suffixes of the ETL stack from one fleet file.

Measures a converged `plan --fleet` against separate `plan --suffix` runs of the same targets:
calls per target (the fleet shares each account-region's listings), listings per
account-region per cycle, and wall time against the quota-bound minimum of the busiest
account-region; then the same fleet plan through the quota proxy, each account-region its own
buckets as in AWS, to see whether throttling reaches the user.
"""

from __future__ import annotations

import json
import os
import resource
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import quotas
from bench.local import Run, local_client, reconcile
from bench.quota_proxy import QuotaProxy
from bench.scenarios import THROTTLE_CODES, BenchError, latency
from reconciler.aws.clients import is_read
from reconciler.sandbox.child import SandboxProcess

HUB = "123456789012"
SPOKES = ("222222222222", "333333333333")
REGIONS = ("us-east-1", "eu-west-1")
ROLE = "lambda-reconciler"
STACK = "etl"
# The account-wide listings a fleet shares between an account-region's targets.
LISTINGS = (
    "sts:GetCallerIdentity",
    "lambda:ListFunctions",
    "logs:DescribeLogGroups",
    "sqs:ListQueues",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListDashboards",
    "dynamodb:ListTables",
    "iam:GetAccountAuthorizationDetails",
    "iam:ListPolicies",
    "xray:GetGroups",
)
SEPARATE_SAMPLE = 3


@dataclass(frozen=True)
class FleetBench:
    accounts: int
    regions: int
    suffixes: int
    first_apply: Run
    plan: Run
    # The same plan with no added latency: what local compute alone costs on this machine.
    plan_at_zero: Run
    separate: tuple[Run, ...]
    quota_plan: Run
    throttled: int
    # CPU seconds of the no-latency plan: the CLI's, and the local AWS's answering it.
    cpu_cli_s: float = 0.0
    cpu_local_aws_s: float = 0.0

    @property
    def targets(self) -> list[dict[str, Any]]:
        return list(self.plan.report["targets"]) if self.plan.report else []

    def reads_per_target(self) -> float:
        reads = sum(_reads(t["report"]["api_calls"]["by_operation"]) for t in self.targets)
        return reads / max(1, len(self.targets))

    def separate_reads(self) -> float:
        return sum(r.calls.reads for r in self.separate) / max(1, len(self.separate))

    def groups(self) -> dict[tuple[str, str], Counter[str]]:
        """Calls of each account-region, summed over its targets."""
        out: dict[tuple[str, str], Counter[str]] = {}
        for t in self.targets:
            out.setdefault((t["account"], t["region"]), Counter()).update(
                t["report"]["api_calls"]["by_operation"]
            )
        return out

    def listings_per_group(self) -> int:
        """The most calls any one listing took in any one account-region (1: shared)."""
        return max(
            (calls.get(op, 0) for calls in self.groups().values() for op in LISTINGS), default=0
        )

    def bound(self) -> quotas.Bound:
        """The quota-bound minimum of the busiest account-region."""
        return max((quotas.minimum(c) for c in self.groups().values()), key=lambda b: b.seconds)

    def errors_reaching_user(self) -> int:
        report = self.quota_plan.report or {}
        failed = [t for t in report.get("targets", []) if t.get("exit_code") == 1]
        return sum(1 for t in failed if THROTTLE_CODES.search(str(t.get("error", ""))))


def _reads(by_operation: Mapping[str, int]) -> int:
    return sum(n for op, n in by_operation.items() if is_read(op.split(":", 1)[1]))


def fleet(aws: SandboxProcess, workdir: Path, suffixes: int, latency_ms: float) -> FleetBench:
    """Deploy the fleet with no added latency, then measure its converged plan at
    `latency_ms`. Left deployed: the local AWS is discarded after the benchmark."""
    _spoke_roles(aws)
    path = workdir / "fleet.toml"
    path.write_text(_fleet_file(suffixes))
    with latency(aws, 0):
        first = _run(aws.url, "first fleet apply", "apply", "--fleet", str(path))
        cli_before, aws_before = _children_cpu(), _cpu(aws.pid)
        at_zero = _run(aws.url, "converged fleet plan, no latency", "plan", "--fleet", str(path))
        cpu = (_children_cpu() - cli_before, _cpu(aws.pid) - aws_before)
    with latency(aws, latency_ms):
        plan = _run(aws.url, "converged fleet plan", "plan", "--fleet", str(path))
        separate = tuple(
            _run(aws.url, "separate plan", "plan", "--suffix", f"fb0r0n{i}", "--stack", STACK)
            for i in range(min(SEPARATE_SAMPLE, suffixes))
        )
        with QuotaProxy(aws.url, latency_ms) as proxy:
            args = ("plan", "--fleet", str(path), "--output", "json")
            quota_plan = reconcile(proxy.url, *args)
            throttled = sum(proxy.quotas.throttled.values())
    accounts = 1 + len(SPOKES)
    return FleetBench(
        accounts,
        len(REGIONS),
        suffixes,
        first,
        plan,
        at_zero,
        separate,
        quota_plan,
        throttled,
        *cpu,
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu(pid: int | None) -> float:
    """User and system CPU seconds a running process has used (from /proc)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(url: str, name: str, *args: str) -> Run:
    run = reconcile(url, *args, "--output", "json")
    if run.code != 0 or run.report is None:
        raise BenchError(f"{name}: expected exit 0; {run.describe()}")
    return run


def _fleet_file(suffixes: int) -> str:
    lines = [f'[defaults]\nstacks = ["{STACK}"]\n']
    for a, account in enumerate((HUB, *SPOKES)):
        for r, region in enumerate(REGIONS):
            for n in range(suffixes):
                lines.append(
                    f'[[targets]]\naccount = "{account}"\nregion = "{region}"\n'
                    f'suffix = "fb{a}r{r}n{n}"\n'
                    + (f'role_name = "{ROLE}"\n' if account != HUB else "")
                )
    return "\n".join(lines)


def _spoke_roles(aws: SandboxProcess) -> None:
    """The role each spoke account gives the hub (the local AWS files a call under the
    account its `x-moto-account-id` header names)."""
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{HUB}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    for account in SPOKES:
        iam = local_client(aws.url, "iam")
        iam.meta.events.register(
            "before-sign.iam.*",
            lambda request, account=account, **_: request.headers.__setitem__(
                "x-moto-account-id", account
            ),
        )
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust)
