"""Every value REQUIREMENTS.md gives the two systems, read back through boto3.

Shared by the greenfield tests and the takeover tests: a system adopted in place must end up
exactly where one created from nothing does.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.helpers import SECRET_DB, SECRET_KEY, Aws

ETL_FUNCTIONS = {
    "api-handler": (512, 30),
    "batch-transform": (1024, 300),
    "batch-load": (1024, 300),
}
ETL_CRITICAL = ("batch-transform", "batch-load")
DASHBOARD_METRICS = (
    "Invocations",
    "Errors",
    "Throttles",
    "Duration",
    "ConcurrentExecutions",
    "ProvisionedConcurrencyUtilization",
    "ProvisionedConcurrencySpilloverInvocations",
)


def transactions_tags(suffix: str) -> dict[str, str]:
    return {
        "Environment": "production",
        "Team": "payments",
        "CostCenter": "fintech",
        "ManagedBy": "lambda-reconciler",
        "EnvironmentSuffix": suffix,
        "Stack": "transactions",
    }


def _tag_map(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


def declared(tags: dict[str, str]) -> dict[str, str]:
    """A resource's tags but the dated record of an adoption, which only what was taken over
    carries (checked where adoption is)."""
    return {k: v for k, v in tags.items() if k != "Adopted"}


def transactions_function(aws: Aws, suffix: str) -> None:
    name = f"lambda-function-{suffix}"
    got = aws.client("lambda").get_function(FunctionName=name)
    config = got["Configuration"]
    assert config["Runtime"] == "nodejs24.x"
    assert config["Architectures"] == ["arm64"]
    assert (config["MemorySize"], config["Timeout"]) == (1024, 30)
    assert config["TracingConfig"] == {"Mode": "Active"}
    assert "KMSKeyArn" not in config
    env = config["Environment"]["Variables"]
    assert (env["DATABASE_URL"], env["API_KEY"]) == (SECRET_DB, SECRET_KEY)
    assert env["TABLE_NAME"] == f"transactions-{suffix}"
    assert got["Concurrency"]["ReservedConcurrentExecutions"] == 100
    assert declared(got["Tags"]) == transactions_tags(suffix)
    assert config["Role"].endswith(f":role/lambda-function-role-{suffix}")


def transactions_provisioned(aws: Aws, suffix: str) -> None:
    """Five provisioned environments, ready, on the published alias `live` and nowhere else."""
    name, lam = f"lambda-function-{suffix}", aws.client("lambda")
    alias = lam.get_alias(FunctionName=name, Name="live")
    assert alias["FunctionVersion"] not in ("$LATEST", "")
    pc = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert pc["RequestedProvisionedConcurrentExecutions"] == 5
    assert pc["Status"] == "READY"
    configs = lam.list_provisioned_concurrency_configs(FunctionName=name)
    arns = [c["FunctionArn"] for c in configs["ProvisionedConcurrencyConfigs"]]
    qualifiers = [arn.rsplit(":", 1)[1] for arn in arns]
    assert qualifiers == ["live"]


def transactions_log_group(aws: Aws, suffix: str) -> None:
    logs = aws.client("logs")
    (group,) = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/lambda-function-{suffix}")[
        "logGroups"
    ]
    assert group["retentionInDays"] == 7
    arn = group["arn"].removesuffix(":*")
    assert declared(logs.list_tags_for_resource(resourceArn=arn)["tags"]) == transactions_tags(
        suffix
    )


def transactions_role(aws: Aws, suffix: str) -> None:
    """Least privilege: one inline policy naming the table and the log group, nothing managed."""
    iam, role_name = aws.client("iam"), f"lambda-function-role-{suffix}"
    role = iam.get_role(RoleName=role_name)["Role"]
    assert declared(_tag_map(role["Tags"])) == transactions_tags(suffix)
    trust = role["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    doc = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    text = json.dumps(doc)
    assert "dynamodb:*" not in text and "logs:CreateLogGroup" not in text
    resources = [s["Resource"] for s in doc["Statement"] if s["Sid"] != "XRayWrite"]
    flat = [r for item in resources for r in (item if isinstance(item, list) else [item])]
    assert all(r != "*" for r in flat)
    assert any(r.endswith(f":table/transactions-{suffix}") for r in flat)
    assert any(f"log-group:/aws/lambda/lambda-function-{suffix}:" in r for r in flat)
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []


def transactions_table_trace_and_dashboard(aws: Aws, suffix: str) -> None:
    ddb, cw = aws.client("dynamodb"), aws.client("cloudwatch")
    table = ddb.describe_table(TableName=f"transactions-{suffix}")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert not table.get("DeletionProtectionEnabled", False)
    tags = ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert declared(_tag_map(tags)) == transactions_tags(suffix)
    group = aws.client("xray").get_group(GroupName=f"transactions-{suffix}")["Group"]
    assert group["FilterExpression"] == f'service("lambda-function-{suffix}")'
    board = cw.get_dashboard(DashboardName=f"transactions-{suffix}")
    for metric in DASHBOARD_METRICS:
        assert f'"{metric}"' in board["DashboardBody"]
    tagged = cw.list_tags_for_resource(ResourceARN=board["DashboardArn"])["Tags"]
    assert _tag_map(tagged) == transactions_tags(suffix)


def transactions(aws: Aws, suffix: str) -> None:
    """The payments system, every value."""
    transactions_function(aws, suffix)
    transactions_provisioned(aws, suffix)
    transactions_log_group(aws, suffix)
    transactions_role(aws, suffix)
    transactions_table_trace_and_dashboard(aws, suffix)


def _etl_function(aws: Aws, base: str, suffix: str) -> None:
    lam, name = aws.client("lambda"), f"{base}-{suffix}"
    memory, timeout = ETL_FUNCTIONS[base]
    got: Any = lam.get_function(FunctionName=name)
    config = got["Configuration"]
    assert (config["Runtime"], config["Architectures"]) == ("nodejs24.x", ["arm64"])
    assert (config["MemorySize"], config["Timeout"]) == (memory, timeout)
    assert config["TracingConfig"] == {"Mode": "Active"}
    assert config["LoggingConfig"]["LogFormat"] == "JSON"
    assert config["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"
    assert config["DeadLetterConfig"]["TargetArn"].endswith(f":{base}-dlq-{suffix}")
    (layer,) = config["Layers"]
    assert f":layer:etl-shared-{suffix}:" in layer["Arn"]
    reserved = got.get("Concurrency", {}).get("ReservedConcurrentExecutions")
    assert reserved == (5 if base in ETL_CRITICAL else None)
    invoke = lam.get_function_event_invoke_config(FunctionName=name)
    assert (invoke["MaximumRetryAttempts"], invoke["MaximumEventAgeInSeconds"]) == (2, 3600)
    env = config["Environment"]["Variables"]
    assert env.get("MAX_CONNECTIONS") == (None if base == "batch-transform" else "10")
    assert got["Tags"]["CostCenter"] == "data-platform" and got["Tags"]["Stack"] == "etl"


def etl_functions(aws: Aws, suffix: str) -> None:
    for base in ETL_FUNCTIONS:
        _etl_function(aws, base, suffix)


def etl_logs_and_dlqs(aws: Aws, suffix: str, days: int) -> None:
    logs, sqs = aws.client("logs"), aws.client("sqs")
    for base in ETL_FUNCTIONS:
        prefix = f"/aws/lambda/{base}-{suffix}"
        (group,) = logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
        assert group["retentionInDays"] == days
        url = sqs.get_queue_url(QueueName=f"{base}-dlq-{suffix}")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["SqsManagedSseEnabled"] == "true"
        assert attrs["MessageRetentionPeriod"] == str(14 * 24 * 3600)


def etl_alarms(aws: Aws, suffix: str) -> None:
    alarms = aws.client("cloudwatch").describe_alarms(AlarmNamePrefix="batch-")["MetricAlarms"]
    ours = {a["AlarmName"]: a for a in alarms if a["AlarmName"].endswith(f"-{suffix}")}
    assert len(ours) == 6
    errors = ours[f"batch-load-errors-{suffix}"]
    metric = (errors["MetricName"], errors["Namespace"], errors["Statistic"])
    assert metric == ("Errors", "AWS/Lambda", "Sum")
    rule = (errors["Period"], errors["Threshold"], errors["ComparisonOperator"])
    assert rule == (300, 0.0, "GreaterThanThreshold")
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": f"batch-load-{suffix}"}]
    dlq = ours[f"batch-transform-dlq-messages-{suffix}"]
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": f"batch-transform-dlq-{suffix}"}]


def etl_roles(aws: Aws, suffix: str) -> None:
    """One role per function, under the stack's boundary, scoped to its own queue and logs."""
    iam = aws.client("iam")
    account = aws.client("sts").get_caller_identity()["Account"]
    boundary = f"arn:aws:iam::{account}:policy/etl-boundary-{suffix}"
    for base in ETL_FUNCTIONS:
        name = f"{base}-role-{suffix}"
        role = iam.get_role(RoleName=name)["Role"]
        assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
        (policy,) = iam.list_role_policies(RoleName=name)["PolicyNames"]
        doc = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        by_sid = {s["Sid"]: s for s in doc["Statement"]}
        assert by_sid["OwnDeadLetterQueue"]["Resource"].endswith(f":{base}-dlq-{suffix}")
        log_group = f":log-group:/aws/lambda/{base}-{suffix}:*"
        assert by_sid["OwnLogGroup"]["Resource"].endswith(log_group)
        assert "dynamodb:*" not in json.dumps(doc)


def etl(aws: Aws, suffix: str, days: int) -> None:
    """The pipeline, every value, for an environment keeping its logs `days` days."""
    etl_functions(aws, suffix)
    etl_logs_and_dlqs(aws, suffix, days)
    etl_alarms(aws, suffix)
    etl_roles(aws, suffix)
