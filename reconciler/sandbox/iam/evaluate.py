"""IAM's identity-policy decision for one authorization: an explicit Deny wins, then any Allow.

Supports what identity policies for this project use: Action/NotAction and Resource/NotResource
with `*` and `?` wildcards, and StringEquals/StringLike conditions on the keys a request
supplies. A condition on a key the request does not supply is not met, as in AWS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from reconciler.sandbox.iam.authz import Authorization


class PolicyError(ValueError):
    """A policy document this evaluator cannot read."""


@lru_cache(maxsize=8)
def parse(document: str) -> tuple[dict[str, Any], ...]:
    """The statements of a policy document given as JSON text."""
    try:
        policy = json.loads(document)
        statements = policy["Statement"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PolicyError(f"not an IAM policy document: {exc}") from exc
    if isinstance(statements, dict):
        statements = [statements]
    return tuple(statements)


def allowed(statements: tuple[dict[str, Any], ...], auth: Authorization) -> bool:
    matching = [s for s in statements if _applies(s, auth)]
    if any(s.get("Effect") == "Deny" for s in matching):
        return False
    return any(s.get("Effect") == "Allow" for s in matching)


def _applies(statement: Mapping[str, Any], auth: Authorization) -> bool:
    return (
        _element(statement, "Action", auth.action, fold_case=True)
        and _element(statement, "Resource", auth.resource, fold_case=False)
        and _conditions(statement.get("Condition") or {}, dict(auth.context))
    )


def _element(statement: Mapping[str, Any], name: str, value: str, fold_case: bool) -> bool:
    if name in statement:
        return any(_glob(p, value, fold_case) for p in _listed(statement[name]))
    negated = f"Not{name}"
    if negated in statement:
        return not any(_glob(p, value, fold_case) for p in _listed(statement[negated]))
    return False


def _conditions(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, tests in conditions.items():
        like = operator in ("StringLike",)
        if operator not in ("StringEquals", "StringLike"):
            return False
        for key, wanted in tests.items():
            value = context.get(key)
            if value is None:
                return False
            if not any(_glob(w, value, False) if like else w == value for w in _listed(wanted)):
                return False
    return True


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@lru_cache(maxsize=4096)
def _compiled(pattern: str, fold_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if fold_case else re.DOTALL)


def _glob(pattern: str, value: str, fold_case: bool) -> bool:
    return _compiled(pattern, fold_case).fullmatch(value) is not None
