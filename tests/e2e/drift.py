"""The drift cases: every owned field changed out of band through boto3, and the check that
`plan` reports exactly that field and `reconcile` fixes it. Shared by the drift matrix and the
run inside the reconciler's own IAM policy."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.desired.packaging import package
from tests.e2e.helpers import ROOT, LocalAws, run
from tests.fixtures.by_hand import change_alarm

S = "dm"


FN = f"lambda-function-{S}"


LOAD = f"batch-load-{S}"


API = f"api-handler-{S}"


ROLE = f"lambda-function-role-{S}"


ARN = "arn:aws:{}:us-east-1:123456789012:{}"


Mutation = Callable[[LocalAws], object]


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    name: str
    fields: tuple[str, ...]
    mutate: Mutation


def both(aws: LocalAws, *args: str) -> Any:
    return run(aws, *args, "--suffix", S, "--stack", "all", "--env", "dev")


def settle(aws: LocalAws) -> None:
    """Let out-of-band changes finish (updates, re-provisioning) before reading."""
    lam = aws.client("lambda")
    for _ in range(100):
        busy = [
            c
            for fn in (FN, LOAD, API)
            for c in [lam.get_function_configuration(FunctionName=fn)]
            if c.get("LastUpdateStatus") == "InProgress" or c.get("State") == "Pending"
        ]
        configs = lam.list_provisioned_concurrency_configs(FunctionName=FN)
        busy += [c for c in configs["ProvisionedConcurrencyConfigs"] if c["Status"] != "READY"]
        if not busy:
            return
        time.sleep(0.1)
    raise AssertionError("the local AWS did not settle")


def config(**changes: Any) -> Mutation:
    return lambda aws: aws.client("lambda").update_function_configuration(
        FunctionName=FN, **changes
    )


def load_config(**changes: Any) -> Mutation:
    return lambda aws: aws.client("lambda").update_function_configuration(
        FunctionName=LOAD, **changes
    )


def env_change(key: str, value: str) -> Mutation:
    def mutate(aws: LocalAws) -> None:
        lam = aws.client("lambda")
        env = lam.get_function_configuration(FunctionName=FN)["Environment"]["Variables"]
        lam.update_function_configuration(
            FunctionName=FN, Environment={"Variables": {**env, key: value}}
        )

    return mutate


def code(architecture: str, other_code: bool) -> Mutation:
    def mutate(aws: LocalAws) -> None:
        source = package(ROOT / "handlers" / "transactions").zip_bytes
        if other_code:
            source = package(ROOT / "handlers" / "etl" / "api-handler").zip_bytes
        aws.client("lambda").update_function_code(
            FunctionName=FN, ZipFile=source, Architectures=[architecture]
        )

    return mutate


def untag(service: str, **target: Any) -> Mutation:
    calls = {
        "lambda": lambda c: c.untag_resource(TagKeys=["Team"], **target),
        "iam-role": lambda c: c.untag_role(TagKeys=["Team"], **target),
        "iam-policy": lambda c: c.untag_policy(TagKeys=["Team"], **target),
        "logs": lambda c: c.untag_resource(tagKeys=["Team"], **target),
        "sqs": lambda c: c.untag_queue(TagKeys=["Team"], **target),
        "tagged": lambda c: c.untag_resource(TagKeys=["Team"], **target),
        "dynamodb": lambda c: c.untag_resource(TagKeys=["Team"], **target),
    }
    client = {"iam-role": "iam", "iam-policy": "iam", "tagged": target.pop("client", "")}
    return lambda aws: calls[service](aws.client(client.get(service, service)))


def alias_to_other_version(aws: LocalAws) -> None:
    """Point `live` at a version with other configuration, leaving $LATEST as desired."""
    lam = aws.client("lambda")
    lam.update_function_configuration(FunctionName=FN, MemorySize=512)
    settle(aws)
    version = lam.publish_version(FunctionName=FN)["Version"]
    lam.update_function_configuration(FunctionName=FN, MemorySize=1024)
    settle(aws)
    lam.update_alias(FunctionName=FN, Name="live", FunctionVersion=version)


def stray_provisioned_concurrency(aws: LocalAws) -> None:
    lam = aws.client("lambda")
    version = lam.publish_version(FunctionName=FN)["Version"]
    lam.put_provisioned_concurrency_config(
        FunctionName=FN, Qualifier=version, ProvisionedConcurrentExecutions=1
    )


def invoke_config(retries: int, age: int) -> Mutation:
    return lambda aws: aws.client("lambda").put_function_event_invoke_config(
        FunctionName=API, MaximumRetryAttempts=retries, MaximumEventAgeInSeconds=age
    )


WIDE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def role_policy(name: str) -> Mutation:
    return lambda aws: aws.client("iam").put_role_policy(
        RoleName=ROLE, PolicyName=name, PolicyDocument=json.dumps(WIDE)
    )


def attach_managed(aws: LocalAws) -> None:
    iam = aws.client("iam")
    arn = iam.create_policy(PolicyName=f"hand-made-{S}", PolicyDocument=json.dumps(WIDE))
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=arn["Policy"]["Arn"])


def trust_edge(aws: LocalAws) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]},
            }
        ],
    }
    aws.client("iam").update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(document))


def boundary_version(aws: LocalAws) -> None:
    arn = f"arn:aws:iam::123456789012:policy/etl-boundary-{S}"
    aws.client("iam").create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(WIDE), SetAsDefault=True
    )


def queue_attribute(name: str, value: str) -> Mutation:
    def mutate(aws: LocalAws) -> None:
        sqs = aws.client("sqs")
        url = sqs.get_queue_url(QueueName=f"batch-load-dlq-{S}")["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})

    return mutate


def queue_untag(aws: LocalAws) -> None:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=f"batch-load-dlq-{S}")["QueueUrl"]
    sqs.untag_queue(QueueUrl=url, TagKeys=["Team"])


def alarm(**changes: Any) -> Mutation:
    def mutate(aws: LocalAws) -> None:
        change_alarm(aws.client("cloudwatch"), f"batch-load-errors-{S}", **changes)

    return mutate


def xray(**changes: Any) -> Mutation:
    def mutate(aws: LocalAws) -> None:
        x = aws.client("xray")
        group = x.get_group(GroupName=f"transactions-{S}")["Group"]
        x.update_group(GroupName=group["GroupName"], **changes)

    return mutate


def xray_untag(aws: LocalAws) -> None:
    x = aws.client("xray")
    arn = x.get_group(GroupName=f"transactions-{S}")["Group"]["GroupARN"]
    x.untag_resource(ResourceARN=arn, TagKeys=["Team"])


def table(**changes: Any) -> Mutation:
    return lambda aws: aws.client("dynamodb").update_table(TableName=f"transactions-{S}", **changes)


def dashboard_body(aws: LocalAws) -> None:
    body = json.dumps(
        {
            "widgets": [
                {
                    "type": "text",
                    "x": 0,
                    "y": 0,
                    "width": 6,
                    "height": 2,
                    "properties": {"markdown": "hand edited"},
                }
            ]
        }
    )
    aws.client("cloudwatch").put_dashboard(DashboardName=f"transactions-{S}", DashboardBody=body)


def foreign_layer_version(aws: LocalAws, tmp: Path) -> None:
    (tmp / "nodejs").mkdir(exist_ok=True)
    (tmp / "nodejs" / "other.js").write_text("module.exports = 1;\n")
    aws.client("lambda").publish_layer_version(
        LayerName=f"etl-shared-{S}",
        Description="someone else's build",
        Content={"ZipFile": package(tmp, layer=True).zip_bytes},
        CompatibleRuntimes=["nodejs24.x"],
        CompatibleArchitectures=["arm64"],
    )


FUNCTION, ETL_FUNCTION = ("lambda.function", FN), ("lambda.function", LOAD)
CASES = [
    Case("function runtime", *FUNCTION, ("runtime",), config(Runtime="nodejs22.x")),
    Case("function handler", *FUNCTION, ("handler",), config(Handler="main.handler")),
    Case("function memory", *FUNCTION, ("memory_mb",), config(MemorySize=512)),
    Case("function timeout", *FUNCTION, ("timeout_s",), config(Timeout=10)),
    Case("function architecture", *FUNCTION, ("architecture",), code("x86_64", False)),
    Case("function tracing", *FUNCTION, ("tracing",),
         config(TracingConfig={"Mode": "PassThrough"})),
    Case("function environment value", *FUNCTION, ("environment.TABLE_NAME",),
         env_change("TABLE_NAME", "someone-elses-table")),
    Case("function extra environment variable", *FUNCTION, ("environment.DEBUG",),
         env_change("DEBUG", "1")),
    Case("function customer KMS key", *FUNCTION, ("kms_key_arn",),
         config(KMSKeyArn=ARN.format("kms", "key/1234abcd"))),
    Case("function code", *FUNCTION, ("code_sha256",), code("arm64", True)),
    Case("function tag removed", *FUNCTION, ("tags.Team",),
         untag("lambda", Resource=ARN.format("lambda", f"function:{FN}"))),
    Case("function tag added", *FUNCTION, ("tags.Owner",),
         lambda aws: aws.client("lambda").tag_resource(
             Resource=ARN.format("lambda", f"function:{FN}"), Tags={"Owner": "someone"})),
    Case("function reserved concurrency", *FUNCTION, ("reserved_concurrency",),
         lambda aws: aws.client("lambda").put_function_concurrency(
             FunctionName=FN, ReservedConcurrentExecutions=50)),
    Case("function layers", *ETL_FUNCTION, ("layers",), load_config(Layers=[])),
    Case("function DLQ target", *ETL_FUNCTION, ("dead_letter_target",),
         load_config(DeadLetterConfig={"TargetArn": ARN.format("sqs", f"api-handler-dlq-{S}")})),
    Case("function log format", *ETL_FUNCTION, ("log_format",),
         load_config(LoggingConfig={"LogFormat": "Text", "LogGroup": f"/aws/lambda/{LOAD}"})),
    Case("function log group", *ETL_FUNCTION, ("log_group",),
         load_config(LoggingConfig={"LogFormat": "JSON", "LogGroup": "/custom/batch-load"})),
    Case("alias target version", "lambda.alias", f"{FN}:live", ("live",),
         alias_to_other_version),
    Case("provisioned concurrency count", "lambda.provisioned_concurrency", f"{FN}:live",
         ("count",), lambda aws: aws.client("lambda").put_provisioned_concurrency_config(
             FunctionName=FN, Qualifier="live", ProvisionedConcurrentExecutions=3)),
    Case("provisioned concurrency on a version no alias uses",
         "lambda.provisioned_concurrency", f"{FN}:live", ("elsewhere",),
         stray_provisioned_concurrency),
    Case("event invoke retries", "lambda.event_invoke_config", API, ("max_retry_attempts",),
         invoke_config(0, 3600)),
    Case("event invoke event age", "lambda.event_invoke_config", API, ("max_event_age_s",),
         invoke_config(2, 600)),
    Case("role trust policy", "iam.role", ROLE, ("trust_policy",), trust_edge),
    Case("role inline policy document", "iam.role", ROLE, (f"inline_policies.{ROLE}-access",),
         role_policy(f"{ROLE}-access")),
    Case("role extra inline policy", "iam.role", ROLE, ("inline_policies.hand-made",),
         role_policy("hand-made")),
    Case("role attached managed policy", "iam.role", ROLE, ("managed_policies",), attach_managed),
    Case("role tags", "iam.role", ROLE, ("tags.Team",), untag("iam-role", RoleName=ROLE)),
    Case("role boundary", "iam.role", f"batch-load-role-{S}", ("permissions_boundary",),
         lambda aws: aws.client("iam").delete_role_permissions_boundary(
             RoleName=f"batch-load-role-{S}")),
    Case("boundary document", "iam.policy", f"etl-boundary-{S}", ("document",), boundary_version),
    Case("boundary tags", "iam.policy", f"etl-boundary-{S}", ("tags.Team",),
         untag("iam-policy", PolicyArn=f"arn:aws:iam::123456789012:policy/etl-boundary-{S}")),
    Case("log group retention", "logs.log_group", f"/aws/lambda/{FN}", ("retention_days",),
         lambda aws: aws.client("logs").put_retention_policy(
             logGroupName=f"/aws/lambda/{FN}", retentionInDays=30)),
    Case("log group tags", "logs.log_group", f"/aws/lambda/{FN}", ("tags.Team",),
         untag("logs", resourceArn=ARN.format("logs", f"log-group:/aws/lambda/{FN}"))),
    Case("queue retention", "sqs.queue", f"batch-load-dlq-{S}", ("retention_s",),
         queue_attribute("MessageRetentionPeriod", "3600")),
    Case("queue visibility timeout", "sqs.queue", f"batch-load-dlq-{S}",
         ("visibility_timeout_s",), queue_attribute("VisibilityTimeout", "90")),
    Case("queue encryption", "sqs.queue", f"batch-load-dlq-{S}", ("sse",),
         queue_attribute("SqsManagedSseEnabled", "false")),
    Case("queue tags", "sqs.queue", f"batch-load-dlq-{S}", ("tags.Team",), queue_untag),
    Case("alarm threshold", "cloudwatch.alarm", f"batch-load-errors-{S}", ("threshold",),
         alarm(Threshold=5.0)),
    Case("alarm statistic", "cloudwatch.alarm", f"batch-load-errors-{S}", ("statistic",),
         alarm(Statistic="Average")),
    Case("alarm period", "cloudwatch.alarm", f"batch-load-errors-{S}", ("period_s",),
         alarm(Period=60)),
    Case("alarm evaluation periods", "cloudwatch.alarm", f"batch-load-errors-{S}",
         ("evaluation_periods",), alarm(EvaluationPeriods=3)),
    Case("alarm comparison", "cloudwatch.alarm", f"batch-load-errors-{S}", ("comparison",),
         alarm(ComparisonOperator="GreaterThanOrEqualToThreshold")),
    Case("alarm dimensions", "cloudwatch.alarm", f"batch-load-errors-{S}", ("dimensions",),
         alarm(Dimensions=[{"Name": "FunctionName", "Value": API}])),
    Case("alarm actions", "cloudwatch.alarm", f"batch-load-errors-{S}", ("alarm_actions",),
         alarm(AlarmActions=[ARN.format("sns", "someone-elses-topic")])),
    Case("alarm tags", "cloudwatch.alarm", f"batch-load-errors-{S}", ("tags.Team",),
         untag("tagged", client="cloudwatch",
               ResourceARN=ARN.format("cloudwatch", f"alarm:batch-load-errors-{S}"))),
    Case("xray filter", "xray.group", f"transactions-{S}", ("filter_expression",),
         xray(FilterExpression='service("elsewhere")')),
    Case("xray insights", "xray.group", f"transactions-{S}", ("insights_enabled",),
         xray(InsightsConfiguration={"InsightsEnabled": False, "NotificationsEnabled": False})),
    Case("xray tags", "xray.group", f"transactions-{S}", ("tags.Team",), xray_untag),
    Case("table deletion protection", "dynamodb.table", f"transactions-{S}",
         ("deletion_protection",), table(DeletionProtectionEnabled=True)),
    Case("table billing mode", "dynamodb.table", f"transactions-{S}", ("billing_mode",),
         table(BillingMode="PROVISIONED",
               ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})),
    Case("table tags", "dynamodb.table", f"transactions-{S}", ("tags.Team",),
         untag("dynamodb", ResourceArn=ARN.format("dynamodb", f"table/transactions-{S}"))),
    Case("dashboard body", "cloudwatch.dashboard", f"transactions-{S}", ("body",), dashboard_body),
    Case("dashboard tags", "cloudwatch.dashboard", f"transactions-{S}", ("tags.Team",),
         untag("tagged", client="cloudwatch",
               ResourceARN=f"arn:aws:cloudwatch::123456789012:dashboard/transactions-{S}")),
]  # fmt: skip


def reported(stdout: str) -> set[tuple[str, str, str]]:
    report = json.loads(stdout)
    return {
        (r["kind"], r["name"], c["field"])
        for r in report["plan"]["resources"]
        for c in r["changes"]
    }


def plan_then_apply(
    aws: LocalAws, expected: set[tuple[str, str, str]], runner: Callable[..., Any] = both
) -> None:
    """plan: exactly `expected`, exit 2; apply: exit 0 (`runner` runs both stacks)."""
    settle(aws)
    plan = runner(aws, "plan", "--output", "json")
    assert plan.code == 2, plan.stdout + plan.stderr
    assert reported(plan.stdout) == expected
    fix = runner(aws)
    assert fix.code == 0, fix.stdout + fix.stderr


def check_drift_cycle(aws: LocalAws, expected: set[tuple[str, str, str]]) -> None:
    """plan: exactly `expected`, exit 2; apply: fixed; apply again: nothing, zero writes."""
    plan_then_apply(aws, expected)
    aws.control.reset_calls()
    again = both(aws)
    assert again.code == 0 and "No changes" in again.stdout, again.stdout
    assert aws.control.writes() == []
