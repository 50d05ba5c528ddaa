"""End-to-end helpers: the real `reconcile` command against the local AWS, and the tests' own
boto3 clients that check what it did."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from reconciler.sandbox.control.client import SandboxControl

ROOT = Path(__file__).parents[2]
SECRET_DB = "postgres://ledger:Sup3r-Secret-pw@db.internal:5432/ledger"
SECRET_KEY = "ak_live_9f8e7d6c5b4a39281706"
RECONCILER_KEY = "reconciler"
STACK_LAYERS = ("etl-shared",)
# The tests' own client stands for a person at a console, not for the code under test: it
# retries through every injected fault (at the fault matrix's 25% a call fails 16 times running
# about once in 4e9), so a test fails only on what `reconcile` did.
BYSTANDER = Config(retries={"mode": "standard", "total_max_attempts": 16})
# A caller that sees every throttle: one attempt, and long enough to wait out a slow handler.
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=60)


class Aws(Protocol):
    """An AWS the command runs against and the tests read back from."""

    def env(self, **extra: str) -> dict[str, str]: ...

    def client(self, service: str) -> Any: ...


def cli_env(endpoints: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The command's environment: `AWS_ENDPOINT_URL[_<SERVICE>]` from `endpoints` ("" for the
    default one), the stacks' secrets, and nothing of the caller's own AWS settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    for service, url in endpoints.items():
        env["AWS_ENDPOINT_URL" + (f"_{service.upper()}" if service else "")] = url
    env.update(
        # The CLI signs with its own key, so the local AWS tells its calls from the tests'.
        AWS_ACCESS_KEY_ID=RECONCILER_KEY,
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        TRANSACTIONS_DATABASE_URL=SECRET_DB,
        TRANSACTIONS_API_KEY=SECRET_KEY,
    )
    env.update(extra)
    return env


def client(url: str, service: str, config: Config = BYSTANDER) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def burst(
    aws: LocalAws, name: str, payloads: Sequence[str], qualifier: str = "$LATEST"
) -> list[str]:
    """Every payload sent at once as a synchronous Invoke; each call's outcome: "ok", "failed"
    (a function error) or the error code AWS answered with."""
    lam = client(aws.url, "lambda", NO_RETRIES)

    def call(payload: str) -> str:
        try:
            answer = lam.invoke(FunctionName=name, Qualifier=qualifier, Payload=payload)
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return "failed" if "FunctionError" in answer else "ok"

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(call, payloads))


def wait_idle(aws: LocalAws, *functions: str, seconds: float = 60.0) -> None:
    """Wait until the local AWS reports none of `functions` running or with an Event invocation
    unfinished. Work an earlier step started (a function invoking another asynchronously,
    retries inside their backoff) holds the function's concurrency in AWS too, so a test that
    needs the whole reservation waits for it to end, as the account would, whatever ran before.
    """
    deadline = time.monotonic() + seconds
    while busy := [a for a in aws.control.activity() if a.function in functions and not a.idle]:
        if time.monotonic() > deadline:
            raise AssertionError(f"still busy after {seconds:.0f} s: {busy}")
        time.sleep(0.1)


def throttles_recorded(aws: LocalAws, name: str) -> float:
    """The function's `Throttles` over the last ten minutes, as CloudWatch reports them."""
    stats = aws.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "throttles",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Lambda",
                        "MetricName": "Throttles",
                        "Dimensions": [{"Name": "FunctionName", "Value": name}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=time.time() - 600,
        EndTime=time.time() + 60,
    )
    return float(sum(stats["MetricDataResults"][0]["Values"]))


@dataclass
class LocalAws:
    url: str
    control: SandboxControl

    def env(self, **extra: str) -> dict[str, str]:
        return cli_env({"": self.url}, **extra)

    def client(self, service: str) -> Any:
        return client(self.url, service)


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def reconcile(aws: Aws, *args: str, stdin: str = "", cwd: Path | str = ROOT, **env: str) -> Run:
    """The installed console script, as a user runs it (from the checkout, unless `cwd`)."""
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=aws.env(**env),
        cwd=cwd,
        timeout=300,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def run(aws: Aws, *args: str, stdin: str = "", cwd: Path | str = ROOT, **env: str) -> Run:
    """A run of the transactions stack (unless another is named), which must keep the
    secrets out of its output whatever it does."""
    if "--stack" not in args:
        args = (*args, "--stack", "transactions")
    result = reconcile(aws, *args, stdin=stdin, cwd=cwd, **env)
    for secret in (SECRET_DB, SECRET_KEY, "Sup3r-Secret-pw"):
        assert secret not in result.stdout and secret not in result.stderr
    assert "Traceback" not in result.stderr
    return result


def names_ending(aws: Aws, end: str) -> set[str]:
    """Every resource name in every service the stacks use that ends with `end`."""
    lam, iam, logs = aws.client("lambda"), aws.client("iam"), aws.client("logs")
    sqs, cw, ddb, xray = (aws.client(s) for s in ("sqs", "cloudwatch", "dynamodb", "xray"))
    found = {f"function:{f['FunctionName']}" for f in lam.list_functions()["Functions"]}
    found |= {f"layer:{name}" for name in _layers(lam, end)}
    found |= {f"role:{r['RoleName']}" for r in iam.list_roles()["Roles"]}
    found |= {f"policy:{p['PolicyName']}" for p in iam.list_policies(Scope="Local")["Policies"]}
    found |= {f"logs:{g['logGroupName']}" for g in logs.describe_log_groups()["logGroups"]}
    found |= {f"queue:{u.rsplit('/', 1)[1]}" for u in sqs.list_queues().get("QueueUrls", [])}
    found |= {f"alarm:{a['AlarmName']}" for a in cw.describe_alarms()["MetricAlarms"]}
    found |= {f"dashboard:{d['DashboardName']}" for d in cw.list_dashboards()["DashboardEntries"]}
    found |= {f"table:{t}" for t in ddb.list_tables()["TableNames"]}
    found |= {f"xray:{g['GroupName']}" for g in xray.get_groups()["Groups"]}
    return {name for name in found if name.endswith(end)}


def _layers(lam: Any, end: str) -> list[str]:
    """Layer names with at least one version. LocalStack's ListLayers fails (InternalError,
    "list index out of range") once a layer's last version is deleted, where AWS simply stops
    listing the layer; there, the stacks' layer is asked for by name instead."""
    try:
        return [x["LayerName"] for x in lam.list_layers()["Layers"]]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "InternalError":
            raise
    names = [f"{layer}{end}" for layer in STACK_LAYERS]
    return [n for n in names if lam.list_layer_versions(LayerName=n)["LayerVersions"]]


def copy_tree(tmp_path: Path) -> Path:
    """A private copy of the desired state and code, to change sources safely."""
    for folder in ("desired_state", "handlers", "layers"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("node_modules")
        )
    shutil.copytree(
        ROOT / "layers/etl-shared/nodejs/node_modules",
        tmp_path / "layers/etl-shared/nodejs/node_modules",
        dirs_exist_ok=True,
    )
    return tmp_path / "desired_state"
