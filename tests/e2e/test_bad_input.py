"""Bad input: one clear line naming the problem, exit 1, no traceback, and no AWS write."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.sandbox.control.faults import FaultRule
from tests.e2e.helpers import ROOT, LocalAws, reconcile


@dataclass(frozen=True)
class Case:
    id: str
    message: str
    args: tuple[str, ...] = ()
    edit: tuple[str, str, str] | None = None  # (stack file, old text, new text)
    env: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    knobs: dict[str, object] = field(default_factory=dict)
    fault: FaultRule | None = None
    stack: str = "transactions"


T, E = "transactions.toml", "etl.toml"
CASES = [
    # the desired state
    Case("broken TOML", "transactions.toml: not valid TOML", edit=(T, "[stack]", "[stack")),
    Case("unknown key", "functions.processor.speed: unknown key",
         edit=(T, "timeout_s = 30", "timeout_s = 30\nspeed = 9")),
    Case("wrong type", "timeout_s: expected an integer, got '30'",
         edit=(T, "timeout_s = 30", 'timeout_s = "30"')),
    Case("boolean for a number", "memory_mb: expected an integer, got True",
         edit=(T, "memory_mb = 1024", "memory_mb = true")),
    Case("memory above Lambda's range", "memory_mb: 20480 is out of Lambda memory (MB)'s range",
         edit=(T, "memory_mb = 1024", "memory_mb = 20480")),
    Case("memory below Lambda's range", "memory_mb: 64 is out of Lambda memory (MB)'s range",
         edit=(T, "memory_mb = 1024", "memory_mb = 64")),
    Case("timeout above 15 minutes", "timeout_s: 901 is out of Lambda timeout (s)'s range",
         edit=(T, "timeout_s = 30", "timeout_s = 901")),
    Case("retention AWS does not allow", "8 is not a log retention in days AWS allows",
         edit=(T, "log_retention_days = 7", "log_retention_days = 8")),
    Case("unknown runtime", "runtime 'nodejs99.x' is not known",
         edit=(T, 'runtime = "nodejs24.x"', 'runtime = "nodejs99.x"')),
    Case("runtime past its block date", "AWS blocks creating nodejs20.x functions since 2026-08-31",
         edit=(T, 'runtime = "nodejs24.x"', 'runtime = "nodejs20.x"')),
    Case("unknown architecture", "'sparc' is not a architecture AWS allows",
         edit=(T, 'architecture = "arm64"', 'architecture = "sparc"')),
    Case("negative reserved concurrency", "reserved_concurrency: -1 is out of",
         edit=(T, "reserved_concurrency = 100", "reserved_concurrency = -1")),
    Case("provisioned above reserved", "provisioned_concurrency: 500 is above reserved_concurrency",
         edit=(T, "provisioned_concurrency = 5", "provisioned_concurrency = 500")),
    Case("smoke file missing", "gone.smoke.json does not exist",
         edit=(T, 'smoke = "live.smoke.json"', 'smoke = "gone.smoke.json"')),
    Case("smoke file not JSON", "live.smoke.json is not readable JSON",
         edit=("handlers/transactions/live.smoke.json", "", "not json")),
    Case("smoke file without an event", 'must be an object with "event"',
         edit=("handlers/transactions/live.smoke.json", '"event"', '"evnt"')),
    Case("wildcard action", "'dynamodb:*' is not an exact DynamoDB action",
         edit=(T, '"dynamodb:Query",', '"dynamodb:*",')),
    Case("customer key not an ARN", "'my-key' is not a KMS key ARN",
         edit=(T, 'kms_key_arn = ""', 'kms_key_arn = "my-key"')),
    Case("missing required key", "functions.processor.handler: required key is missing",
         edit=(T, 'handler = "index.handler"\n', "")),
    Case("secret as a literal", "secrets.API_KEY: a secret must name its source",
         edit=(T, '"env:TRANSACTIONS_API_KEY"', '"sk_live_abc123"')),
    Case("credential in plain environment", "environment.STRIPE_TOKEN: looks like a secret",
         edit=(T, 'TABLE_NAME = "{tables.ledger}"', 'TABLE_NAME = "x"\nSTRIPE_TOKEN = "tok"')),
    Case("Lambda-reserved variable", "environment.AWS_REGION: Lambda reserves",
         edit=(T, 'TABLE_NAME = "{tables.ledger}"', 'AWS_REGION = "us-east-1"')),
    Case("unknown placeholder", "environment.TABLE_NAME: unknown placeholder {tables.nope}",
         edit=(T, 'TABLE_NAME = "{tables.ledger}"', 'TABLE_NAME = "{tables.nope}"')),
    Case("name without the suffix", "name 'lambda-function' must end with '-{suffix}'",
         edit=(T, 'name = "lambda-function-{suffix}"', 'name = "lambda-function"')),
    Case("ignore entry of no kind", "ignore: 'lambda.fn:tags.Owner' is not `kind:field`",
         edit=(T, "[stack]", 'ignore = ["lambda.fn:tags.Owner"]\n[stack]')),
    Case("code importing aws-sdk v2", "index.mjs:1 imports the v2 'aws-sdk'",
         edit=("handlers/transactions/index.mjs", "", 'import AWS from "aws-sdk";\n')),
    Case("ETL retries out of range", "async.max_retry_attempts: 3 is out of",
         edit=(E, "max_retry_attempts = 2", "max_retry_attempts = 3"), stack="etl"),
    Case("ETL DLQ retention too long", "retention_s: 2000000 is out of SQS message retention",
         edit=(E, "retention_s = 1209600", "retention_s = 2000000"), stack="etl"),
    Case("ETL alarm period", "90 is not a period AWS allows",
         edit=(E, "period_s = 300", "period_s = 90"), stack="etl"),
    Case("ETL unknown layer", "functions.api.layers: no 'sharred' in [layers]",
         edit=(E, 'layers = ["shared"]', 'layers = ["sharred"]'), stack="etl"),
    # the command line
    Case("bad suffix", "suffix 'PR_42' is invalid", args=("--suffix", "PR_42")),
    Case("suffix with a trailing hyphen", "no trailing or doubled hyphens",
         args=("--suffix", "pr-")),
    Case("too long suffix", "X-Ray group name 'transactions-aaaaaaaaaaaaaaaaaaaaaaaaa'",
         args=("--suffix", "a" * 25)),
    Case("unknown stack", "unknown stack 'billing' (known: etl, transactions)",
         args=("--stack", "billing")),
    Case("unknown environment", "environments: no environment 'staging' (known: dev, prod)",
         args=("--env", "staging"), stack="etl"),
    Case("environment name of the wrong shape", "argument --env: 'st ag' is not an environment",
         args=("--env", "st ag")),
    Case("a destroy flag given to apply",
         "`reconcile apply` takes no --dry-run (a flag of destroy and release)",
         args=("--dry-run",)),
    Case("a watch flag given to plan", "`reconcile plan` takes no --once (a flag of watch)",
         args=("plan", "--once")),
    Case("adopt on destroy", "`reconcile destroy` takes no --adopt (a flag of apply and plan)",
         args=("destroy", "--adopt")),
    Case("unknown command", "no command 'deploy'; did you mean 'destroy'?", args=("deploy",)),
    Case("zero workers", "must be a whole number above 0", args=("--max-workers", "0")),
    Case("negative lock wait", "'-1' must be 0 or more", args=("--lock-wait", "-1")),
    Case("unknown output", "argument --output: invalid choice: 'xml'", args=("--output", "xml")),
    Case("account id of the wrong shape", "'12345' is not a 12-digit AWS account id",
         args=("--account", "12345")),
    Case("watch interval of zero", "argument --interval: '0' must be above 0",
         args=("watch", "--interval", "0")),
    Case("watch metrics port not a number", "argument --metrics-port: 'http' must be a whole",
         args=("watch", "--metrics-port", "http")),
    Case("watch unhealthy-after of zero", "argument --unhealthy-after: '0' must be a whole",
         args=("watch", "--unhealthy-after", "0")),
    Case("watch stale-after negative", "argument --stale-after: '-5' must be above 0",
         args=("watch", "--stale-after", "-5")),
    Case("unknown region", "region 'moon-1' is not a region AWS Lambda serves",
         args=("--region", "moon-1")),
    Case("rate limit without a rate", "argument --rate-limit: 'lambda' is not SERVICE=N",
         args=("--rate-limit", "lambda")),
    Case("negative rate limit", "argument --rate-limit: '-1' must be 0 or more",
         args=("--rate-limit", "lambda=-1")),
    Case("plan saved into a missing folder", "--out /nonexistent/plan.json: no folder",
         args=("plan", "--out", "/nonexistent/plan.json")),
    Case("plan saved over a folder", "--out /tmp: is a folder, not a file",
         args=("plan", "--out", "/tmp")),
    Case("policy for two accounts", "policy takes at most one --account",
         args=("policy", "--account", "111122223333", "--account", "444455556666")),
    Case("policy for an unknown region", "region 'moon-1' is not a region AWS Lambda serves",
         args=("policy", "--region", "moon-1")),
    # the environment and the account
    Case("missing secret", "environment variable TRANSACTIONS_API_KEY is not set",
         drop=("TRANSACTIONS_API_KEY",)),
    Case("empty secret", "environment variable TRANSACTIONS_DATABASE_URL is empty",
         env={"TRANSACTIONS_DATABASE_URL": ""}),
    Case("unreachable endpoint", "cannot reach AWS at http://127.0.0.1:9",
         env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}),
    Case("no credentials", "no AWS credentials found",
         drop=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
         env={"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}),
    Case("wrong credentials", "AWS rejected the credentials (InvalidClientTokenId)",
         fault=FaultRule("sts", "GetCallerIdentity", "InvalidClientTokenId", 403, 2)),
    Case("account not allowed", "account 123456789012 is not in the allowed accounts",
         args=("--account", "999999999999")),
    # Other tests' functions may hold reservations in the shared local AWS: "unreserved" varies.
    Case("a 10-execution account",
         "the stack reserves 100 (reserved and provisioned), and AWS keeps at least 10 unreserved",
         knobs={"account_concurrency": 10}),
]  # fmt: skip


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A private copy of the desired state and code, free to break."""
    for folder in ("desired_state", "handlers", "layers"):
        shutil.copytree(ROOT / folder, tmp_path / folder, symlinks=True)
    yield tmp_path


