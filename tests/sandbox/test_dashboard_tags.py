"""CloudWatch dashboards can be tagged, as in AWS."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.helpers import error_code

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

ARN = "arn:aws:cloudwatch::123456789012:dashboard/ops"
BODY = json.dumps({"widgets": []})


def test_a_dashboard_is_tagged_listed_and_untagged(cloudwatch: CloudWatchClient) -> None:
    cloudwatch.put_dashboard(DashboardName="ops", DashboardBody=BODY)

    cloudwatch.tag_resource(
        ResourceARN=ARN, Tags=[{"Key": "team", "Value": "ops"}, {"Key": "env", "Value": "dev"}]
    )
    cloudwatch.untag_resource(ResourceARN=ARN, TagKeys=["env"])

    assert cloudwatch.list_tags_for_resource(ResourceARN=ARN)["Tags"] == [
        {"Key": "team", "Value": "ops"}
    ]


def test_tags_go_away_with_the_dashboard(cloudwatch: CloudWatchClient) -> None:
    cloudwatch.put_dashboard(DashboardName="ops", DashboardBody=BODY)
    cloudwatch.tag_resource(ResourceARN=ARN, Tags=[{"Key": "team", "Value": "ops"}])

    cloudwatch.delete_dashboards(DashboardNames=["ops"])
    cloudwatch.put_dashboard(DashboardName="ops", DashboardBody=BODY)

    assert cloudwatch.list_tags_for_resource(ResourceARN=ARN)["Tags"] == []


def test_tagging_a_missing_dashboard_is_not_found(cloudwatch: CloudWatchClient) -> None:
    with pytest.raises(ClientError) as caught:
        cloudwatch.tag_resource(ResourceARN=ARN, Tags=[{"Key": "team", "Value": "ops"}])

    assert error_code(caught.value) == "ResourceNotFoundException"
