"""STS AssumeRole as AWS decides it: the role must exist in its account and trust the caller.

moto hands out credentials for any role ARN, existing or not, trusting anyone. AWS refuses
with AccessDenied unless the role's trust policy has an Allow for `sts:AssumeRole` whose
principal is the caller (its account, or its own ARN) and whose conditions hold; the one
condition a fleet's trust uses is `sts:ExternalId`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import query_error
from reconciler.sandbox.wire.wsgi import Response

ACTION = "sts:AssumeRole"


class TrustPolicies:
    """Refuses an AssumeRole the role's trust policy does not allow."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield "sts", "AssumeRole", self._assume

    def reset(self) -> None:
        """Nothing kept: the roles and their trust live in moto."""

    def _assume(self, call: Call, forward: Forward) -> Response:
        form = call.form()
        arn = form.get("RoleArn", "")
        caller = moto_backends.caller_arn(call.account, call.route.access_key, call.region)
        document = moto_backends.trust_policy(arn)
        if document is None or not trusts(document, caller, form.get("ExternalId")):
            message = f"User: {caller} is not authorized to perform: {ACTION} on resource: {arn}"
            return query_error("AccessDenied", 403, message)
        return forward(call)


def trusts(document: str, caller: str, external_id: str | None) -> bool:
    """Whether a trust policy lets `caller` (an ARN) assume the role; a Deny wins."""
    policy = json.loads(unquote(document)) if document else {}
    matching = [s for s in _statements(policy) if _applies(s, caller, external_id)]
    effects = {str(s.get("Effect")) for s in matching}
    return "Allow" in effects and "Deny" not in effects


def _statements(policy: Any) -> list[dict[str, Any]]:
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    return [statements] if isinstance(statements, dict) else list(statements)


def _applies(statement: dict[str, Any], caller: str, external_id: str | None) -> bool:
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    if not any(a in (ACTION, "sts:*", "*") for a in actions):
        return False
    return _principal_matches(statement.get("Principal"), caller) and _conditions_hold(
        statement.get("Condition", {}), external_id
    )


def _principal_matches(principal: Any, caller: str) -> bool:
    if principal == "*":
        return True
    named = principal.get("AWS", []) if isinstance(principal, dict) else []
    named = [named] if isinstance(named, str) else named
    account = caller.split(":")[4]
    return any(p in ("*", account, f"arn:aws:iam::{account}:root", caller) for p in named)


def _conditions_hold(conditions: dict[str, Any], external_id: str | None) -> bool:
    for operator, tests in conditions.items():
        for key, value in tests.items():
            wanted = [value] if isinstance(value, str) else value
            if key != "sts:ExternalId" or operator != "StringEquals":
                return False  # a condition this layer cannot judge: refuse, as unknown
            if external_id not in wanted:
                return False
    return True
