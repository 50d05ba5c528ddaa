"""Identity-policy enforcement for one access key, switched on by the `enforce_policy` knob.

With the knob empty (the default) every call is allowed, as before. With a policy document in
it, each call made with `enforce_access_key` (or with any key, when that knob is empty) is
checked action by action and refused with the service's AccessDenied error, as AWS does.
"""

from __future__ import annotations

import traceback

from reconciler.sandbox.control.knobs import Knobs
from reconciler.sandbox.iam.authz import Authorization, authorizations
from reconciler.sandbox.iam.evaluate import allowed, parse
from reconciler.sandbox.wire.call import Call
from reconciler.sandbox.wire.errors import aws_error
from reconciler.sandbox.wire.wsgi import Response

# Query-protocol services and SQS answer `AccessDenied`; the JSON ones `AccessDeniedException`.
_CODES = {"iam": "AccessDenied", "sts": "AccessDenied", "sqs": "AccessDenied"}


def needed(call: Call) -> tuple[Authorization, ...]:
    """The call's authorizations; a defect here must not take the request down with it."""
    try:
        return authorizations(call)
    except Exception:
        traceback.print_exc()
        return ()


def refusal(knobs: Knobs, call: Call, needs: tuple[Authorization, ...]) -> Response | None:
    """AWS's AccessDenied answer when the enforced policy does not allow every need."""
    if not knobs.enforce_policy:
        return None
    if knobs.enforce_access_key and call.route.access_key != knobs.enforce_access_key:
        return None
    statements = parse(knobs.enforce_policy)
    for need in needs:
        if not allowed(statements, need):
            return _denied(call, need)
    return None


def _denied(call: Call, need: Authorization) -> Response:
    who = f"arn:aws:iam::{call.account}:user/{call.route.access_key}"
    message = (
        f"User: {who} is not authorized to perform: {need.action} on resource: "
        f"{need.resource} because no identity-based policy allows the {need.action} action"
    )
    code = _CODES.get(call.service, "AccessDeniedException")
    return aws_error(call.route.protocol, code, 403, message)
