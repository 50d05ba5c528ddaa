"""SQS queues (JSON protocol): attributes, tags, lookups and AWS's wait before a name is reused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.helpers import ACCOUNT, REGION, error_code, wait_until

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

    from reconciler.sandbox.server import Sandbox

DLQ_ATTRIBUTES: dict[QueueAttributeNameType, str] = {
    "MessageRetentionPeriod": "1209600",
    "SqsManagedSseEnabled": "true",
    "VisibilityTimeout": "30",
}


def create_dlq(sqs: SQSClient, name: str = "app-dlq") -> str:
    return sqs.create_queue(QueueName=name, Attributes=DLQ_ATTRIBUTES, tags={"team": "etl"})[
        "QueueUrl"
    ]


def test_a_queue_reports_its_attributes_and_arn(sqs: SQSClient) -> None:
    url = create_dlq(sqs)

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert {k: attributes[k] for k in DLQ_ATTRIBUTES} == DLQ_ATTRIBUTES
    assert attributes["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:app-dlq"
    assert sqs.get_queue_url(QueueName="app-dlq")["QueueUrl"] == url


def test_set_queue_attributes_changes_what_is_read_back(sqs: SQSClient) -> None:
    url = create_dlq(sqs)

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "120"})

    read = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert read["Attributes"] == {"VisibilityTimeout": "120"}


def test_queue_tags_are_listed_added_and_removed(sqs: SQSClient) -> None:
    url = create_dlq(sqs)

    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])

    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}


def test_queues_are_listed_by_name_prefix(sqs: SQSClient) -> None:
    wanted = create_dlq(sqs, "etl-dlq")
    create_dlq(sqs, "other-dlq")

    assert sqs.list_queues(QueueNamePrefix="etl")["QueueUrls"] == [wanted]
    assert sqs.list_queues(QueueNamePrefix="none").get("QueueUrls", []) == []


def test_a_missing_queue_is_queue_does_not_exist(sqs: SQSClient) -> None:
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as caught:
        sqs.get_queue_url(QueueName="app-dlq")

    # SQS speaks JSON but keeps its query-protocol codes: boto3 reports the old code as
    # Error.Code and the modeled name as QueryErrorCode (what the exception class matches).
    error = caught.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error.get("QueryErrorCode") == "QueueDoesNotExist"


def test_a_deleted_queue_s_name_is_refused_until_the_wait_is_over(
    sandbox: Sandbox, sqs: SQSClient
) -> None:
    sandbox.fidelity.configure(queue_reuse_seconds=0.3)
    sqs.delete_queue(QueueUrl=create_dlq(sqs))

    with pytest.raises(sqs.exceptions.QueueDeletedRecently) as caught:
        create_dlq(sqs)

    error = caught.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.QueueDeletedRecently"
    assert error.get("QueryErrorCode") == "QueueDeletedRecently"
    wait_until(lambda: _created(sqs))


def _created(sqs: SQSClient) -> bool:
    try:
        create_dlq(sqs)
    except ClientError:
        return False
    return True


def test_the_default_wait_is_sixty_seconds(sandbox: Sandbox, sqs: SQSClient) -> None:
    sandbox.fidelity.configure(queue_reuse_seconds=60)
    sqs.delete_queue(QueueUrl=create_dlq(sqs))

    with pytest.raises(ClientError) as caught:
        create_dlq(sqs)

    assert error_code(caught.value) == "AWS.SimpleQueueService.QueueDeletedRecently"
    assert create_dlq(sqs, "another-name")


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("MessageRetentionPeriod", "59"), ("VisibilityTimeout", "43201"), ("DelaySeconds", "x")],
)
def test_attribute_values_outside_aws_ranges_are_refused(
    sqs: SQSClient, attribute: QueueAttributeNameType, value: str
) -> None:
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName="app-dlq", Attributes={attribute: value})

    assert error_code(caught.value) == "InvalidAttributeValue"
