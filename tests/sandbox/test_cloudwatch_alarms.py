"""CloudWatch metric alarms: settings read back, tags set only on creation, state kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.helpers import ACCOUNT, REGION, error_code

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

NAME = "transform-errors"
ARN = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{NAME}"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:ops"
ALARM: dict[str, Any] = {
    "AlarmName": NAME,
    "Namespace": "AWS/Lambda",
    "MetricName": "Errors",
    "Dimensions": [{"Name": "FunctionName", "Value": "transform"}],
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "Threshold": 0.0,
    "ComparisonOperator": "GreaterThanThreshold",
    "AlarmActions": [TOPIC],
    "TreatMissingData": "notBreaching",
    "ActionsEnabled": True,
}


def describe(cloudwatch: CloudWatchClient, **query: Any) -> list[Any]:
    return list(cloudwatch.describe_alarms(**query)["MetricAlarms"])


def tags(cloudwatch: CloudWatchClient) -> dict[str, str]:
    listed = cloudwatch.list_tags_for_resource(ResourceARN=ARN)["Tags"]
    return {t["Key"]: t["Value"] for t in listed}


def test_an_alarm_reads_back_every_setting(cloudwatch: CloudWatchClient) -> None:
    cloudwatch.put_metric_alarm(**ALARM)

    by_name = describe(cloudwatch, AlarmNames=[NAME])
    by_prefix = describe(cloudwatch, AlarmNamePrefix="transform-")

    assert by_name == by_prefix
    (alarm,) = by_name
    assert {k: alarm[k] for k in ALARM} == ALARM
    assert alarm["AlarmArn"] == ARN
    assert describe(cloudwatch, AlarmNamePrefix="load-") == []


def test_a_new_alarm_has_insufficient_data_and_an_update_keeps_the_state(
    cloudwatch: CloudWatchClient,
) -> None:
    cloudwatch.put_metric_alarm(**ALARM)
    assert describe(cloudwatch, AlarmNames=[NAME])[0]["StateValue"] == "INSUFFICIENT_DATA"
    cloudwatch.set_alarm_state(AlarmName=NAME, StateValue="ALARM", StateReason="test")

    cloudwatch.put_metric_alarm(**{**ALARM, "Threshold": 5.0})

    (alarm,) = describe(cloudwatch, AlarmNames=[NAME])
    assert (alarm["Threshold"], alarm["StateValue"]) == (5.0, "ALARM")


def test_tags_given_on_creation_are_kept(cloudwatch: CloudWatchClient) -> None:
    cloudwatch.put_metric_alarm(**ALARM, Tags=[{"Key": "team", "Value": "etl"}])

    assert tags(cloudwatch) == {"team": "etl"}


def test_tags_given_on_an_update_are_ignored(cloudwatch: CloudWatchClient) -> None:
    cloudwatch.put_metric_alarm(**ALARM, Tags=[{"Key": "team", "Value": "etl"}])

    cloudwatch.put_metric_alarm(
        **ALARM, Tags=[{"Key": "team", "Value": "other"}, {"Key": "env", "Value": "dev"}]
    )

    # AWS ignores Tags when PutMetricAlarm updates an existing alarm.
    assert tags(cloudwatch) == {"team": "etl"}


def test_alarm_tags_change_through_tag_and_untag(cloudwatch: CloudWatchClient) -> None:
    cloudwatch.put_metric_alarm(**ALARM, Tags=[{"Key": "team", "Value": "etl"}])

    cloudwatch.tag_resource(ResourceARN=ARN, Tags=[{"Key": "env", "Value": "dev"}])
    cloudwatch.untag_resource(ResourceARN=ARN, TagKeys=["team"])

    assert tags(cloudwatch) == {"env": "dev"}


def test_a_deleted_alarm_is_gone_with_its_tags(cloudwatch: CloudWatchClient) -> None:
    cloudwatch.put_metric_alarm(**ALARM, Tags=[{"Key": "team", "Value": "etl"}])

    cloudwatch.delete_alarms(AlarmNames=[NAME])

    assert describe(cloudwatch, AlarmNames=[NAME]) == []
    with pytest.raises(ClientError) as caught:
        tags(cloudwatch)
    assert error_code(caught.value) == "ResourceNotFoundException"
    cloudwatch.put_metric_alarm(**ALARM)
    assert tags(cloudwatch) == {}
