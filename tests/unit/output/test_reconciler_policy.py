"""The reconciler's own policy, derived from a stack and the kinds' descriptors (the e2e test
runs both shipped stacks inside the committed one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.desired.model import StackSpec
from reconciler.expand.catalog import KINDS
from reconciler.output.reconciler_policy import PolicyScope, policy
from tests.fixtures import small_stack


def statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_writes_are_scoped_to_the_declared_names_and_suffix(small: StackSpec) -> None:
    got = statements(policy([small], PolicyScope("u1", "111122223333")))
    assert listed(got["LambdaFunction"]["Resource"]) == [
        "arn:aws:lambda:*:111122223333:function:worker-u1",
        "arn:aws:lambda:*:111122223333:function:worker-u1:*",
    ]
    assert got["IamRole"]["Resource"] == "arn:aws:iam::111122223333:role/worker-role-u1"
    assert got["CloudwatchDashboard"]["Resource"] == (
        "arn:aws:cloudwatch::111122223333:dashboard/small-u1"
    )
    assert got["SqsQueue"]["Resource"] == "arn:aws:sqs:*:111122223333:worker-dlq-u1"
    assert "ReadSecrets" not in got


def test_each_kind_gets_the_actions_of_every_kind_its_arns_scope(small: StackSpec) -> None:
    got = statements(policy([small], PolicyScope()))
    function_actions = set(got["LambdaFunction"]["Action"])
    for kind in KINDS:
        if kind.scoped_by == "lambda.function":
            assert set(kind.actions) <= function_actions, kind.key
    assert "lambda:DeleteLayerVersion" in got["LambdaLayer"]["Action"]
    listing = {a for kind in KINDS for a in kind.listing} | {"tag:GetResources"}
    assert got["Discover"] == {
        "Sid": "Discover",
        "Effect": "Allow",
        "Action": sorted(listing),
        "Resource": "*",
    }


def test_a_stack_without_some_kinds_is_granted_nothing_on_them(tmp_path: Path) -> None:
    toml = small_stack.TOML.split("[alarms.errors]")[0]
    spec = small_stack.load(
        tmp_path, toml.replace('[boundary]\nname = "small-boundary-{suffix}"', "")
    )
    got = statements(policy([spec], PolicyScope()))
    assert not {"CloudwatchAlarm", "IamPolicy", "XrayGroup", "CloudwatchDashboard"} & set(got)


def test_pass_role_is_only_to_lambda_and_only_our_roles(small: StackSpec) -> None:
    got = statements(policy([small], PolicyScope()))["PassFunctionRoles"]
    assert got["Action"] == ["iam:PassRole"]
    assert got["Condition"] == {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    assert got["Resource"] == "arn:aws:iam::*:role/worker-role-*"


def test_ssm_secrets_add_exactly_their_parameters(tmp_path: Path) -> None:
    spec = small_stack.load(
        tmp_path, small_stack.TOML.replace('"env:SMALL_TOKEN"', '"ssm:/small/token"')
    )
    got = statements(policy([spec], PolicyScope(region="us-east-1")))
    assert got["ReadSecrets"]["Action"] == ["ssm:GetParameters"]
    assert got["ReadSecrets"]["Resource"] == "arn:aws:ssm:us-east-1:*:parameter/small/token"


def test_regions_of_other_partitions_get_their_partition() -> None:
    assert PolicyScope(region="cn-north-1").arn("sqs", "q") == "arn:aws-cn:sqs:cn-north-1:*:q"
    gov = PolicyScope(region="us-gov-west-1").arn("iam", "role/r", regional=False)
    assert gov == "arn:aws-us-gov:iam::*:role/r"
