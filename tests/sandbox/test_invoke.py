"""Invoke in the local AWS: Node.js functions run from their zips with Lambda's environment,
logs, async retries, destinations and throttling; bad requests refused as Lambda refuses them."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.control.client import SandboxControl
from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import client_kwargs, wait_until

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

FAST = {"async_retry_seconds": 0.05, "alarm_evaluation_seconds": 0.1, "metric_period_scale": 0.01}
ECHO = """
exports.handler = async (event, context) => {
  console.log("got", JSON.stringify(event));
  if (event.fail) throw new TypeError("asked to fail");
  if (event.exit) process.exit(3);
  if (event.kill) process.kill(process.pid, "SIGKILL");
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  return {
    event,
    name: context.functionName,
    version: context.functionVersion,
    memory: context.memoryLimitInMB,
    remaining: context.getRemainingTimeInMillis() > 0,
    region: process.env.AWS_REGION,
    custom: process.env.CUSTOM,
    endpoint: Boolean(process.env.AWS_ENDPOINT_URL),
  };
};
"""


def zipped(source: str, name: str = "index.js") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, source)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def fast(fresh: Sandbox) -> None:
    fresh.fidelity.configure(**FAST)


@pytest.fixture
def make(lam: LambdaClient, role_arn: str) -> Callable[..., str]:
    def create(name: str = "echo", source: str = ECHO, **extra: Any) -> str:
        lam.create_function(
            FunctionName=name,
            Runtime=extra.pop("Runtime", "nodejs24.x"),
            Role=role_arn,
            Handler="index.handler",
            Code={"ZipFile": zipped(source, extra.pop("file", "index.js"))},
            **extra,
        )
        return name

    return create


def payload(answer: Any) -> Any:
    return json.loads(answer["Payload"].read())


def queue(sqs: SQSClient, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def receive(sqs: SQSClient, url: str, seconds: float = 10.0) -> list[Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"]).get("Messages")
        if found:
            return list(found)
        time.sleep(0.05)
    return []


def test_a_function_runs_with_lambdas_context_and_environment(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make(MemorySize=256, Environment={"Variables": {"CUSTOM": "yes"}})
    answer = lam.invoke(FunctionName="echo", Payload=b'{"a": 1}', LogType="Tail")
    assert answer["StatusCode"] == 200 and answer["ExecutedVersion"] == "$LATEST"
    assert payload(answer) == {
        "event": {"a": 1},
        "name": "echo",
        "version": "$LATEST",
        "memory": "256",
        "remaining": True,
        "region": "us-east-1",
        "custom": "yes",
        "endpoint": True,
    }
    tail = base64.b64decode(answer["LogResult"]).decode()
    assert "START RequestId:" in tail and "REPORT RequestId:" in tail
    assert '\tINFO\tgot {"a":1}' in tail
    assert "Init Duration:" in tail  # a cold start


def test_a_published_version_runs_its_own_code(lam: LambdaClient, make: Callable[..., str]) -> None:
    make(Publish=True)
    lam.update_function_code(
        FunctionName="echo", ZipFile=zipped("exports.handler = async () => 2;")
    )
    assert payload(lam.invoke(FunctionName="echo", Qualifier="1"))["version"] == "1"
    assert payload(lam.invoke(FunctionName="echo")) == 2


def test_a_thrown_error_is_an_unhandled_function_error(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make()
    answer = lam.invoke(FunctionName="echo", Payload=b'{"fail": true}')
    assert answer["FunctionError"] == "Unhandled"
    error = payload(answer)
    assert (error["errorType"], error["errorMessage"]) == ("TypeError", "asked to fail")


def test_the_timeout_is_the_functions_own(lam: LambdaClient, make: Callable[..., str]) -> None:
    make(Timeout=1)
    answer = lam.invoke(FunctionName="echo", Payload=b'{"sleepMs": 3000}')
    assert payload(answer)["errorType"] == "Sandbox.Timedout"
    # The environment was thrown away: the next call starts a new one and works.
    assert payload(lam.invoke(FunctionName="echo", Payload=b"{}"))["name"] == "echo"


def test_bad_requests_are_refused_as_lambda_refuses_them(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make()
    with pytest.raises(ClientError) as bad_json:
        lam.invoke(FunctionName="echo", Payload=b"{not json")
    assert bad_json.value.response["Error"]["Code"] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as missing:
        lam.invoke(FunctionName="nobody")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert lam.invoke(FunctionName="echo", InvocationType="DryRun")["StatusCode"] == 204


def test_a_runtime_other_than_nodejs_is_refused_plainly(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make(name="py", Runtime="python3.12")
    with pytest.raises(ClientError) as refused:
        lam.invoke(FunctionName="py")
    assert "runs Node.js functions only" in refused.value.response["Error"]["Message"]


def test_an_init_error_fails_the_invocation_with_its_own_error(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make(source='throw new Error("no config");\nexports.handler = async () => 1;')
    answer = lam.invoke(FunctionName="echo")
    assert answer["FunctionError"] == "Unhandled"
    assert payload(answer)["errorMessage"] == "no config"


def test_synchronous_calls_past_reserved_concurrency_are_throttled(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make()
    lam.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as throttled:
        lam.invoke(FunctionName="echo")
    error = throttled.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_a_failed_event_is_retried_then_sent_to_the_dlq_and_on_failure_destination(
    lam: LambdaClient, sqs: SQSClient, make: Callable[..., str]
) -> None:
    dlq_url, dlq_arn = queue(sqs, "echo-dlq")
    record_url, record_arn = queue(sqs, "echo-failures")
    make(DeadLetterConfig={"TargetArn": dlq_arn})
    lam.put_function_event_invoke_config(
        FunctionName="echo",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": record_arn}},
    )
    answer = lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"fail": true}')
    assert answer["StatusCode"] == 202
    [dead] = receive(sqs, dlq_url)
    assert dead["Body"] == '{"fail": true}'
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == "asked to fail"
    [record] = receive(sqs, record_url)
    body = json.loads(record["Body"])
    assert body["requestContext"]["condition"] == "RetriesExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 2  # 1 + MaximumRetryAttempts
    assert (
        body["requestContext"]["requestId"] == dead["MessageAttributes"]["RequestID"]["StringValue"]
    )
    assert body["responsePayload"]["errorType"] == "TypeError"


def test_with_reserved_concurrency_0_events_go_to_the_dlq_without_a_try(
    lam: LambdaClient, sqs: SQSClient, make: Callable[..., str]
) -> None:
    dlq_url, dlq_arn = queue(sqs, "echo-dlq")
    make(DeadLetterConfig={"TargetArn": dlq_arn})
    lam.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")
    [dead] = receive(sqs, dlq_url)
    assert dead["MessageAttributes"]["ErrorCode"]["StringValue"] == "429"


def test_a_successful_event_goes_to_the_on_success_destination(
    lam: LambdaClient, sqs: SQSClient, make: Callable[..., str]
) -> None:
    url, arn = queue(sqs, "echo-done")
    make()
    lam.put_function_event_invoke_config(
        FunctionName="echo", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"b": 2}')
    [record] = receive(sqs, url)
    body = json.loads(record["Body"])
    assert body["requestContext"]["condition"] == "Success"
    assert body["responsePayload"]["event"] == {"b": 2}


def test_invocations_write_logs_and_metrics(
    sandbox: Sandbox, lam: LambdaClient, make: Callable[..., str]
) -> None:
    make(LoggingConfig={"LogFormat": "JSON", "LogGroup": "/custom/echo"})
    lam.invoke(FunctionName="echo", Payload=b'{"fail": true}')
    lam.invoke(FunctionName="echo", Payload=b"{}")
    logs = boto3.client("logs", **client_kwargs(sandbox.url))
    lines = [e["message"] for e in logs.filter_log_events(logGroupName="/custom/echo")["events"]]
    kinds = [json.loads(line).get("type") for line in lines if '"type"' in line]
    assert kinds.count("platform.start") == 2 and kinds.count("platform.report") == 2
    console = [json.loads(line) for line in lines if '"level"' in line]
    assert any(c["level"] == "INFO" and c["message"].startswith("got") for c in console)
    assert any(c["level"] == "ERROR" and c["message"]["errorType"] == "TypeError" for c in console)
    cloudwatch = boto3.client("cloudwatch", **client_kwargs(sandbox.url))

    def total(metric: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName=metric,
            Dimensions=[{"Name": "FunctionName", "Value": "echo"}],
            StartTime=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            EndTime=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert (total("Invocations"), total("Errors")) == (2, 1)


def test_payloads_past_lambdas_quotas_are_refused(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make()
    big = json.dumps({"blob": "x" * 262144}).encode()
    with pytest.raises(ClientError) as queued:
        lam.invoke(FunctionName="echo", InvocationType="Event", Payload=big)
    assert queued.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert lam.invoke(FunctionName="echo", Payload=big)["StatusCode"] == 200  # under 6 MB


def _runtimes_of(pid: int) -> int:
    """How many execution environments (node processes) `pid` has started and not stopped."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = next(line for line in status.splitlines() if line.startswith("PPid:"))
        if int(parent.split()[1]) == pid and b"bootstrap.mjs" in command:
            count += 1
    return count


