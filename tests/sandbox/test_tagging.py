"""GetResources answers every kind the reconciler tags, with AWS's filters and pages, and can
be made to lag behind a tag change (eventual consistency)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import client_kwargs

ACCOUNT, REGION = "123456789012", "us-east-1"
OURS = {"ManagedBy": "lambda-reconciler", "EnvironmentSuffix": "tg1"}


def _listed(sandbox: Sandbox, **kwargs: Any) -> dict[str, dict[str, str]]:
    tagging = boto3.client("resourcegroupstaggingapi", **client_kwargs(sandbox.url))
    pages = tagging.get_paginator("get_resources").paginate(**kwargs)
    return {
        m["ResourceARN"]: {t["Key"]: t["Value"] for t in m["Tags"]}
        for page in pages
        for m in page["ResourceTagMappingList"]
    }


def _tag_everything(sandbox: Sandbox) -> dict[str, str]:
    """One of each kind the reconciler tags, tagged as ours; their ARNs by kind."""
    kw = client_kwargs(sandbox.url)
    sqs, logs = boto3.client("sqs", **kw), boto3.client("logs", **kw)
    dynamodb, cw = boto3.client("dynamodb", **kw), boto3.client("cloudwatch", **kw)
    xray = boto3.client("xray", **kw)
    sqs.create_queue(QueueName="q-tg1", tags=OURS)
    logs.create_log_group(logGroupName="/aws/lambda/f-tg1", tags=OURS)
    dynamodb.create_table(
        TableName="t-tg1",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": k, "Value": v} for k, v in OURS.items()],
    )
    cw.put_metric_alarm(
        AlarmName="a-tg1",
        Namespace="N",
        MetricName="M",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
        Tags=[{"Key": k, "Value": v} for k, v in OURS.items()],
    )
    cw.put_dashboard(DashboardName="d-tg1", DashboardBody='{"widgets": []}')
    board = f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/d-tg1"
    cw.tag_resource(ResourceARN=board, Tags=[{"Key": k, "Value": v} for k, v in OURS.items()])
    group = xray.create_group(
        GroupName="g-tg1", Tags=[{"Key": k, "Value": v} for k, v in OURS.items()]
    )
    return {
        "queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-tg1",
        "log group": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f-tg1",
        "table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t-tg1",
        "alarm": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:a-tg1",
        "dashboard": board,
        "group": group["Group"]["GroupARN"],
    }


def test_every_kind_is_listed_with_its_tags_and_filters_and_together(sandbox: Sandbox) -> None:
    arns = _tag_everything(sandbox)
    boto3.client("sqs", **client_kwargs(sandbox.url)).create_queue(
        QueueName="q-tg2", tags={**OURS, "EnvironmentSuffix": "tg2"}
    )
    listed = _listed(sandbox, TagFilters=[{"Key": "EnvironmentSuffix", "Values": ["tg1"]}])
    assert set(listed) == set(arns.values())
    assert all(tags == OURS for tags in listed.values())
    # Filters AND together; a filter's values OR; a key alone means present.
    both = _listed(
        sandbox,
        TagFilters=[
            {"Key": "ManagedBy", "Values": ["lambda-reconciler"]},
            {"Key": "EnvironmentSuffix", "Values": ["tg2", "nope"]},
        ],
    )
    assert set(both) == {f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-tg2"}
    assert len(_listed(sandbox, TagFilters=[{"Key": "ManagedBy"}])) == len(arns) + 1
    assert set(_listed(sandbox, ResourceTypeFilters=["cloudwatch:alarm", "sqs"])) == {
        arns["alarm"],
        arns["queue"],
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-tg2",
    }


def test_pages_hold_at_most_the_asked_number_and_chain_by_token(sandbox: Sandbox) -> None:
    sqs = boto3.client("sqs", **client_kwargs(sandbox.url))
    for n in range(7):
        sqs.create_queue(QueueName=f"p{n}-tg1", tags=OURS)
    tagging = boto3.client("resourcegroupstaggingapi", **client_kwargs(sandbox.url))
    first = tagging.get_resources(ResourcesPerPage=3, TagFilters=[{"Key": "ManagedBy"}])
    assert len(first["ResourceTagMappingList"]) == 3 and first["PaginationToken"]
    assert len(_listed(sandbox, ResourcesPerPage=3, TagFilters=[{"Key": "ManagedBy"}])) == 7
    with pytest.raises(ClientError) as refused:
        tagging.get_resources(ResourcesPerPage=101)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as expired:
        tagging.get_resources(PaginationToken="not-a-token")
    assert expired.value.response["Error"]["Code"] == "PaginationTokenExpiredException"


def test_the_lag_knob_answers_the_tags_as_they_were(sandbox: Sandbox) -> None:
    arns = _tag_everything(sandbox)
    sandbox.fidelity.configure(tagging_lag_seconds=300)
    before = _listed(sandbox, TagFilters=[{"Key": "ManagedBy"}])
    sqs = boto3.client("sqs", **client_kwargs(sandbox.url))
    url = sqs.get_queue_url(QueueName="q-tg1")["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"EnvironmentSuffix": "other"})
    sqs.create_queue(QueueName="late-tg1", tags=OURS)
    # The listing still says what it said: the change and the new queue are not in it.
    assert _listed(sandbox, TagFilters=[{"Key": "ManagedBy"}]) == before
    assert before[arns["queue"]]["EnvironmentSuffix"] == "tg1"
    sandbox.fidelity.configure(tagging_lag_seconds=0)
    now = _listed(sandbox, TagFilters=[{"Key": "ManagedBy"}])
    assert now[arns["queue"]]["EnvironmentSuffix"] == "other"
    assert f"arn:aws:sqs:{REGION}:{ACCOUNT}:late-tg1" in now
