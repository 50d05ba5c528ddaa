"""Least privilege across a fleet: the hub assumes exactly its roles, each role may do what its
targets' runs need (their suffixes and regions only) and trusts the hub alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.desired.model import SecretRef, StackSpec
from reconciler.errors import InputError
from reconciler.fleet.model import Fleet, FleetTarget
from reconciler.output.fleet_policy import MANAGED_POLICY_LIMIT, fleet_policies, hub_principal

HUB = "arn:aws:iam::111111111111:role/hub"
SPOKE = "arn:aws:iam::222222222222:role/lambda-reconciler"
EXTERNAL = SecretRef("env", "FLEET_EXTERNAL_ID")


def _target(
    account: str, region: str, suffix: str, role: str | None, external: SecretRef | None = None
) -> FleetTarget:
    return FleetTarget(account, region, suffix, "dev", ("small",), role, external)


def _statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def _resources(statement: dict[str, Any]) -> list[str]:
    value = statement["Resource"]
    return value if isinstance(value, list) else [value]


FLEET = Fleet(
    (
        _target("111111111111", "us-east-1", "pr1", None),
        _target("222222222222", "us-east-1", "stg", SPOKE, EXTERNAL),
        _target("222222222222", "eu-west-1", "dr", SPOKE, EXTERNAL),
        _target("333333333333", "us-east-1", "prod", "arn:aws:iam::333333333333:role/ops/r"),
    )
)


def test_the_hub_assumes_exactly_the_fleets_roles(small: StackSpec) -> None:
    got = fleet_policies(FLEET, lambda _: [small], HUB)
    assert got["hub"]["principal"] == HUB
    (assume,) = got["hub"]["policies"]["assume-fleet-roles"]["Statement"]
    assert assume["Action"] == ["sts:AssumeRole"]
    assert _resources(assume) == [
        "arn:aws:iam::222222222222:role/lambda-reconciler",
        "arn:aws:iam::333333333333:role/ops/r",
    ]
    # The target with no role runs as the hub: the hub may do its run, in its account only.
    reconcile = _statements(got["hub"]["policies"]["reconcile"])
    assert _resources(reconcile["LambdaFunction"]) == [
        "arn:aws:lambda:us-east-1:111111111111:function:worker-pr1",
        "arn:aws:lambda:us-east-1:111111111111:function:worker-pr1:*",
    ]


def test_a_role_may_do_its_targets_runs_and_no_other(small: StackSpec) -> None:
    got = fleet_policies(FLEET, lambda _: [small], HUB)
    spoke = next(r for r in got["roles"] if r["role_arn"] == SPOKE)
    assert spoke["targets"] == ["222222222222/us-east-1/stg", "222222222222/eu-west-1/dr"]
    statements = _statements(spoke["policy"])
    assert _resources(statements["LambdaFunction"]) == [
        "arn:aws:lambda:eu-west-1:222222222222:function:worker-dr",
        "arn:aws:lambda:eu-west-1:222222222222:function:worker-dr:*",
        "arn:aws:lambda:us-east-1:222222222222:function:worker-stg",
        "arn:aws:lambda:us-east-1:222222222222:function:worker-stg:*",
    ]
    # Each region's lease table, in the role's own account.
    assert _resources(statements["Lease"]) == [
        "arn:aws:dynamodb:eu-west-1:222222222222:table/lambda-reconciler-locks",
        "arn:aws:dynamodb:us-east-1:222222222222:table/lambda-reconciler-locks",
    ]
    text = json.dumps(spoke["policy"])
    assert "111111111111" not in text and "333333333333" not in text and "pr1" not in text


def test_a_role_trusts_the_hub_with_the_external_id_as_a_placeholder(small: StackSpec) -> None:
    got = fleet_policies(FLEET, lambda _: [small], HUB)
    spoke, other = got["roles"]
    (trust,) = spoke["trust_policy"]["Statement"]
    assert trust["Principal"] == {"AWS": HUB} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"sts:ExternalId": "<the value of env:FLEET_EXTERNAL_ID>"}
    }
    (trust,) = other["trust_policy"]["Statement"]
    assert "Condition" not in trust


def test_many_suffixes_on_one_role_stay_under_the_managed_policy_limit(
    small: StackSpec,
) -> None:
    many = Fleet(tuple(_target("222222222222", "us-east-1", f"pr{n}", SPOKE) for n in range(300)))
    (role,) = fleet_policies(many, lambda _: [small], HUB)["roles"]
    size = len(json.dumps(role["policy"], separators=(",", ":")))
    assert size <= MANAGED_POLICY_LIMIT
    assert "arn:aws:lambda:us-east-1:222222222222:function:worker-*" in _resources(
        _statements(role["policy"])["LambdaFunction"]
    )


def test_the_hub_is_a_role_or_an_account() -> None:
    assert hub_principal("111111111111") == "arn:aws:iam::111111111111:root"
    assert hub_principal(HUB) == HUB
    with pytest.raises(InputError, match="expected an IAM role ARN"):
        hub_principal("hub")