def test_idle_environments_are_bounded(lam: LambdaClient, make: Callable[..., str]) -> None:
    for index in range(14):
        make(name=f"f{index}")
        lam.invoke(FunctionName=f"f{index}")
    assert _runtimes_of(os.getpid()) == 12  # the two used least recently were stopped


def test_first_calls_of_new_code_made_at_once_all_run(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    # A smoke test and a queued event can be the first two calls of a version; each unpacks
    # the code and links the runtime's SDK beside it, and neither may trip over the other.
    make(Publish=True)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda q: lam.invoke(FunctionName="echo", Qualifier=q), ["1", "$LATEST"] * 3)
        )
    assert [a.get("FunctionError") for a in answers] == [None] * 6
    assert sorted(payload(a)["version"] for a in answers) == ["$LATEST"] * 3 + ["1"] * 3


# Every way an invocation can end, by the function's source and the event it is sent.
ENDINGS = {
    "success": (ECHO, {}),
    "function error": (ECHO, {"fail": True}),
    "timeout": (ECHO, {"sleepMs": 3000}),
    "runtime exited": (ECHO, {"exit": True}),
    "environment killed": (ECHO, {"kill": True}),
    "init failure": ('throw new Error("no config");\nexports.handler = async () => 1;', {}),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("kind", ["RequestResponse", "Event"])
def test_every_way_an_invocation_ends_gives_its_slot_back(
    fresh: Sandbox,
    lam: LambdaClient,
    make: Callable[..., str],
    ending: str,
    kind: Literal["RequestResponse", "Event"],
) -> None:
    source, event = ENDINGS[ending]
    make(source=source, Timeout=1)
    # One slot: a slot kept by the ending would throttle the call after it.
    lam.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=1)
    lam.put_function_event_invoke_config(FunctionName="echo", MaximumRetryAttempts=0)
    control = SandboxControl(fresh.url)
    lam.invoke(FunctionName="echo", InvocationType=kind, Payload=json.dumps(event).encode())
    wait_until(lambda: control.activity() == [], timeout=15)
    again = lam.invoke(FunctionName="echo", Payload=b"{}")
    assert again["StatusCode"] == 200


