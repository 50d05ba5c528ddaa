"""A fleet: many suffixes, accounts and regions from one file, against the local AWS.

Three accounts (the caller's, and two reached through AssumeRole, one with an ExternalId),
two regions, five suffixes, both stacks. Every target's resources are read back in its own
account and region, and nowhere else.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from prometheus_client.parser import text_string_to_metric_families
from referencing import Registry, Resource

from bench.fleet import LISTINGS
from reconciler.sandbox.child import free_port
from reconciler.sandbox.control.faults import FaultRule
from tests.e2e.helpers import BYSTANDER, ROOT, LocalAws, names_ending, reconcile

HOME, SPOKE, THIRD = "123456789012", "222222222222", "333333333333"
EXTERNAL_ID = "fleet-ext-7c1e"
FLEET = f"""
[defaults]
stacks = ["etl"]

[[targets]]
account = "{HOME}"
region = "us-east-1"
suffix = "fl1"
stacks = ["all"]

[[targets]]
account = "{HOME}"
region = "us-east-1"
suffix = "fl2"

[[targets]]
account = "{HOME}"
region = "eu-west-1"
suffix = "fl3"
stacks = ["transactions"]

[[targets]]
account = "{SPOKE}"
region = "us-east-1"
suffix = "fl4"
role_name = "lambda-reconciler"

[[targets]]
account = "{THIRD}"
region = "eu-west-1"
suffix = "fl5"
role_arn = "arn:aws:iam::{THIRD}:role/ops/lambda-reconciler"
external_id = "env:FLEET_EXTERNAL_ID"
"""
WHERE = {
    "fl1": (HOME, "us-east-1"),
    "fl2": (HOME, "us-east-1"),
    "fl3": (HOME, "eu-west-1"),
    "fl4": (SPOKE, "us-east-1"),
    "fl5": (THIRD, "eu-west-1"),
}


def _trust(external_id: str | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{HOME}:root"},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


# The roles each spoke account has, trusting the hub (the caller's account).
ROLES: dict[str, list[tuple[str, str, str | None]]] = {
    SPOKE: [("/", "lambda-reconciler", None), ("/", "test-reader", None)],
    THIRD: [("/ops/", "lambda-reconciler", EXTERNAL_ID), ("/", "test-reader", None)],
}


@pytest.fixture(scope="module", autouse=True)
def spoke_roles(local_aws: LocalAws) -> None:
    for account, roles in ROLES.items():
        iam = local_aws.client("iam")
        # The local AWS files a call under the account this header names (moto's own way).
        iam.meta.events.register(
            "before-sign.iam.*",
            lambda request, account=account, **_: request.headers.__setitem__(
                "x-moto-account-id", account
            ),
        )
        existing = {r["RoleName"] for r in iam.list_roles()["Roles"]}
        for path, name, external_id in roles:
            if name not in existing:
                iam.create_role(
                    Path=path, RoleName=name, AssumeRolePolicyDocument=_trust(external_id)
                )


class Account:
    """The tests' own view of one account and region of the local AWS."""

    def __init__(self, aws: LocalAws, account: str, region: str) -> None:
        self.url, self.region = aws.url, region
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if account != HOME:
            sts = aws.client("sts")
            role = f"arn:aws:iam::{account}:role/test-reader"
            got = sts.assume_role(RoleArn=role, RoleSessionName="fleet-tests")["Credentials"]
            keys = {
                "aws_access_key_id": got["AccessKeyId"],
                "aws_secret_access_key": got["SecretAccessKey"],
                "aws_session_token": got["SessionToken"],
            }
        self.keys = keys

    def client(self, service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service, endpoint_url=self.url, region_name=self.region, config=BYSTANDER, **self.keys
        )


def _schema(name: str) -> Any:
    return json.loads((ROOT / "docs" / name).read_text())


