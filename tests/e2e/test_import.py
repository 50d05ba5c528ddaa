"""`reconcile import`: a desired state and its code from what runs, and the round trip back:
`plan --adopt` on what was imported shows only the tags to add."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.sandbox import legacy
from reconciler.sandbox.legacy import LEGACY_SECRETS
from tests.e2e.helpers import LocalAws, Run, run


def import_(aws: LocalAws, folder: Path, *args: str, **env: str) -> Run:
    result = run(aws, "import", "--desired-dir", str(folder), *args, **env)
    for value in LEGACY_SECRETS.values():
        assert value not in result.stdout and value not in result.stderr
    return result


def _variables(output: str) -> dict[str, tuple[str, str]]:
    """The variables import asks for: name -> (function, environment key)."""
    found = {}
    for line in output.splitlines():
        if line.startswith("  ") and "'s " in line:
            variable, rest = line.split("  (", 1)
            function, key = rest.rstrip(")").split("'s ", 1)
            found[variable.strip()] = (function, key)
    return found


def _current_values(aws: LocalAws, wanted: dict[str, tuple[str, str]]) -> dict[str, str]:
    """What an operator exports: each value as the function has it now."""
    lam = aws.client("lambda")
    return {
        variable: lam.get_function_configuration(FunctionName=function)["Environment"]["Variables"][
            key
        ]
        for variable, (function, key) in wanted.items()
    }


def _only_tags_to_add(
    aws: LocalAws, folder: Path, stack: str, suffix: str, env: dict[str, str]
) -> None:
    plan = run(
        aws,
        "plan",
        "--adopt",
        "--desired-dir",
        str(folder),
        "--stack",
        stack,
        "--suffix",
        suffix,
        "--output",
        "json",
        **env,
    )
    assert plan.code == 2, plan.stdout + plan.stderr
    report = json.loads(plan.stdout)
    actions = report["plan"]["resources"]
    assert actions and {a["action"] for a in actions} == {"adopt"}
    changes = [c for a in actions for c in a["changes"]]
    # Tags to add, and nothing else: a tag that is there already is not a change.
    assert all(c["field"].startswith("tags.") and c["old"] is None for c in changes), changes
    assert {"tags.ManagedBy", "tags.EnvironmentSuffix", "tags.Stack"} <= {
        c["field"] for c in changes
    }


def test_the_payments_system_imports_and_plans_back_to_only_its_tags(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    legacy.transactions(local_aws, "imp")
    result = import_(
        local_aws,
        tmp_path,
        "--suffix",
        "imp",
        "--stack",
        "payments",
        "--function",
        "lambda-function-imp",
    )
    assert result.code == 0, result.stdout + result.stderr
    text = (tmp_path / "payments.toml").read_text()
    assert 'name = "lambda-function-{suffix}"' in text
    assert 'runtime = "nodejs14.x"' in text and "log_retention_days" not in text
    assert 'arn = "arn:aws:iam::123456789012:role/payments-shared-role-imp"' in text
    assert (tmp_path / "payments-code" / "lambda_function.zip").stat().st_size > 0
    wanted = _variables(result.stdout)
    assert set(wanted) == {
        "PAYMENTS_LAMBDA_FUNCTION_API_KEY",
        "PAYMENTS_LAMBDA_FUNCTION_DATABASE_URL",
        "PAYMENTS_LAMBDA_FUNCTION_PAYMENTS_API_TOKEN",
        "PAYMENTS_LAMBDA_FUNCTION_TABLE_NAME",
    }
    for value in LEGACY_SECRETS.values():
        assert value not in text
    _only_tags_to_add(local_aws, tmp_path, "payments", "imp", _current_values(local_aws, wanted))


def _import_pipeline(aws: LocalAws, folder: Path, suffix: str) -> tuple[Run, str]:
    """The legacy pipeline's three functions imported, STAGE kept as plain configuration."""
    names = [f"{base}-{suffix}" for base in ("api-handler", "batch-transform", "batch-load")]
    functions = [arg for name in names for arg in ("--function", name)]
    args = ("--suffix", suffix, "--stack", "pipeline", *functions, "--plain", "STAGE")
    result = import_(aws, folder, *args)
    assert result.code == 0, result.stdout + result.stderr
    return result, (folder / "pipeline.toml").read_text()