def test_an_event_throttled_and_retried_gives_its_slot_back(
    fresh: Sandbox, lam: LambdaClient, make: Callable[..., str]
) -> None:
    make()
    lam.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=1)
    control = SandboxControl(fresh.url)
    with ThreadPoolExecutor(max_workers=1) as pool:
        busy = pool.submit(lam.invoke, FunctionName="echo", Payload=b'{"sleepMs": 1000}')
        wait_until(lambda: [a.running for a in control.activity()] == [1])
        lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"late": true}')
        # Queued behind the running call: accepted, not yet finished, holding no slot.
        [waiting] = control.activity()
        assert (waiting.function, waiting.running, waiting.queued) == ("echo", 1, 1)
        assert busy.result()["StatusCode"] == 200
    wait_until(lambda: control.activity() == [], timeout=15)
    assert payload(lam.invoke(FunctionName="echo", Payload=b"{}"))["name"] == "echo"
    runs = [m for m in _messages(fresh, "/aws/lambda/echo") if '"late":true' in m]
    assert len(runs) == 1  # the throttled event ran once, after the call ahead of it


def _messages(sandbox: Sandbox, group: str) -> list[str]:
    logs = boto3.client("logs", **client_kwargs(sandbox.url))
    return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]


SDK_USER = """
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
export const handler = async () => ({
  s3: typeof S3Client,
  doc: typeof DynamoDBDocumentClient.from(new DynamoDBClient({})).send,
  secrets: typeof SecretsManagerClient,
});
"""


