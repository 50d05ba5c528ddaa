"""The shipped functions run in the local AWS from the zips `reconcile` deployed: success, failure
to the dead-letter queue, timeouts, throttling past reserved concurrency, and the alarms that
watch them, all read back through boto3 as a person would check them."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from reconciler.sandbox.control.faults import FaultRule
from tests.e2e.helpers import LocalAws, burst, run, throttles_recorded, wait_idle

SUFFIX = "inv"
# Retries after 0.2 s and 0.4 s instead of one and two minutes; alarms evaluated five times a
# second over periods a hundredth as long (the stack's 5 minutes last 3 s).
FAST = {"async_retry_seconds": 0.2, "alarm_evaluation_seconds": 0.2, "metric_period_scale": 0.01}
DEFAULTS = {"async_retry_seconds": 60.0, "alarm_evaluation_seconds": 60.0, "metric_period_scale": 1}
VALID_JOB = {
    "jobId": "job-0001",
    "source": "crm",
    "records": [{"id": "r1", "payload": {"Name": " Ada "}}, {"id": "r2", "payload": {"n": 2}}],
}
PAYLOAD = {"name": "ada"}
LOADABLE = {
    "jobId": "job-load",
    "records": [
        {
            "id": "r1",
            "payload": PAYLOAD,
            "source": "crm",
            "jobId": "job-load",
            "transformedAt": "2026-12-01T00:00:00.000Z",
            # The transform's checksum: SHA-256 of the payload's canonical (key-sorted) JSON.
            "checksum": hashlib.sha256(
                json.dumps(PAYLOAD, sort_keys=True, separators=(",", ":")).encode()
            ).hexdigest(),
        }
    ],
}
# What each function is sent to succeed, on jobs of their own: the API's creates a job no other
# test makes, and the transform's feeds the load a job that exists (else the load fails into its
# DLQ), whatever ran before.
VALID = {
    "api-handler": {**VALID_JOB, "jobId": "job-valid"},
    "batch-transform": {**VALID_JOB, "jobId": LOADABLE["jobId"]},
    "batch-load": LOADABLE,
}
MALFORMED = {
    "batch-transform": {"jobId": "job-bad", "source": "crm", "records": [{"id": "", "payload": 5}]},
    "batch-load": {"jobId": "job-bad", "records": "not a list"},
}


def etl(aws: LocalAws, *args: str) -> Any:
    return run(aws, *args, "--stack", "etl")


@pytest.fixture(scope="module")
def deployed(local_aws: LocalAws) -> Iterator[str]:
    local_aws.control.configure(**FAST)
    result = etl(local_aws, "--suffix", SUFFIX)
    assert result.code == 0, result.stdout + result.stderr
    # The job the load batches belong to, accepted by the API as any job is.
    job = {**VALID_JOB, "jobId": LOADABLE["jobId"]}
    accepted = local_aws.client("lambda").invoke(
        FunctionName=f"api-handler-{SUFFIX}", Payload=json.dumps(job)
    )
    assert "FunctionError" not in accepted
    yield SUFFIX
    local_aws.control.configure(**DEFAULTS, latency_ms=0)
    assert etl(local_aws, "destroy", "--suffix", SUFFIX, "--yes").code == 0


def until(check: Callable[[], Any], seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def alarm_state(aws: LocalAws, name: str) -> str:
    alarms = aws.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return str(alarms[0]["StateValue"])


def reaches(aws: LocalAws, alarm: str, state: str) -> bool:
    """Whether the alarm gets to `state` within the test's patience."""
    return bool(until(partial(lambda a, s: alarm_state(aws, a) == s, alarm, state)))


def log_messages(aws: LocalAws, function: str) -> list[str]:
    logs = aws.client("logs")
    group = f"/aws/lambda/{function}"
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
    return [event["message"] for page in pages for event in page["events"]]


def attempts(aws: LocalAws, function: str, request_id: str) -> int:
    """How many times the runtime started the request, from the function's own log."""
    starts = [m for m in log_messages(aws, function) if '"platform.start"' in m]
    return sum(1 for m in starts if json.loads(m)["record"]["requestId"] == request_id)


