"""Suffix rules and name limits, as tables."""

from __future__ import annotations

import pytest

from reconciler.desired.model import StackSpec
from reconciler.desired.names import NamedTemplate, check_names, longest_suffix, validate_suffix
from reconciler.errors import InputError
from reconciler.expand import name_checks
from reconciler.expand.lambda_ import FUNCTION


@pytest.mark.parametrize("suffix", ["a", "pr42", "feature-x1", "a" * 21])
def test_valid_suffixes_are_accepted(small: StackSpec, suffix: str) -> None:
    validate_suffix(suffix)
    check_names(suffix, name_checks(small))


@pytest.mark.parametrize(
    ("suffix", "message"),
    [
        ("", "suffix is empty"),
        ("PR42", "lowercase letters"),
        ("4pr", "starting with a letter"),
        ("pr_42", "lowercase letters"),
        ("pr 42", "lowercase letters"),
        ("pr42-", "trailing or doubled hyphens"),
        ("pr--42", "trailing or doubled hyphens"),
        ("pr.42", "lowercase letters"),
    ],
)
def test_invalid_suffixes_are_refused_with_the_reason(suffix: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        validate_suffix(suffix)


def test_the_tightest_limit_decides_the_longest_suffix(small: StackSpec) -> None:
    # "small-{suffix}" must fit X-Ray's 32 characters: 32 - 6 = 26; "small-boundary-" and
    # "worker-role-" are far from IAM's limits, the alarm "worker-errors-" from CloudWatch's.
    assert longest_suffix(name_checks(small)) == 26


def test_a_too_long_suffix_names_the_resource_that_would_break(small: StackSpec) -> None:
    with pytest.raises(InputError) as caught:
        check_names("a" * 27, name_checks(small))
    message = str(caught.value)
    assert f"X-Ray group name 'small-{'a' * 27}' (xray_group.name)" in message
    assert "limit 32" in message and "longest suffix allowed is 26" in message
    assert "\n" not in message


def test_every_named_kind_of_the_stack_is_checked(small: StackSpec) -> None:
    services = {check.rule.service_name for check in name_checks(small)}
    assert services == {
        "DynamoDB table",
        "SQS queue",
        "Lambda layer",
        "CloudWatch log group",
        "IAM policy",
        "IAM role",
        "Lambda function",
        "CloudWatch alarm",
        "X-Ray group",
        "CloudWatch dashboard",
    }


def test_names_are_reported_in_the_order_of_their_keys(small: StackSpec) -> None:
    wheres = [check.where for check in name_checks(small)]
    assert wheres == sorted(wheres)
    assert wheres.index("functions.worker.name") < wheres.index(
        "functions.worker.name (its log group)"
    )


def test_a_name_that_does_not_end_with_the_suffix_is_refused() -> None:
    assert FUNCTION.rule is not None
    bad = [NamedTemplate(FUNCTION.rule, "{suffix}-api", "functions.api")]
    with pytest.raises(InputError, match=r"functions.api: name '\{suffix\}-api' must end with"):
        check_names("pr42", bad)


def test_characters_a_service_does_not_allow_are_refused() -> None:
    assert FUNCTION.rule is not None
    bad = [NamedTemplate(FUNCTION.rule, "my.fn-{suffix}", "functions.api.name")]
    with pytest.raises(InputError, match=r"Lambda function name 'my\.fn-pr42' .* does not allow"):
        check_names("pr42", bad)