def test_a_handler_imports_the_sdk_clients_lambda_functions_use_most(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make("sdk-user", SDK_USER, file="index.mjs")
    answer = lam.invoke(FunctionName="sdk-user")
    assert "FunctionError" not in answer, payload(answer)
    assert payload(answer) == {"s3": "function", "doc": "function", "secrets": "function"}


def test_a_client_the_local_runtime_lacks_is_an_import_error_with_a_hint(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    source = 'import { GlacierClient } from "@aws-sdk/client-glacier";\n'
    source += "export const handler = async () => typeof GlacierClient;\n"
    make("sdk-missing", source, file="index.mjs")
    answer = lam.invoke(FunctionName="sdk-missing")
    assert answer["FunctionError"] == "Unhandled"
    error = payload(answer)
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "'@aws-sdk/client-glacier'" in error["errorMessage"]
    assert "bundle it in the function's code or a layer to run it here" in error["errorMessage"]


def test_a_weighted_alias_sends_its_share_to_the_additional_version(
    lam: LambdaClient, make: Callable[..., str]
) -> None:
    make("split", "exports.handler = async () => 'one';")
    lam.publish_version(FunctionName="split")
    lam.update_function_code(
        FunctionName="split", ZipFile=zipped("exports.handler = async () => 'two';")
    )
    wait_until(
        lambda: (
            lam.get_function(FunctionName="split")["Configuration"]["LastUpdateStatus"]
            == "Successful"
        )
    )
    lam.publish_version(FunctionName="split")
    lam.create_alias(
        FunctionName="split",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}},
    )
    ran = []
    for _ in range(200):
        answer = lam.invoke(FunctionName="split", Qualifier="live")
        ran.append((answer["ExecutedVersion"], payload(answer)))
    # Each invocation ran the version it says it ran, and about 30% ran the new one.
    assert set(ran) == {("1", "one"), ("2", "two")}
    share = sum(1 for version, _ in ran if version == "2") / len(ran)
    assert 0.2 < share < 0.4, share
    # Without routing, the alias runs its own version only; a version invoked directly is itself.
    lam.update_alias(
        FunctionName="split", Name="live", RoutingConfig={"AdditionalVersionWeights": {}}
    )
    assert {
        lam.invoke(FunctionName="split", Qualifier="live")["ExecutedVersion"] for _ in range(20)
    } == {"1"}
    assert lam.invoke(FunctionName="split", Qualifier="2")["ExecutedVersion"] == "2"


def test_an_alias_reports_errors_by_the_version_that_ran(
    lam: LambdaClient, make: Callable[..., str], sandbox: Sandbox
) -> None:
    make("halves", "exports.handler = async () => 'fine';")
    lam.publish_version(FunctionName="halves")
    lam.update_function_code(
        FunctionName="halves",
        ZipFile=zipped("exports.handler = async () => { throw new Error('no'); };"),
    )
    wait_until(
        lambda: (
            lam.get_function(FunctionName="halves")["Configuration"]["LastUpdateStatus"]
            == "Successful"
        )
    )
    lam.publish_version(FunctionName="halves")
    lam.create_alias(
        FunctionName="halves",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    ran = [
        lam.invoke(FunctionName="halves", Qualifier="live")["ExecutedVersion"] for _ in range(40)
    ]
    cw: Any = boto3.client("cloudwatch", **client_kwargs(sandbox.url))

    def errors(version: str) -> float:
        dimensions = [
            {"Name": "FunctionName", "Value": "halves"},
            {"Name": "Resource", "Value": "halves:live"},
            {"Name": "ExecutedVersion", "Value": version},
        ]
        stat = {
            "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors", "Dimensions": dimensions},
            "Period": 60,
            "Stat": "Sum",
        }
        now = dt.datetime.now(dt.UTC)
        answer = cw.get_metric_data(
            MetricDataQueries=[{"Id": "e", "MetricStat": stat}],
            StartTime=now - dt.timedelta(minutes=5),
            EndTime=now + dt.timedelta(minutes=1),
        )
        return float(sum(answer["MetricDataResults"][0]["Values"]))

    # Every error is the new version's; the old one ran as often without any.
    assert errors("2") == ran.count("2") > 0 and errors("1") == 0 and ran.count("1") > 0
