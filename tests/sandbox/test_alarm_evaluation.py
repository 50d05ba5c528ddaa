"""Metric alarms in the local AWS move on the data recorded for them: M out of N periods,
missing data as the alarm says to treat it, SQS queue depth, and the actions of each state."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import client_kwargs

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_sqs import SQSClient

# A 60 s period lasts 1.2 s here; evaluated every 0.1 s.
FAST = {"alarm_evaluation_seconds": 0.1, "metric_period_scale": 0.02}
NAMESPACE = "Shop/Checkout"


@pytest.fixture(autouse=True)
def fast(fresh: Sandbox) -> None:
    fresh.fidelity.configure(**FAST)


def alarm(cloudwatch: CloudWatchClient, name: str = "failures", **extra: Any) -> str:
    settings: dict[str, Any] = {
        "Namespace": NAMESPACE,
        "MetricName": "Failures",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
        **extra,
    }
    cloudwatch.put_metric_alarm(AlarmName=name, **settings)
    return name


def put(cloudwatch: CloudWatchClient, value: float, metric: str = "Failures") -> None:
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE, MetricData=[{"MetricName": metric, "Value": value}]
    )


def state(cloudwatch: CloudWatchClient, name: str) -> str:
    return str(cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"])


def becomes(cloudwatch: CloudWatchClient, name: str, wanted: str, seconds: float = 6.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if state(cloudwatch, name) == wanted:
            return True
        time.sleep(0.05)
    return False


def subscribed_inbox(sandbox: Sandbox, sqs: SQSClient, name: str) -> tuple[str, str]:
    """An SNS topic and the SQS queue subscribed to it, where its notifications are read."""
    sns = boto3.client("sns", **client_kwargs(sandbox.url))
    topic = sns.create_topic(Name=name)["TopicArn"]
    inbox = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn["Attributes"]["QueueArn"])
    return topic, inbox


def test_a_breaching_datapoint_raises_the_alarm_and_its_absence_clears_it(
    fresh: Sandbox, cloudwatch: CloudWatchClient
) -> None:
    fresh.fidelity.configure(alarm_evaluation_seconds=60)
    name = alarm(cloudwatch, TreatMissingData="notBreaching")
    assert state(cloudwatch, name) == "INSUFFICIENT_DATA"  # new, not yet evaluated
    fresh.fidelity.configure(**FAST)
    put(cloudwatch, 3)
    assert becomes(cloudwatch, name, "ALARM")
    reason = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert reason["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [3]")
    assert json.loads(reason["StateReasonData"])["recentDatapoints"] == [3.0]
    assert becomes(cloudwatch, name, "OK")  # the period passed with nothing in it


def test_missing_data_is_insufficient_unless_told_otherwise(cloudwatch: CloudWatchClient) -> None:
    missing = alarm(cloudwatch, "missing")
    breaching = alarm(cloudwatch, "breaching", TreatMissingData="breaching")
    assert becomes(cloudwatch, breaching, "ALARM")
    put(cloudwatch, 0)
    assert becomes(cloudwatch, missing, "OK")
    assert becomes(cloudwatch, missing, "INSUFFICIENT_DATA")


def test_m_out_of_n_needs_that_many_breaching_periods(cloudwatch: CloudWatchClient) -> None:
    name = alarm(
        cloudwatch,
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        TreatMissingData="notBreaching",
        Statistic="Maximum",
    )
    put(cloudwatch, 5)
    assert becomes(cloudwatch, name, "OK")  # one breaching period of three
    time.sleep(1.3)  # the next period
    put(cloudwatch, 7)
    assert becomes(cloudwatch, name, "ALARM")


def test_the_depth_of_a_watched_queue_drives_its_alarm(
    sandbox: Sandbox, cloudwatch: CloudWatchClient, sqs: SQSClient
) -> None:
    url = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    name = alarm(
        cloudwatch,
        "dlq",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": "jobs-dlq"}],
        Statistic="Maximum",
    )
    assert becomes(cloudwatch, name, "OK")
    sqs.send_message(QueueUrl=url, MessageBody="failed job")
    assert becomes(cloudwatch, name, "ALARM")
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert becomes(cloudwatch, name, "OK")


def test_a_state_change_notifies_the_states_topics(
    sandbox: Sandbox, cloudwatch: CloudWatchClient, sqs: SQSClient
) -> None:
    topic, inbox = subscribed_inbox(sandbox, sqs, "oncall")
    # Missing data keeps it INSUFFICIENT_DATA until the datapoint, whenever it is evaluated.
    name = alarm(cloudwatch, AlarmActions=[topic])
    put(cloudwatch, 1)
    assert becomes(cloudwatch, name, "ALARM")
    deadline, found = time.monotonic() + 5, list[Any]()
    while not found and time.monotonic() < deadline:
        found = sqs.receive_message(QueueUrl=inbox).get("Messages", [])
    notice = json.loads(json.loads(found[0]["Body"])["Message"])
    assert (notice["AlarmName"], notice["NewStateValue"]) == (name, "ALARM")
    assert notice["OldStateValue"] == "INSUFFICIENT_DATA"
    assert notice["Trigger"]["MetricName"] == "Failures"


def test_alarms_with_actions_disabled_change_state_silently(
    sandbox: Sandbox, cloudwatch: CloudWatchClient, sqs: SQSClient
) -> None:
    topic, inbox = subscribed_inbox(sandbox, sqs, "quiet")
    name = alarm(cloudwatch, AlarmActions=[topic], ActionsEnabled=False)
    put(cloudwatch, 1)
    assert becomes(cloudwatch, name, "ALARM")
    assert sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=0).get("Messages") is None
