"""X-Ray groups, sampling rules and their tags, plus pass-through of the data plane."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.helpers import error_code

if TYPE_CHECKING:
    from mypy_boto3_xray import XRayClient
    from mypy_boto3_xray.type_defs import SamplingRuleTypeDef, TagTypeDef

RULE: SamplingRuleTypeDef = {
    "RuleName": "orders",
    "ResourceARN": "*",
    "Priority": 100,
    "FixedRate": 0.1,
    "ReservoirSize": 2,
    "ServiceName": "orders",
    "ServiceType": "*",
    "Host": "*",
    "HTTPMethod": "*",
    "URLPath": "*",
    "Version": 1,
}


def test_the_default_group_and_rule_always_exist(xray: XRayClient) -> None:
    groups = xray.get_groups()["Groups"]
    rules = [r["SamplingRule"] for r in xray.get_sampling_rules()["SamplingRuleRecords"]]

    assert [g["GroupName"] for g in groups] == ["Default"]
    assert len(rules) == 1
    default = rules[0]
    assert (default["RuleName"], default["Priority"]) == ("Default", 10000)
    assert (default["ReservoirSize"], default["FixedRate"]) == (1, 0.05)


def test_a_group_is_created_read_updated_and_deleted(xray: XRayClient) -> None:
    created = xray.create_group(GroupName="orders", FilterExpression='service("orders")')["Group"]
    assert created["GroupARN"].startswith("arn:aws:xray:us-east-1:123456789012:group/orders/")
    assert created["InsightsConfiguration"] == {
        "InsightsEnabled": False,
        "NotificationsEnabled": False,
    }

    xray.update_group(
        GroupARN=created["GroupARN"],
        FilterExpression='service("orders") AND fault',
        InsightsConfiguration={"InsightsEnabled": True},
    )
    read = xray.get_group(GroupName="orders")["Group"]
    assert read["FilterExpression"] == 'service("orders") AND fault'
    assert read["InsightsConfiguration"]["InsightsEnabled"] is True

    xray.delete_group(GroupName="orders")
    assert [g["GroupName"] for g in xray.get_groups()["Groups"]] == ["Default"]


def test_duplicate_and_unknown_groups_are_invalid_requests(xray: XRayClient) -> None:
    xray.create_group(GroupName="orders", FilterExpression='service("orders")')

    attempts: list[Callable[[], object]] = [
        lambda: xray.create_group(GroupName="orders", FilterExpression="fault"),
        lambda: xray.get_group(GroupName="missing"),
        lambda: xray.delete_group(GroupName="missing"),
    ]
    for attempt in attempts:
        with pytest.raises(ClientError) as caught:
            attempt()
        assert error_code(caught.value) == "InvalidRequestException"


def test_the_default_group_cannot_be_changed_or_deleted(xray: XRayClient) -> None:
    with pytest.raises(ClientError):
        xray.update_group(GroupName="Default", FilterExpression="fault")
    with pytest.raises(ClientError):
        xray.delete_group(GroupName="Default")


def test_a_sampling_rule_is_created_updated_and_deleted(xray: XRayClient) -> None:
    created = xray.create_sampling_rule(SamplingRule=RULE)["SamplingRuleRecord"]
    assert created["SamplingRule"]["RuleARN"] == (
        "arn:aws:xray:us-east-1:123456789012:sampling-rule/orders"
    )

    xray.update_sampling_rule(SamplingRuleUpdate={"RuleName": "orders", "FixedRate": 0.5})
    records = xray.get_sampling_rules()["SamplingRuleRecords"]
    assert [r["SamplingRule"]["RuleName"] for r in records] == ["orders", "Default"]
    assert records[0]["SamplingRule"]["FixedRate"] == 0.5
    assert records[0]["SamplingRule"]["ReservoirSize"] == 2

    xray.delete_sampling_rule(RuleName="orders")
    assert len(xray.get_sampling_rules()["SamplingRuleRecords"]) == 1


def test_duplicate_rules_and_deleting_the_default_rule_are_refused(xray: XRayClient) -> None:
    xray.create_sampling_rule(SamplingRule=RULE)

    attempts: list[Callable[[], object]] = [
        lambda: xray.create_sampling_rule(SamplingRule=RULE),
        lambda: xray.delete_sampling_rule(RuleName="Default"),
        lambda: xray.update_sampling_rule(SamplingRuleUpdate={"RuleName": "missing"}),
    ]
    for attempt in attempts:
        with pytest.raises(ClientError) as caught:
            attempt()
        assert error_code(caught.value) == "InvalidRequestException"


def test_tags_given_at_creation_are_stored(xray: XRayClient) -> None:
    tags: list[TagTypeDef] = [{"Key": "team", "Value": "orders"}]
    group = xray.create_group(GroupName="orders", FilterExpression="fault", Tags=tags)["Group"]
    rule = xray.create_sampling_rule(SamplingRule=RULE, Tags=tags)["SamplingRuleRecord"]

    for arn in (group["GroupARN"], rule["SamplingRule"]["RuleARN"]):
        assert xray.list_tags_for_resource(ResourceARN=arn)["Tags"] == tags


def test_groups_and_rules_can_be_tagged_and_untagged(xray: XRayClient) -> None:
    arn = xray.create_group(GroupName="orders", FilterExpression="fault")["Group"]["GroupARN"]

    xray.tag_resource(
        ResourceARN=arn, Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "prod"}]
    )
    xray.untag_resource(ResourceARN=arn, TagKeys=["team"])

    assert xray.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_tagging_an_unknown_group_is_not_found(xray: XRayClient) -> None:
    arn = "arn:aws:xray:us-east-1:123456789012:group/missing/ABC"

    with pytest.raises(ClientError) as caught:
        xray.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}])

    assert error_code(caught.value) == "ResourceNotFoundException"


def test_trace_segments_still_reach_moto(xray: XRayClient) -> None:
    now = time.time()
    segment = {
        "name": "orders",
        "id": "70de5b6f19ff9a0a",
        "trace_id": "1-581cf771-a006649127e371903a2de979",
        "start_time": now,
        "end_time": now + 0.1,
    }

    sent = xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(segment)])

    assert sent["UnprocessedTraceSegments"] == []