# The fleet document's schema refers to the one-run report's, which each target carries.
SCHEMAS = Registry().with_resources(
    (s["$id"], Resource.from_contents(s))
    for s in (_schema("report.schema.json"), _schema("fleet-report.schema.json"))
)
FLEET_SCHEMA = jsonschema.Draft202012Validator(
    _schema("fleet-report.schema.json"), registry=SCHEMAS
)


def _fleet(aws: LocalAws, path: Path, *args: str, **env: str) -> Any:
    result = reconcile(aws, *args, "--fleet", str(path), "--output", "json", **env)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    errors = sorted(FLEET_SCHEMA.iter_errors(report), key=str)
    assert errors == [], errors[0].message
    return result.code, report


@pytest.fixture
def fleet_file(local_aws: LocalAws, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "fleet.toml"
    path.write_text(FLEET)
    yield path
    for suffix, (account, region) in WHERE.items():
        view = Account(local_aws, account, region)
        keys = view.keys
        creds = {
            "AWS_ACCESS_KEY_ID": keys["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": keys.get("aws_session_token", ""),
        }
        if account == HOME:
            creds = {}
        gone = reconcile(
            local_aws, "destroy", "--suffix", suffix, "--yes", "--region", region, **creds
        )
        assert gone.code == 0, gone.stdout + gone.stderr


def _functions(view: Account) -> set[str]:
    return {f["FunctionName"] for f in view.client("lambda").list_functions()["Functions"]}


def test_a_fleet_applies_every_target_in_its_own_account_and_region(
    local_aws: LocalAws, fleet_file: Path
) -> None:
    code, report = _fleet(local_aws, fleet_file, "apply", FLEET_EXTERNAL_ID=EXTERNAL_ID)
    assert code == 0 and report["exit_code"] == 0, report
    assert [(t["account"], t["region"], t["suffix"]) for t in report["targets"]] == [
        (a, r, s) for s, (a, r) in WHERE.items()
    ]
    places = {place: Account(local_aws, *place) for place in set(WHERE.values())}
    for (account, region), view in places.items():
        here = {s for s, where in WHERE.items() if where == (account, region)}
        found = {name.rsplit("-", 1)[1] for name in _functions(view) if "-fl" in name}
        assert found == here, (account, region, found)
    assert {"lambda-function-fl1", "api-handler-fl1"} <= _functions(places[(HOME, "us-east-1")])
    assert "lambda-function-fl3" in _functions(places[(HOME, "eu-west-1")])
    # Converged: every target in sync with no write.
    code, report = _fleet(local_aws, fleet_file, "plan", FLEET_EXTERNAL_ID=EXTERNAL_ID)
    assert code == 0, report
    assert all(t["report"]["api_calls"]["writes"] == 0 for t in report["targets"])
    _listed_once_per_account_region(report)
    # Drift in one target of a spoke account: found there only, fixed there only.
    spoke = places[(SPOKE, "us-east-1")]
    spoke.client("lambda").update_function_configuration(
        FunctionName="api-handler-fl4", MemorySize=256
    )
    code, report = _fleet(local_aws, fleet_file, "plan", FLEET_EXTERNAL_ID=EXTERNAL_ID)
    assert code == 2
    assert [t["suffix"] for t in report["targets"] if t["exit_code"] == 2] == ["fl4"]
    code, report = _fleet(local_aws, fleet_file, "apply", FLEET_EXTERNAL_ID=EXTERNAL_ID)
    assert code == 0
    writes = {t["suffix"]: t["report"]["api_calls"]["writes"] for t in report["targets"]}
    assert writes["fl4"] > 0 and all(n == 0 for s, n in writes.items() if s != "fl4"), writes
    config = spoke.client("lambda").get_function_configuration(FunctionName="api-handler-fl4")
    assert config["MemorySize"] == 512
    assert names_ending(local_aws, "-fl4") == set()  # nothing of it in the caller's account


def _listed_once_per_account_region(report: Any) -> None:
    """The targets of one account-region share each listing: one call for the group."""
    for place in set(WHERE.values()):
        targets = [t for t in report["targets"] if (t["account"], t["region"]) == place]
        for operation in LISTINGS:
            calls = sum(t["report"]["api_calls"]["by_operation"].get(operation, 0) for t in targets)
            assert calls == 1, (place, operation, calls)


def _shards(aws: LocalAws, path: Path, command: str, *counts: int) -> list[Any]:
    """Processes of Indexed Jobs of these sizes, all at once, as Kubernetes starts them
    (two sizes together: a rollout where the old Job's pods still run); their reports."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "reconciler", command, "--fleet", str(path), "--output", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=aws.env(
                JOB_COMPLETION_INDEX=str(index),
                RECONCILE_SHARD_COUNT=str(count),
                FLEET_EXTERNAL_ID=EXTERNAL_ID,
            ),
        )
        for count in counts
        for index in range(count)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and "Traceback" not in err, err
        report = json.loads(out)
        assert FLEET_SCHEMA.is_valid(report)
        reports.append(report)
    return reports


def _covered(reports: list[Any]) -> list[str]:
    return sorted(t["suffix"] for r in reports for t in r["targets"])


def test_shards_of_an_indexed_job_cover_every_target_once(
    local_aws: LocalAws, fleet_file: Path
) -> None:
    first = _shards(local_aws, fleet_file, "apply", 2)
    assert [r["shard"] for r in first] == [{"index": 0, "count": 2}, {"index": 1, "count": 2}]
    assert _covered(first) == sorted(WHERE)
    # Drift in every target, then a rollout from 2 shards to 3: both Jobs' pods at once.
    for suffix, (account, region) in WHERE.items():
        name = f"lambda-function-{suffix}" if suffix == "fl3" else f"api-handler-{suffix}"
        lam = Account(local_aws, account, region).client("lambda")
        lam.update_function_configuration(FunctionName=name, Timeout=77)
    rollout = _shards(local_aws, fleet_file, "apply", 2, 3)
    old, new = rollout[:2], rollout[2:]
    assert _covered(old) == _covered(new) == sorted(WHERE)  # each target once per Job
    # A suffix both Jobs hold was written by one of them only: its lease let one in, and
    # the other, reading again under it, found nothing left to do.
    for suffix in WHERE:
        updates = [
            t["report"]["api_calls"]["by_operation"].get("lambda:UpdateFunctionConfiguration", 0)
            for r in old + new
            for t in r["targets"]
            if t["suffix"] == suffix
        ]
        assert sorted(updates) == [0, 1], (suffix, updates)
    code, report = _fleet(local_aws, fleet_file, "plan", FLEET_EXTERNAL_ID=EXTERNAL_ID)
    assert code == 0, report


def test_one_target_failing_never_stops_the_others(local_aws: LocalAws, tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(
        f'[defaults]\nstacks = ["etl"]\n'
        f'[[targets]]\naccount = "{THIRD}"\nregion = "us-east-1"\nsuffix = "flx"\n'
        f'[[targets]]\naccount = "{SPOKE}"\nregion = "us-east-1"\nsuffix = "fly"\n'
        f'role_name = "r"\nexternal_id = "env:FLEET_UNSET_ID"\n'
        f'[[targets]]\naccount = "{SPOKE}"\nregion = "us-east-1"\nsuffix = "flw"\n'
        f'role_name = "absent"\n'
        f'[[targets]]\naccount = "{THIRD}"\nregion = "eu-west-1"\nsuffix = "flv"\n'
        f'role_arn = "arn:aws:iam::{THIRD}:role/ops/lambda-reconciler"\n'
        f'external_id = "env:FLEET_WRONG_ID"\n'
        f'[[targets]]\naccount = "{HOME}"\nregion = "us-east-1"\nsuffix = "flz"\n'
        f'[[targets]]\naccount = "{SPOKE}"\nregion = "eu-west-1"\nsuffix = "flt"\n'
        f'role_name = "lambda-reconciler"\n'
    )
    local_aws.control.reset_calls()
    # A throttle storm in one account: every Lambda call made there is refused.
    storm = FaultRule("lambda", "*", "TooManyRequestsException", 429, 10_000, account=SPOKE)
    local_aws.control.add_fault(storm)
    try:
        code, report = _fleet(local_aws, path, "apply", FLEET_WRONG_ID="not-the-one")
    finally:
        local_aws.control.clear_faults()
    assert code == 1 and report["exit_code"] == 1
    by_suffix = {t["suffix"]: t for t in report["targets"]}
    # No role, and the credentials act in another account: refused before any write.
    assert by_suffix["flx"]["exit_code"] == 1
    assert f"not in the allowed accounts ({THIRD})" in by_suffix["flx"]["error"]
    assert by_suffix["fly"]["exit_code"] == 1
    assert "$FLEET_UNSET_ID is not set" in by_suffix["fly"]["error"]
    # A role that is not there, and a trust whose ExternalId is another: AWS's AccessDenied.
    assert by_suffix["flw"]["error"] == (
        f"cannot assume arn:aws:iam::{SPOKE}:role/absent: AccessDenied"
    )
    assert by_suffix["flv"]["error"].endswith("/ops/lambda-reconciler: AccessDenied")
    assert "not-the-one" not in json.dumps(report)
    assert by_suffix["flz"]["exit_code"] == 0 and by_suffix["flz"]["report"]["applied"] > 0
    # The throttled target fails with AWS's reason after botocore's retries; nothing written.
    assert by_suffix["flt"]["exit_code"] == 1
    assert "TooManyRequestsException" in by_suffix["flt"]["error"], by_suffix["flt"]
    assert _functions(Account(local_aws, SPOKE, "eu-west-1")) == set()
    assert reconcile(local_aws, "destroy", "--suffix", "flz", "--yes").code == 0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[targets]]\naccount = "1"\nregion = "us-east-1"\nsuffix = "a"\n', "12-digit"),
        (f'[[targets]]\naccount = "{HOME}"\nregion = "mars-1"\nsuffix = "a"\n', "mars-1"),
        (f'[[targets]]\naccount = "{HOME}"\nregion = "us-east-1"\nsuffix = "A_"\n', "invalid"),
        ("[defaults]\n", "declares no [[targets]]"),
    ],
)
def test_a_bad_fleet_file_is_one_line_exit_1_and_no_aws_call(
    local_aws: LocalAws, tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(text)
    local_aws.control.reset_calls()
    result = reconcile(local_aws, "apply", "--fleet", str(path))
    assert result.code == 1 and says in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert local_aws.control.calls() == []


def test_per_target_flags_beside_a_fleet_are_refused(local_aws: LocalAws, tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(FLEET)
    for flag in (("--suffix", "a"), ("--region", "us-east-1"), ("--stack", "etl")):
        result = reconcile(local_aws, "plan", "--fleet", str(path), *flag)
        assert result.code == 1 and f"drop {flag[0]}" in result.stderr, result.stderr


def test_a_bad_shard_is_one_line_exit_1_and_no_aws_call(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(FLEET)
    local_aws.control.reset_calls()
    for args, env, says in (
        (("--shard", "2/2"), {}, "shard 2 does not exist among 2"),
        (("--shard", "half"), {}, "expected I/N"),
        ((), {"JOB_COMPLETION_INDEX": "1"}, "RECONCILE_SHARD_COUNT is not set"),
    ):
        result = reconcile(local_aws, "apply", "--fleet", str(path), *args, **env)
        assert result.code == 1 and says in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert local_aws.control.calls() == []


def test_the_printed_trust_policy_lets_the_hub_in_and_no_one_else(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(
        f'[[targets]]\naccount = "{SPOKE}"\nregion = "us-east-1"\nsuffix = "flp"\n'
        f'stacks = ["transactions"]\nrole_name = "printed"\n'
        f'external_id = "env:FLEET_EXTERNAL_ID"\n'
    )
    iam = Account(local_aws, SPOKE, "us-east-1").client("iam")
    for hub, allowed in ((THIRD, False), (HOME, True)):
        printed = reconcile(local_aws, "policy", "--fleet", str(path), "--hub", hub)
        assert printed.code == 0, printed.stderr
        (role,) = json.loads(printed.stdout)["roles"]
        trust = json.dumps(role["trust_policy"]).replace(
            "<the value of env:FLEET_EXTERNAL_ID>", EXTERNAL_ID
        )
        assert EXTERNAL_ID not in printed.stdout
        iam.create_role(RoleName="printed", AssumeRolePolicyDocument=trust)
        try:
            code, report = _fleet(local_aws, path, "plan", FLEET_EXTERNAL_ID=EXTERNAL_ID)
        finally:
            iam.delete_role(RoleName="printed")
        (target,) = report["targets"]
        if allowed:  # in, with nothing yet created: drift
            assert code == 2 and target["error"] is None, target
        else:
            assert code == 1 and target["error"].endswith(":role/printed: AccessDenied")


def _samples(port: int, name: str) -> dict[str, float]:
    """A metric's samples by suffix label."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        sample.labels["suffix"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def _healthz(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_watch_fleet_counts_each_target_and_is_unhealthy_when_one_keeps_failing(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(
        f'[defaults]\nstacks = ["transactions"]\n'
        f'[[targets]]\naccount = "{HOME}"\nregion = "us-east-1"\nsuffix = "flwa"\n'
        f'[[targets]]\naccount = "{SPOKE}"\nregion = "us-east-1"\nsuffix = "flwb"\n'
        # Its own stack: one environment variable for two accounts is refused (secrets).
        f'role_name = "absent"\nstacks = ["etl"]\n'
    )
    port = free_port()
    watcher = subprocess.Popen(
        [
            *(sys.executable, "-m", "reconciler", "watch", "--fleet", str(path)),
            *("--interval", "0.5", "--unhealthy-after", "2", "--metrics-port", str(port)),
        ],
        env=local_aws.env(),
        cwd=ROOT,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while _samples_or_empty(port, "reconcile_target_cycles_total").get("flwa", 0) < 3:
            assert watcher.poll() is None and time.monotonic() < deadline
            time.sleep(0.3)
        failures = _samples(port, "reconcile_target_failures_total")
        assert failures["flwa"] == 0 and failures["flwb"] >= 2, failures
        assert _samples(port, "reconcile_target_consecutive_failures")["flwa"] == 0
        status, body = _healthz(port)
        assert status == 503 and f"{SPOKE}/us-east-1/flwb" in body and "flwa" not in body, body
        # The good target converged on the first cycle and changed nothing after.
        assert local_aws.client("lambda").get_function(FunctionName="lambda-function-flwa")
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, stderr = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, stderr
    assert '"event": "fleet.cycle"' in stderr and "AccessDenied" in stderr
    once = reconcile(local_aws, "watch", "--once", "--fleet", str(path))
    assert once.code == 1, once.stderr  # the worst target's
    assert reconcile(local_aws, "destroy", "--suffix", "flwa", "--yes").code == 0


def _samples_or_empty(port: int, name: str) -> dict[str, float]:
    try:
        return _samples(port, name)
    except OSError:
        return {}


VAULT = """
[stack]
name = "vault"

[tags]
Team = "payments"

# Its targets are a PR environment and production: both declared.
[environments.dev]
[environments.prod]

[functions.reader]
name = "vault-reader-{suffix}"
source = "reader"
handler = "index.handler"
runtime = "nodejs24.x"
architecture = "arm64"
memory_mb = 128
timeout_s = 5
tracing = "PassThrough"

[functions.reader.role]
name = "vault-reader-role-{suffix}"

[functions.reader.secrets]
DATABASE_URL = "ssm:/vault/database-url"
API_KEY = "env:VAULT_API_KEY_{suffix}"
"""
VAULT_TARGETS = f"""
[[targets]]
account = "{HOME}"
region = "us-east-1"
suffix = "vs1"

[[targets]]
account = "{SPOKE}"
region = "us-east-1"
suffix = "vs2"
env = "prod"
role_name = "lambda-reconciler"
"""
# What each account keeps in SSM and each target's own variable: none may reach another.
VAULT_VALUES = {
    "vs1": (HOME, "postgres://pr:pr-Pw-11@pr-db/ledger", "key-pr-1a2b3c"),
    "vs2": (SPOKE, "postgres://prod:Prod-Pw-22@prod-db/ledger", "key-prod-4d5e6f"),
}


def _vault(tmp_path: Path, api_key: str = "env:VAULT_API_KEY_{suffix}") -> Path:
    folder = tmp_path / "vault"
    (folder / "reader").mkdir(parents=True)
    (folder / "reader" / "index.mjs").write_text("export const handler = async () => ({});\n")
    (folder / "vault.toml").write_text(
        VAULT.replace('"env:VAULT_API_KEY_{suffix}"', f'"{api_key}"')
    )
    (tmp_path / "fleet.toml").write_text(VAULT_TARGETS)
    return folder


def test_each_target_gets_its_own_secrets_read_in_its_own_account(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    folder = _vault(tmp_path)
    for _, (account, url, _) in VAULT_VALUES.items():
        ssm = Account(local_aws, account, "us-east-1").client("ssm")
        ssm.put_parameter(
            Name="/vault/database-url", Value=url, Type="SecureString", Overwrite=True
        )
    keys = {f"VAULT_API_KEY_{s}": key for s, (_, _, key) in VAULT_VALUES.items()}
    path = tmp_path / "fleet.toml"
    result = reconcile(
        local_aws, "apply", "--fleet", str(path), "--desired-dir", str(folder), **keys
    )
    assert result.code == 0, result.stdout + result.stderr
    for secret in (v for values in VAULT_VALUES.values() for v in values[1:]):
        assert secret not in result.stdout and secret not in result.stderr
    try:
        for suffix, (account, url, key) in VAULT_VALUES.items():
            lam = Account(local_aws, account, "us-east-1").client("lambda")
            config = lam.get_function_configuration(FunctionName=f"vault-reader-{suffix}")
            assert config["Environment"]["Variables"] == {"DATABASE_URL": url, "API_KEY": key}
    finally:
        for suffix, (account, _, _) in VAULT_VALUES.items():
            keys_of = Account(local_aws, account, "us-east-1").keys
            creds = (
                {}
                if account == HOME
                else {
                    "AWS_ACCESS_KEY_ID": keys_of["aws_access_key_id"],
                    "AWS_SECRET_ACCESS_KEY": keys_of["aws_secret_access_key"],
                    "AWS_SESSION_TOKEN": keys_of.get("aws_session_token", ""),
                }
            )
            gone = reconcile(
                local_aws,
                "destroy",
                "--suffix",
                suffix,
                "--yes",
                "--desired-dir",
                str(folder),
                **creds,
            )
            assert gone.code == 0, gone.stdout + gone.stderr


def test_one_variable_for_a_pr_and_production_is_refused_before_any_call(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    folder = _vault(tmp_path, api_key="env:VAULT_API_KEY")
    local_aws.control.reset_calls()
    path = tmp_path / "fleet.toml"
    result = reconcile(local_aws, "plan", "--fleet", str(path), "--desired-dir", str(folder))
    assert result.code == 1
    assert result.stderr.strip().splitlines() == [
        "error: fleet.toml: secret env:VAULT_API_KEY would give one value to targets of "
        f"different accounts or environments ({HOME}/us-east-1/vs1 (dev), "
        f"{SPOKE}/us-east-1/vs2 (prod)); template it (env:VAULT_API_KEY_{{suffix}}, {{env}}, "
        "{account}) or list it in shared_secrets"
    ]
    assert local_aws.control.calls() == []
