"""What is derived from the kind descriptors: the services a run loads, the quotas it paces
at, the local AWS's tagging-on-create check and the cost of each kind (pure).

A kind of a service no kind used before (EventBridge Scheduler, here made up in the test)
brings its quotas and its tagging with it: nothing else in the tree names it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciler.aws.pacing import QUOTAS, SHARED, bucket_of, quota_of
from reconciler.aws.services import NAMES, RUN_OWN, SERVICES, quotas_of, services_of
from reconciler.cost.estimate import estimate
from reconciler.expand.catalog import KINDS
from reconciler.expand.kind import ANY, Kind, Quota, Service, no_names
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.sandbox.iam.authz import _TAG_ON_CREATE, tagged_creates

SCHEDULER = Service(
    "scheduler",
    (
        Quota("scheduler", "CreateSchedule", 4, "test"),
        Quota("scheduler", ANY, 8, "test"),
    ),
)
SCHEDULE = Kind(
    key="scheduler.schedule",
    service=SCHEDULER,
    names=no_names,
    build=lambda _: [],
    actions=("scheduler:CreateSchedule", "scheduler:TagResource"),
    creates=("CreateSchedule", "Tags"),
)


def test_every_service_a_kind_calls_is_loaded_and_paced() -> None:
    named = {a.split(":")[0] for k in KINDS for a in (*k.actions, *k.listing)}
    assert named <= set(NAMES)
    assert {k.service.name for k in KINDS} | {s.name for s in RUN_OWN} == set(NAMES)
    # Each service is paced by its own quotas, and every service has a `*` one.
    for service in SERVICES:
        assert service.quotas, service.name
        assert all(q.service == service.name for q in service.quotas)
        assert quota_of(service.name, "SomeOperation").operation == ANY
    assert quotas_of(SERVICES) == QUOTAS
    assert {"iam", "lambda"} == SHARED
    assert quota_of("lambda", "GetFunction").per_second == 100


def test_a_new_kind_brings_its_service_quotas_and_tagging_with_it() -> None:
    services = services_of((*KINDS, SCHEDULE))
    assert SCHEDULER in services
    table = quotas_of(services)
    assert bucket_of("scheduler", "CreateSchedule", table) == ("scheduler: CreateSchedule", 4)
    assert quota_of("scheduler", "DeleteSchedule", table).per_second == 8
    tagged = tagged_creates((*KINDS, SCHEDULE))
    assert tagged[("scheduler", "CreateSchedule")] == ("scheduler:TagResource", "Tags")


def test_the_local_aws_knows_the_tagging_of_every_kind_created_with_tags() -> None:
    assert _TAG_ON_CREATE == {
        ("lambda", "CreateFunction"): ("lambda:TagResource", "Tags"),
        ("iam", "CreateRole"): ("iam:TagRole", "Tags"),
        ("iam", "CreatePolicy"): ("iam:TagPolicy", "Tags"),
        ("logs", "CreateLogGroup"): ("logs:TagResource", "tags"),
        ("sqs", "CreateQueue"): ("sqs:TagQueue", "tags"),
        ("dynamodb", "CreateTable"): ("dynamodb:TagResource", "Tags"),
        ("cloudwatch", "PutMetricAlarm"): ("cloudwatch:TagResource", "Tags"),
        ("xray", "CreateGroup"): ("xray:TagResource", "Tags"),
        ("application-autoscaling", "RegisterScalableTarget"): (
            "application-autoscaling:TagResource",
            "Tags",
        ),
    }


@pytest.mark.parametrize("kind", KINDS, ids=[k.key for k in KINDS])
def test_a_kind_created_with_tags_names_its_tagging_action(kind: Kind) -> None:
    if kind.creates is not None:
        assert kind.tag_action is not None and kind.tag_action in kind.actions


def test_cost_comes_from_each_kinds_charge_and_usage() -> None:
    function = ResourceId("lambda.function", "pay-x")
    pc = ResourceId("lambda.provisioned_concurrency", "pay-x:live")
    alarm = ResourceId("cloudwatch.alarm", "pay-errors-x")
    fn_fields = {
        "memory_mb": 1024,
        "architecture": "arm64",
        "tracing": "Active",
        "tags": {"CostCenter": "payments"},
    }
    resources = [
        Resource(function, fn_fields),
        Resource(pc, {"count": 5}, payload={"function": "pay-x"}),
        Resource(alarm, {"period_s": 10, "tags": {"CostCenter": "ops"}}),
    ]
    live = {function: Live(fn_fields), pc: Live({"count": 2}), alarm: None}
    got = estimate(resources, live, "us-east-1")
    [capacity, watched] = got.lines
    # 5 x 1 GB x 730 h x 3600 s at $0.0000033334 a GB-second (arm64): $43.80.
    assert capacity.item == "provisioned concurrency" and capacity.cost_center == "payments"
    assert capacity.after.quantity == Decimal(5 * 730 * 3600)
    assert capacity.after.detail == "5 x 1 GB x 730 h, arm64"
    assert round(capacity.after.monthly or 0, 2) == Decimal("43.80")
    assert capacity.now.quantity == Decimal(2 * 730 * 3600)
    assert watched.item == "alarm" and watched.cost_center == "ops"
    assert watched.after.detail == "1 high_resolution alarm" and watched.now.detail == "none"
    usage = {u.item: u.names for u in got.usage}
    assert usage == {
        "lambda.requests": ("pay-x",),
        "lambda.duration.arm64": ("pay-x",),
        "lambda.provisioned_duration.arm64": ("pay-x:live",),
        "xray.traces": ("pay-x",),
    }
