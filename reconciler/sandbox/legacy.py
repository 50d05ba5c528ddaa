"""A legacy deployment to take over, for the demo and the tests: the two systems as they ran
before the refactor, built through boto3 the way a team built them years ago (the local AWS's
`today` set in the past). Node.js 14.x on x86_64, 128 MB and 3 s, no tracing, log groups that
never expire, no DLQ, one shared role with `dynamodb:*` and a managed policy, and what callers
attached: an undeclared alias, an API Gateway permission and an event source mapping."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from reconciler.sandbox.control.client import SandboxControl

ACCOUNT = "123456789012"
THEN = "2023-06-01"
# Values only the legacy system has: none may ever appear in the reconciler's output.
LEGACY_SECRETS = {
    "DATABASE_URL": "postgres://legacy:Legacy-Db-Pw-77@old-db:5432/ledger",
    "API_KEY": "legacy-api-key-5d4c3b2a",
    "PAYMENTS_API_TOKEN": "tok_legacy_9a8b7c6d5e",
}
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
WIDE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
    }
)


@dataclass(frozen=True)
class Legacy:
    """What the legacy system is, to compare with after the takeover."""

    suffix: str
    functions: dict[str, str]  # name -> ARN
    role: str
    queue_url: str
    mapping: str


class Aws(Protocol):
    """What the builder needs: the local AWS's controls and a boto3 client per service."""

    @property
    def control(self) -> SandboxControl: ...

    def client(self, service: str) -> Any: ...


@contextmanager
def on_date(aws: Aws, day: str) -> Iterator[None]:
    """The local AWS's `today`, for what happens inside the block."""
    aws.control.configure(today=day)
    try:
        yield
    finally:
        aws.control.configure(today="")


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", source)
    return buffer.getvalue()


def _shared_role(aws: Aws, name: str) -> str:
    iam = aws.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="everything-dynamodb", PolicyDocument=WIDE)
    logs = iam.create_policy(PolicyName=f"{name}-logs", PolicyDocument=WIDE)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=logs)
    return str(arn)


def _function(aws: Aws, name: str, role: str, env: dict[str, str]) -> str:
    request = {
        "FunctionName": name,
        "Runtime": "nodejs14.x",
        "Architectures": ["x86_64"],
        "MemorySize": 128,
        "Timeout": 3,
        "Role": role,
        "Handler": "index.handler",
        "Code": {"ZipFile": _zip("exports.handler = async () => ({ legacy: true });\n")},
        "Environment": {"Variables": env},
        "Tags": {"owner": "legacy-team"},
    }
    config = _once_the_role_is_assumable(lambda: aws.client("lambda").create_function(**request))
    aws.client("logs").create_log_group(logGroupName=f"/aws/lambda/{name}")
    return str(config["FunctionArn"])


def _once_the_role_is_assumable(create: Callable[[], Any]) -> Any:
    """A new role takes a moment to become assumable by Lambda: try again, as a script does."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return create()
        except ClientError as exc:
            if "cannot be assumed" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def _callers(aws: Aws, name: str, suffix: str) -> tuple[str, str]:
    """What others built on the function: an alias, a permission, an event source mapping."""
    lam, sqs = aws.client("lambda"), aws.client("sqs")
    _wait_active(aws, name)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="prod", FunctionVersion=version)
    lam.add_permission(
        FunctionName=name,
        StatementId="api-gateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:legacy-api/*",
    )
    url = sqs.create_queue(QueueName=f"legacy-orders-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    mapping = lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=queue_arn["Attributes"]["QueueArn"]
    )
    return str(url), str(mapping["UUID"])


def _wait_active(aws: Aws, name: str) -> None:
    lam = aws.client("lambda")
    waiter = lam.get_waiter("function_active_v2")
    waiter.wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})


def transactions(aws: Aws, suffix: str, *, protected: bool = False) -> Legacy:
    """The payments function as it ran: cold starts, throttling, everything on one role;
    `protected`: its ledger table has deletion protection on, as a careful team sets it."""
    with on_date(aws, THEN):
        role = _shared_role(aws, f"payments-shared-role-{suffix}")
        ddb = aws.client("dynamodb")
        table = f"transactions-{suffix}"
        ddb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "transactionId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "transactionId", "KeyType": "HASH"}],
            DeletionProtectionEnabled=protected,
        )
        ddb.put_item(TableName=table, Item={"transactionId": {"S": "t-1"}, "cents": {"N": "1250"}})
        name = f"lambda-function-{suffix}"
        env = {**LEGACY_SECRETS, "TABLE_NAME": table}
        arn = _function(aws, name, role, env)
        queue, mapping = _callers(aws, name, suffix)
    return Legacy(suffix, {name: arn}, role, queue, mapping)


def etl(aws: Aws, suffix: str) -> Legacy:
    """The pipeline as it ran: failures unnoticed (no DLQ, no alarm), one shared role."""
    with on_date(aws, THEN):
        role = _shared_role(aws, f"etl-shared-role-{suffix}")
        ddb = aws.client("dynamodb")
        for table, keys in (("jobs", ["jobId"]), ("records", ["jobId", "recordId"])):
            ddb.create_table(
                TableName=f"etl-{table}-{suffix}",
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
                KeySchema=[
                    {"AttributeName": k, "KeyType": t}
                    for k, t in zip(keys, ("HASH", "RANGE"), strict=False)
                ],
            )
        ddb.put_item(TableName=f"etl-jobs-{suffix}", Item={"jobId": {"S": "j-1"}})
        functions = {
            f"{base}-{suffix}": _function(aws, f"{base}-{suffix}", role, {"STAGE": "legacy"})
            for base in ("api-handler", "batch-transform", "batch-load")
        }
        queue, mapping = _callers(aws, f"api-handler-{suffix}", suffix)
    return Legacy(suffix, functions, role, queue, mapping)
