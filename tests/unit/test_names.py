"""Suffix rules and name limits, as tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.load import load_stack
from reconciler.desired.names import NamedTemplate, check_names, longest_suffix, validate_suffix
from reconciler.errors import InputError
from reconciler.expand import name_checks
from reconciler.expand.lambda_ import FUNCTION

STACK = load_stack(Path(__file__).parents[2] / "desired_state" / "transactions.toml")
TEMPLATES = name_checks(STACK)


@pytest.mark.parametrize("suffix", ["a", "pr42", "feature-x1", "a" * 19])
def test_valid_suffixes_are_accepted(suffix: str) -> None:
    validate_suffix(suffix)
    check_names(suffix, TEMPLATES)


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


def test_the_xray_group_decides_the_longest_suffix_of_the_transactions_stack() -> None:
    # "transactions-{suffix}" must fit X-Ray's 32 characters: 32 - 13 = 19.
    assert longest_suffix(TEMPLATES) == 19


def test_a_too_long_suffix_names_the_resource_that_would_break() -> None:
    with pytest.raises(InputError) as caught:
        check_names("a" * 20, TEMPLATES)
    message = str(caught.value)
    assert "X-Ray group name 'transactions-aaaaaaaaaaaaaaaaaaaa'" in message
    assert "limit 32" in message
    assert "longest suffix allowed is 19" in message
    assert "\n" not in message


def test_a_name_that_does_not_end_with_the_suffix_is_refused() -> None:
    assert FUNCTION.rule is not None
    bad = [NamedTemplate(FUNCTION.rule, "{suffix}-api", "functions.api")]
    with pytest.raises(InputError, match=r"functions.api: name '\{suffix\}-api' must end with"):
        check_names("pr42", bad)
