"""Diff: desired x live -> field changes, normalised, secrets marked (pure tables)."""

from __future__ import annotations

import json

import pytest

from reconciler.expand.resources import Resource
from reconciler.planning.diff import FieldChange, creation_changes, diff_fields
from tests.fixtures.small_stack import SECRET, live_of, of_kind


@pytest.fixture(scope="module")
def function(resources: tuple[Resource, ...]) -> Resource:
    return of_kind(resources, "lambda.function")


@pytest.fixture(scope="module")
def role(resources: tuple[Resource, ...]) -> Resource:
    return of_kind(resources, "iam.role")


def test_a_converged_resource_has_no_changes(resources: tuple[Resource, ...]) -> None:
    for resource in resources:
        assert diff_fields(resource, live_of(resource)) == (), resource.id


TAGS = {
    "Team": "unit",
    "ManagedBy": "lambda-reconciler",
    "EnvironmentSuffix": "u1",
    "Stack": "small",
}


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"memory_mb": 512}, [FieldChange("memory_mb", 512, 256)]),
        (
            {"kms_key_arn": "arn:aws:kms:us-east-1:1:key/k"},
            [FieldChange("kms_key_arn", "arn:aws:kms:us-east-1:1:key/k", None)],
        ),
        ({"tags": {**TAGS, "Team": "other"}}, [FieldChange("tags.Team", "other", "unit")]),
        ({"tags": {**TAGS, "aws:cloudformation:stack": "x"}}, []),
        (
            {"environment": {"TABLE": "items-u1", "TOKEN": SECRET, "EXTRA": "1"}},
            [FieldChange("environment.EXTRA", "1", None)],
        ),
    ],
)
def test_one_changed_field_gives_exactly_that_change(
    function: Resource, override: dict[str, object], expected: list[FieldChange]
) -> None:
    assert list(diff_fields(function, live_of(function, **override))) == expected


def test_a_changed_secret_is_marked_sensitive_and_shown_masked(function: Resource) -> None:
    env = {**function.fields["environment"], "TOKEN": "old-token-value"}
    (change,) = diff_fields(function, live_of(function, environment=env))
    assert change.path == "environment.TOKEN" and change.sensitive
    assert change.masked(change.old) == "(sensitive)" and change.masked(change.new) == "(sensitive)"
    assert change.masked(None) is None


def test_a_created_resource_lists_every_field_with_secrets_marked(function: Resource) -> None:
    changes = {c.path: c for c in creation_changes(function)}
    assert changes["environment.TOKEN"].sensitive and not changes["environment.TABLE"].sensitive
    assert changes["memory_mb"] == FieldChange("memory_mb", None, 256)


def test_policies_written_differently_but_equal_give_no_diff(role: Resource) -> None:
    (name, policy) = next(iter(role.fields["inline_policies"].items()))
    shuffled = {
        "Version": "2012-10-17",
        "Statement": [
            {**s, "Action": sorted((a.upper() for a in s["Action"]), reverse=True), "Sid": "x"}
            if isinstance(s["Action"], list)
            else {**s, "Resource": [s["Resource"]]}
            for s in reversed(policy["Statement"])
        ],
    }
    assert diff_fields(role, live_of(role, inline_policies={name: shuffled})) == ()


def test_an_inline_policy_added_out_of_band_is_drift(role: Resource) -> None:
    extra = {**role.fields["inline_policies"], "sneaky": {"Statement": []}}
    (change,) = diff_fields(role, live_of(role, inline_policies=extra))
    assert change.path == "inline_policies.sneaky" and change.new is None


def test_a_trust_policy_with_a_one_element_principal_list_is_the_same_policy(
    role: Resource,
) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": ["STS:AssumeRole"],
            "Principal": {"Service": ["lambda.amazonaws.com"]},
            "Sid": "",
        },
    }
    assert diff_fields(role, live_of(role, trust_policy=trust)) == ()


def test_tags_and_environment_compare_as_maps_whatever_their_order(function: Resource) -> None:
    tags = dict(reversed(list(function.fields["tags"].items())))
    env = dict(reversed(list(function.fields["environment"].items())))
    assert diff_fields(function, live_of(function, tags=tags, environment=env)) == ()


def test_a_dashboard_body_compares_as_json_whatever_its_text(
    resources: tuple[Resource, ...],
) -> None:
    board = of_kind(resources, "cloudwatch.dashboard")
    text = json.dumps(board.fields["body"], indent=4)
    assert diff_fields(board, live_of(board, body=text)) == ()


def test_an_undeclared_variable_named_like_a_credential_is_never_shown(function: Resource) -> None:
    """A system taken over brings its own secrets: removed, their values still stay hidden."""
    env = {**function.fields["environment"], "PAYMENTS_API_TOKEN": "tok_legacy_42", "DEBUG": "1"}
    changes = {c.path: c for c in diff_fields(function, live_of(function, environment=env))}
    token = changes["environment.PAYMENTS_API_TOKEN"]
    assert token.sensitive and token.masked(token.old) == "(sensitive)"
    assert not changes["environment.DEBUG"].sensitive
