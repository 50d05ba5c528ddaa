"""The shipped transactions stack, loaded and expanded: every value REQUIREMENTS names."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.compat import checked_packages
from reconciler.desired.load import load_stack
from reconciler.desired.model import SecretRef
from reconciler.desired.names import longest_suffix
from reconciler.expand import Target, expand, name_checks
from reconciler.expand.resources import Resource

SHIPPED = Path(__file__).parents[2] / "desired_state" / "transactions.toml"
SPEC = load_stack(SHIPPED)
SECRETS = {
    ("transactions", "processor", "DATABASE_URL"): "postgres://u:pw-123@db/x",
    ("transactions", "processor", "API_KEY"): "key-abc",
}
RESOURCES = expand(
    SPEC, Target("pr42", "123456789012", "us-east-1"), SECRETS, checked_packages(SPEC)
)


def of_kind(kind: str) -> Resource:
    return next(r for r in RESOURCES if r.id.kind == kind)


def test_the_shipped_file_carries_every_required_value() -> None:
    (fn,) = SPEC.functions
    assert SPEC.name == "transactions" and SPEC.region == "us-east-1"
    assert dict(SPEC.tags) == {
        "Environment": "production",
        "Team": "payments",
        "CostCenter": "fintech",
    }
    assert fn.name == "lambda-function-{suffix}"
    assert (fn.runtime, fn.architecture) == ("nodejs24.x", "arm64")
    assert (fn.memory_mb, fn.timeout_s, fn.tracing) == (1024, 30, "Active")
    assert (fn.reserved_concurrency, fn.log_retention_days, fn.kms_key_arn) == (100, 7, "")
    assert fn.alias is not None and fn.alias.provisioned_concurrency == 5
    (access,) = fn.role.dynamodb
    assert access.table == "ledger" and "dynamodb:PutItem" in access.actions
    assert dict(fn.secrets) == {
        "DATABASE_URL": SecretRef("env", "TRANSACTIONS_DATABASE_URL"),
        "API_KEY": SecretRef("env", "TRANSACTIONS_API_KEY"),
    }
    assert SPEC.tables[0].billing_mode == "PAY_PER_REQUEST"


def test_the_stack_expands_to_every_resource_the_requirements_name() -> None:
    assert sorted(str(r.id) for r in RESOURCES) == [
        "cloudwatch.dashboard transactions-pr42",
        "dynamodb.table transactions-pr42",
        "iam.role lambda-function-role-pr42",
        "lambda.alias lambda-function-pr42:live",
        "lambda.function lambda-function-pr42",
        "lambda.provisioned_concurrency lambda-function-pr42:live",
        "logs.log_group /aws/lambda/lambda-function-pr42",
        "xray.group transactions-pr42",
    ]


def test_every_taggable_resource_carries_the_payments_tags_and_ownership() -> None:
    for resource in RESOURCES:
        if "tags" in resource.fields:
            assert resource.fields["tags"] == {
                "Environment": "production",
                "Team": "payments",
                "CostCenter": "fintech",
                "ManagedBy": "lambda-reconciler",
                "EnvironmentSuffix": "pr42",
                "Stack": "transactions",
            }


def test_the_role_is_scoped_to_the_table_its_indexes_and_its_own_log_group() -> None:
    (policy,) = of_kind("iam.role").fields["inline_policies"].values()
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/transactions-pr42"
    assert by_sid["TableLedger"]["Resource"] == [table, f"{table}/index/*"]
    assert all(a.startswith("dynamodb:") and "*" not in a for a in by_sid["TableLedger"]["Action"])
    assert by_sid["OwnLogGroup"]["Resource"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/lambda-function-pr42:*"
    )
    assert by_sid["OwnLogGroup"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert "logs:CreateLogGroup" not in str(policy)


def test_the_dashboard_shows_every_performance_metric_finance_asked_for() -> None:
    widgets = of_kind("cloudwatch.dashboard").fields["body"]["widgets"]
    titles = {w["properties"]["title"] for w in widgets}
    assert titles == {
        "Invocations",
        "Errors",
        "Throttles",
        "Duration",
        "ConcurrentExecutions",
        "ProvisionedConcurrentExecutions",
        "ProvisionedConcurrencyInvocations",
        "ProvisionedConcurrencyUtilization",
        "ProvisionedConcurrencySpilloverInvocations",
    }


def test_the_xray_group_decides_the_longest_suffix() -> None:
    # "transactions-{suffix}" must fit X-Ray's 32 characters: 32 - 13 = 19.
    assert longest_suffix(name_checks(SPEC)) == 19


def test_prod_releases_by_canary_rolled_back_by_the_errors_alarm_and_dev_at_once() -> None:
    (prod,) = load_stack(SHIPPED, "prod").functions
    assert prod.alias is not None and prod.critical
    rollout = prod.alias.rollout
    assert (rollout.strategy, rollout.percent, rollout.interval_s) == ("canary", 10, 300)
    assert rollout.alarms == ("errors",) and rollout.weights == (10,)
    (dev,) = SPEC.functions
    assert dev.alias is not None and not dev.alias.rollout.stepped and not dev.critical
    target = Target("pr42", "123456789012", "us-east-1")
    spec = load_stack(SHIPPED, "prod")
    built = expand(spec, target, SECRETS, checked_packages(spec))
    [alarm] = [r for r in built if r.id.kind == "cloudwatch.alarm"]
    assert alarm.id.name == "lambda-function-errors-pr42"
    assert alarm.fields["dimensions"] == {"FunctionName": "lambda-function-pr42"}
    [alias] = [r for r in built if r.id.kind == "lambda.alias"]
    assert alias.payload["release"].alarms == ("lambda-function-errors-pr42",)
    assert alarm.id in alias.depends_on