def test_the_pipeline_imports_with_plain_configuration_and_plans_back_to_its_tags(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    legacy.etl(local_aws, "impe")
    result, text = _import_pipeline(local_aws, tmp_path, "impe")
    assert '[functions.batch_load.environment]\nSTAGE = "legacy"' in text
    assert _variables(result.stdout) == {}
    _only_tags_to_add(local_aws, tmp_path, "pipeline", "impe", {})


def _legacy_alarm(aws: LocalAws, name: str, function: str, metric: str, period: int = 60) -> None:
    aws.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName=metric,
        Statistic="Sum",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        Period=period,
        EvaluationPeriods=2,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )


def test_the_alarms_watching_the_pipeline_come_back_as_templates_on_critical_functions(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    legacy.etl(local_aws, "impa")
    for base in ("batch-transform", "batch-load"):
        for metric in ("Errors", "Throttles"):
            name = f"{base}-{metric.lower()}-impa"
            _legacy_alarm(local_aws, name, f"{base}-impa", metric)
    _legacy_alarm(local_aws, "batch-load-slow-impa", "batch-load-impa", "Duration", period=120)
    result, text = _import_pipeline(local_aws, tmp_path, "impa")
    assert text.count("critical = true") == 2
    assert '[alarms.errors]\nname = "{function}-errors-{suffix}"\nsource = "function"' in text
    assert "[alarms.throttles]" in text and "period_s = 60" in text
    assert (
        "  note: alarm batch-load-slow-impa: not taken in: alarms.slow.period_s: 120 is not a "
        "period AWS allows (10, 30, 60, 300, 900, 3600, 21600, 86400)"
    ) in result.stdout.splitlines()
    _only_tags_to_add(local_aws, tmp_path, "pipeline", "impa", {})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--function", "nothing-here-imx"), "no function named 'nothing-here-imx'"),
        (("--tag", "team=nobody-at-all"), "no function carries the tags team=nobody-at-all"),
        (
            ("--function", "lambda-function-imx", "--plain", "API_KEY"),
            "--plain API_KEY: named like a credential, it stays a secret reference",
        ),
        (("--function", "a-imx", "--tag", "x=y"), "import takes --function NAME or --tag"),
    ],
)
def test_bad_imports_are_one_line_and_write_nothing(
    local_aws: LocalAws, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    local_aws.control.reset_calls()
    result = import_(local_aws, tmp_path, "--suffix", "imx", "--stack", "payments", *args)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.code == 1 and len(errors) == 1 and message in errors[0], result.stderr
    assert list(tmp_path.iterdir()) == [] and local_aws.control.writes() == []


def test_import_never_writes_over_a_file(local_aws: LocalAws, tmp_path: Path) -> None:
    (tmp_path / "payments.toml").write_text("# ours\n")
    result = import_(
        local_aws, tmp_path, "--suffix", "imo", "--stack", "payments", "--function", "whatever-imo"
    )
    assert result.code == 1 and "exists: import writes a new stack" in result.stderr
    assert (tmp_path / "payments.toml").read_text() == "# ours\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["payments.toml"]


def test_a_cloudformation_stacks_function_is_not_imported(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    system = legacy.transactions(local_aws, "imc")
    (name, arn) = next(iter(system.functions.items()))
    local_aws.client("lambda").tag_resource(
        Resource=arn, Tags={"aws:cloudformation:stack-name": "payments-prod"}
    )
    result = import_(
        local_aws, tmp_path, "--suffix", "imc", "--stack", "payments", "--function", name
    )
    assert result.code == 1 and "a CloudFormation stack manages it" in result.stderr
    assert list(tmp_path.iterdir()) == []
