"""What the reconciler reads, as each emulator answers it: the members of every answer, to
compare our local AWS with LocalStack (test_journey.py)."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import Aws

Answers = dict[str, Any]


def read_everything(aws: Aws, suffix: str) -> Answers:
    """One answer of each read the reconciler makes of both stacks' resources."""
    return {**_lambda(aws, suffix), **_iam(aws, suffix), **_others(aws, suffix)}


def _lambda(aws: Aws, suffix: str) -> Answers:
    lam = aws.client("lambda")
    fn, etl = f"lambda-function-{suffix}", f"batch-transform-{suffix}"
    layer = f"etl-shared-{suffix}"
    versions = lam.list_layer_versions(LayerName=layer)
    return {
        "lambda:GetFunction": lam.get_function(FunctionName=fn),
        "lambda:GetFunctionConfiguration": lam.get_function_configuration(FunctionName=etl),
        "lambda:GetAlias": lam.get_alias(FunctionName=fn, Name="live"),
        "lambda:GetProvisionedConcurrencyConfig": lam.get_provisioned_concurrency_config(
            FunctionName=fn, Qualifier="live"
        ),
        "lambda:ListProvisionedConcurrencyConfigs": lam.list_provisioned_concurrency_configs(
            FunctionName=fn
        ),
        "lambda:ListVersionsByFunction": lam.list_versions_by_function(FunctionName=fn),
        "lambda:ListAliases": lam.list_aliases(FunctionName=fn),
        "lambda:GetFunctionEventInvokeConfig": lam.get_function_event_invoke_config(
            FunctionName=etl
        ),
        "lambda:ListLayerVersions": versions,
        "lambda:GetLayerVersion": lam.get_layer_version(
            LayerName=layer, VersionNumber=versions["LayerVersions"][0]["Version"]
        ),
        "lambda:ListFunctions": {
            "Functions": [
                f for f in lam.list_functions()["Functions"] if f["FunctionName"].endswith(suffix)
            ]
        },
        "lambda:GetAccountSettings": lam.get_account_settings(),
    }


def _iam(aws: Aws, suffix: str) -> Answers:
    iam = aws.client("iam")
    role = f"lambda-function-role-{suffix}"
    (policy,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    policies = [
        p for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"].endswith(suffix)
    ]
    boundary = policies[0]
    return {
        "iam:GetRole": iam.get_role(RoleName=f"api-handler-role-{suffix}"),
        "iam:GetRolePolicy": iam.get_role_policy(RoleName=role, PolicyName=policy),
        "iam:ListAttachedRolePolicies": iam.list_attached_role_policies(RoleName=role),
        "iam:ListPolicies": {"Policies": policies},
        "iam:GetPolicy": iam.get_policy(PolicyArn=boundary["Arn"]),
        "iam:GetPolicyVersion": iam.get_policy_version(
            PolicyArn=boundary["Arn"], VersionId=boundary["DefaultVersionId"]
        ),
        "iam:ListRoleTags": iam.list_role_tags(RoleName=role),
    }


def _others(aws: Aws, suffix: str) -> Answers:
    sqs, logs, cw, ddb = (aws.client(s) for s in ("sqs", "logs", "cloudwatch", "dynamodb"))
    queue = sqs.get_queue_url(QueueName=f"batch-transform-dlq-{suffix}")["QueueUrl"]
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    alarms = cw.describe_alarms()["MetricAlarms"]
    table = f"transactions-{suffix}"
    return {
        "sqs:GetQueueAttributes": sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"]),
        "sqs:ListQueueTags": sqs.list_queue_tags(QueueUrl=queue),
        "logs:DescribeLogGroups": {
            "logGroups": [g for g in groups if g["logGroupName"].endswith(suffix)]
        },
        "cloudwatch:DescribeAlarms": {
            "MetricAlarms": [a for a in alarms if a["AlarmName"].endswith(suffix)]
        },
        "cloudwatch:GetDashboard": cw.get_dashboard(DashboardName=table),
        "dynamodb:DescribeTable": ddb.describe_table(TableName=table),
        "dynamodb:DescribeContinuousBackups": ddb.describe_continuous_backups(TableName=table),
        "dynamodb:DescribeTimeToLive": ddb.describe_time_to_live(TableName=table),
    }


def members(answer: Any, path: str = "") -> set[str]:
    """Every member path of an answer (`Configuration.TracingConfig.Mode`, `Versions[].State`)."""
    if isinstance(answer, dict):
        found: set[str] = set()
        for key, value in answer.items():
            if key != "ResponseMetadata":
                found |= {path + key} | members(value, f"{path}{key}.")
        return found
    if isinstance(answer, list):
        return set().union(*(members(item, path.rstrip(".") + "[].") for item in answer))
    return set()


def differences(ours: Answers, theirs: Answers) -> dict[str, str]:
    """`operation member` -> the one emulator that answers it ("local" or "localstack")."""
    found: dict[str, str] = {}
    for operation in ours:
        mine, other = members(ours[operation]), members(theirs[operation])
        found |= {f"{operation} {m}": "local" for m in mine - other}
        found |= {f"{operation} {m}": "localstack" for m in other - mine}
    return found