def dead_letters(aws: LocalAws, queue: str, job: str) -> list[dict[str, Any]]:
    """The messages on the DLQ for the events of `job`, once there is one (others are left)."""
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    found: dict[str, dict[str, Any]] = {}

    def receive() -> bool:
        # Peeked at, not taken: the messages stay visible for the DLQ's alarm.
        answer = sqs.receive_message(
            QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        for message in answer.get("Messages", []):
            if json.loads(message["Body"]).get("jobId") == job:
                found[message["MessageId"]] = message
        return bool(found)

    until(receive)
    return list(found.values())


def drain(sqs: Any, url: str) -> None:
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_valid_job_flows_from_the_api_through_transform_and_load(
    local_aws: LocalAws, deployed: str
) -> None:
    lam, ddb = local_aws.client("lambda"), local_aws.client("dynamodb")
    answer = lam.invoke(FunctionName=f"api-handler-{deployed}", Payload=json.dumps(VALID_JOB))
    assert "FunctionError" not in answer
    body = json.loads(json.loads(answer["Payload"].read())["body"])
    assert body == {"jobId": "job-0001", "status": "accepted", "records": 2}

    def loaded() -> dict[str, Any] | None:
        item = ddb.get_item(TableName=f"etl-jobs-{deployed}", Key={"jobId": {"S": "job-0001"}})
        found = item.get("Item")
        return found if found and found["status"]["S"] == "loaded" else None

    job = until(loaded)
    assert job is not None, "the job never reached status loaded"
    assert job["loadedCount"] == {"N": "2"}
    records = ddb.query(
        TableName=f"etl-records-{deployed}",
        KeyConditionExpression="jobId = :j",
        ExpressionAttributeValues={":j": {"S": "job-0001"}},
    )["Items"]
    assert sorted(r["recordId"]["S"] for r in records) == ["r1", "r2"]
    # Each function ran from its zip with the shared layer and wrote its log in its format (the
    # load's report follows the status it wrote, once its invocation has ended).
    functions = ("api-handler", "batch-transform", "batch-load")
    wait_idle(local_aws, *(f"{function}-{deployed}" for function in functions))
    for function in functions:
        lines = log_messages(local_aws, f"{function}-{deployed}")
        reports = [json.loads(m) for m in lines if '"platform.report"' in m]
        assert reports and reports[-1]["record"]["status"] == "success", function
        assert any('"invocation finished"' in m for m in lines), function


@pytest.mark.parametrize("function", ["batch-transform", "batch-load"])
def test_a_malformed_event_is_tried_three_times_then_lands_in_the_dlq(
    local_aws: LocalAws, deployed: str, function: str
) -> None:
    name = f"{function}-{deployed}"
    payload = json.dumps(MALFORMED[function])
    answer = local_aws.client("lambda").invoke(
        FunctionName=name, InvocationType="Event", Payload=payload
    )
    assert answer["StatusCode"] == 202
    [message] = dead_letters(local_aws, f"{function}-dlq-{deployed}", "job-bad")
    assert message["Body"] == payload  # the event as it was sent
    attributes = message["MessageAttributes"]
    assert attributes["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert attributes["ErrorMessage"]["DataType"] == "String"
    assert attributes["ErrorMessage"]["StringValue"].startswith("Invalid")
    request_id = attributes["RequestID"]["StringValue"]
    # 1 + MaximumRetryAttempts (2), as the function's event invoke config says.
    assert attempts(local_aws, name, request_id) == 3
    for alarm in (f"{function}-errors-{deployed}", f"{function}-dlq-messages-{deployed}"):
        assert reaches(local_aws, alarm, "ALARM"), alarm


def test_alarms_go_back_to_ok_once_the_dlq_is_drained_and_calls_succeed(
    local_aws: LocalAws, deployed: str
) -> None:
    name, dlq = f"batch-transform-{deployed}", f"batch-transform-dlq-{deployed}"
    wait_idle(local_aws, name)  # no earlier failure still on its way to the DLQ
    lam, sqs = local_aws.client("lambda"), local_aws.client("sqs")
    url = sqs.get_queue_url(QueueName=dlq)["QueueUrl"]
    drain(sqs, url)
    bad = json.dumps(MALFORMED["batch-transform"])
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=bad)
    dead_letters(local_aws, dlq, "job-bad")
    alarms = (f"batch-transform-errors-{deployed}", f"batch-transform-dlq-messages-{deployed}")
    for alarm in alarms:
        assert reaches(local_aws, alarm, "ALARM"), alarm
    # An operator takes the messages off the DLQ after fixing what failed; new work succeeds.
    drain(sqs, url)
    good = json.dumps({**VALID_JOB, "jobId": "job-after"})
    assert "FunctionError" not in lam.invoke(FunctionName=name, Payload=good)
    for alarm in alarms:
        assert reaches(local_aws, alarm, "OK"), alarm
    # Back to OK on its own data: the errors have left the period (with or without the success's
    # zero still in it, depending on how long the checks above took).
    reason = local_aws.client("cloudwatch").describe_alarms(AlarmNames=[alarms[0]])
    assert reason["MetricAlarms"][0]["StateReason"] in (
        "Threshold Crossed: 0 out of the last 1 datapoints [0] was not greater than the "
        "threshold (0).",
        "no datapoints were received",
    )


def test_an_api_call_that_aws_refuses_fails_the_job_into_the_api_dlq(
    local_aws: LocalAws, deployed: str
) -> None:
    name = f"api-handler-{deployed}"
    # DynamoDB refusing every PutItem (a permission taken away) until the test ends: the handler
    # rethrows. Not a count of refusals: a PutItem still in flight from an earlier test (an
    # environment stopped at its timeout while its call was on the way) would take one.
    local_aws.control.add_fault(
        FaultRule("dynamodb", "PutItem", "AccessDeniedException", 400, times=10_000)
    )
    job = {**VALID_JOB, "jobId": "job-denied"}
    try:
        local_aws.client("lambda").invoke(
            FunctionName=name, InvocationType="Event", Payload=json.dumps(job)
        )
        [message] = dead_letters(local_aws, f"api-handler-dlq-{deployed}", "job-denied")
    finally:
        local_aws.control.clear_faults()
    assert json.loads(message["Body"])["jobId"] == "job-denied"
    request_id = message["MessageAttributes"]["RequestID"]["StringValue"]
    assert attempts(local_aws, name, request_id) == 3
    assert "injected fault" in message["MessageAttributes"]["ErrorMessage"]["StringValue"]


def settled(lam: Any, name: str) -> bool:
    configuration = lam.get_function(FunctionName=name)["Configuration"]
    return bool(configuration["LastUpdateStatus"] == "Successful")


@pytest.mark.parametrize("function", list(VALID))
def test_an_invocation_past_its_timeout_is_stopped(
    local_aws: LocalAws, deployed: str, function: str
) -> None:
    name = f"{function}-{deployed}"
    lam = local_aws.client("lambda")
    wait_idle(local_aws, name)  # no event of an earlier test runs under the shortened timeout
    timeout = lam.get_function(FunctionName=name)["Configuration"]["Timeout"]
    lam.update_function_configuration(FunctionName=name, Timeout=1)
    until(partial(settled, lam, name))
    local_aws.control.configure(latency_ms=1500)  # every AWS call the handler makes: 1.5 s
    try:
        answer = lam.invoke(FunctionName=name, Payload=json.dumps(VALID[function]))
    finally:
        local_aws.control.configure(latency_ms=0)
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    reports = [json.loads(m) for m in log_messages(local_aws, name) if '"platform.report"' in m]
    assert reports[-1]["record"]["status"] == "timeout"
    # Put back as deployed, the next call gets a fresh environment and works again.
    lam.update_function_configuration(FunctionName=name, Timeout=timeout)
    until(partial(settled, lam, name))
    again = lam.invoke(FunctionName=name, Payload=json.dumps(VALID[function]))
    assert "FunctionError" not in again, again["Payload"].read()


@pytest.mark.parametrize("function", ["batch-transform", "batch-load"])  # reserved 5 each
def test_a_burst_past_reserved_concurrency_is_throttled(
    local_aws: LocalAws, deployed: str, function: str
) -> None:
    name = f"{function}-{deployed}"
    # batch-transform's burst leaves up to five events for batch-load, which run as AWS runs them.
    wait_idle(local_aws, name)
    local_aws.control.configure(latency_ms=700)  # every invocation's own AWS call waits
    try:
        outcomes = burst(local_aws, name, [json.dumps(VALID[function])] * 10)
    finally:
        local_aws.control.configure(latency_ms=0)
    assert outcomes.count("TooManyRequestsException") >= 1, outcomes
    assert 1 <= outcomes.count("ok") <= 5 and "failed" not in outcomes, outcomes
    assert throttles_recorded(local_aws, name) >= outcomes.count("TooManyRequestsException")
    assert reaches(local_aws, f"{function}-throttles-{deployed}", "ALARM")


def test_an_alarm_action_notifies_its_topic_on_alarm_and_on_ok(
    local_aws: LocalAws, deployed: str
) -> None:
    sns, sqs, cw = (local_aws.client(s) for s in ("sns", "sqs", "cloudwatch"))
    topic = sns.create_topic(Name=f"oncall-{deployed}")["TopicArn"]
    inbox = sqs.create_queue(QueueName=f"oncall-inbox-{deployed}")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn["Attributes"]["QueueArn"])
    name = f"batch-load-{deployed}"
    wait_idle(local_aws, name)  # its OK must follow this test's error, not an earlier one's
    cw.put_metric_alarm(
        AlarmName=f"oncall-load-errors-{deployed}",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": name}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    try:
        local_aws.client("lambda").invoke(
            FunctionName=name, Payload=json.dumps(MALFORMED["batch-load"])
        )
        states: list[str] = []

        def notified(state: str) -> bool:
            for message in sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get(
                "Messages", []
            ):
                states.append(json.loads(json.loads(message["Body"])["Message"])["NewStateValue"])
            return state in states

        assert until(lambda: notified("ALARM")), states
        # Back to OK after the ALARM (an OK before it, from the first evaluation, does not count).
        assert until(lambda: notified("OK") and "OK" in states[states.index("ALARM") :]), states
    finally:
        cw.delete_alarms(AlarmNames=[f"oncall-load-errors-{deployed}"])
        sqs.delete_queue(QueueUrl=inbox)
        sns.delete_topic(TopicArn=topic)


def test_a_handler_written_for_sdk_v2_fails_to_load_as_on_nodejs18_and_later(
    local_aws: LocalAws, deployed: str
) -> None:
    lam = local_aws.client("lambda")
    role = lam.get_function(FunctionName=f"api-handler-{deployed}")["Configuration"]["Role"]

    def zipped(source: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.js", source)
        return buffer.getvalue()

    sources = {
        "v2": 'const AWS = require("aws-sdk");\nexports.handler = async () => "v2";\n',
        "v3": (
            'const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");\n'
            "exports.handler = async () => typeof DynamoDBClient;\n"
        ),
    }
    for label, source in sources.items():
        name = f"sdk-{label}-{deployed}"
        lam.create_function(
            FunctionName=name,
            Runtime="nodejs24.x",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": zipped(source)},
        )
    try:
        lam.get_waiter("function_active_v2").wait(FunctionName=f"sdk-v3-{deployed}")
        lam.get_waiter("function_active_v2").wait(FunctionName=f"sdk-v2-{deployed}")
        v2 = lam.invoke(FunctionName=f"sdk-v2-{deployed}")
        error = json.loads(v2["Payload"].read())
        assert v2["FunctionError"] == "Unhandled"
        assert error["errorType"] == "Runtime.ImportModuleError"
        assert "aws-sdk" in error["errorMessage"]
        v3 = lam.invoke(FunctionName=f"sdk-v3-{deployed}")
        assert json.loads(v3["Payload"].read()) == "function"
    finally:
        for label in sources:
            lam.delete_function(FunctionName=f"sdk-{label}-{deployed}")