def _run(aws: LocalAws, case: Case, workdir: Path) -> tuple[int, str, str]:
    if case.edit:
        name, old, new = case.edit
        path = workdir / ("desired_state/" + name if name.endswith(".toml") else name)
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1) if old else new + text)
    env = aws.env(**case.env)
    for key in case.drop:
        env.pop(key, None)
    args = [
        "--suffix",
        "badin",
        "--stack",
        case.stack,
        "--desired-dir",
        str(workdir / "desired_state"),
        *case.args,
    ]
    if case.args[:1] in (("deploy",),):
        args = [*case.args, *args]
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_1_and_no_write(
    local_aws: LocalAws, workdir: Path, case: Case
) -> None:
    defaults = local_aws.control.knobs()
    local_aws.control.configure(**case.knobs)
    if case.fault:
        local_aws.control.add_fault(case.fault)
    local_aws.control.reset_calls()
    try:
        code, _, stderr = _run(local_aws, case, workdir)
    finally:
        local_aws.control.clear_faults()
        local_aws.control.configure(**defaults.to_json())
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert "Traceback" not in stderr
    assert len(errors) == 1, stderr
    assert case.message in errors[0], errors[0]
    assert code == 1
    assert local_aws.control.writes() == []


def test_the_corpus_has_at_least_30_cases() -> None:
    assert len(CASES) >= 30


def test_help_lists_the_commands_and_exit_codes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "--help"], capture_output=True, text=True, check=True
    )
    assert "apply" in proc.stdout and "destroy" in proc.stdout and "unlock" in proc.stdout
    assert "exit codes" in proc.stdout


def test_a_missing_suffix_is_named_and_reconcile_suffix_supplies_it(local_aws: LocalAws) -> None:
    missing = reconcile(local_aws, "plan", "--stack", "transactions")
    assert missing.code == 1
    assert missing.stderr.strip().splitlines() == [
        "error: --suffix is required (or set RECONCILE_SUFFIX) (see reconcile plan --help)"
    ]
    from_env = reconcile(local_aws, "plan", "--stack", "transactions", RECONCILE_SUFFIX="envsfx")
    assert from_env.code == 2, from_env.stderr
    assert "plan of transactions for suffix 'envsfx' (env dev)" in from_env.stdout
