"""GetAccountAuthorizationDetails as AWS pages it: moto answers every entity at once.

AWS returns the account's users, groups, roles and policies in that order, at most
`MaxItems` (1 to 1000, default 100) entities a page, each page but the last with
`IsTruncated` and a `Marker` to ask for the next; its documents are URL-encoded. The
`iam_details_lag_seconds` knob makes the answers as old as that (eventual consistency).
"""

from __future__ import annotations

import base64
import binascii
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from reconciler.sandbox.iam.policies import IAM, url_encode_documents
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import query_error
from reconciler.sandbox.wire.wsgi import Response
from reconciler.sandbox.wire.xml_body import add_child, edited, local_name, named

MAX_ITEMS = 1000
DEFAULT_ITEMS = 100
# The lists a page draws from, in AWS's order.
_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


class AuthorizationDetails:
    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        # Per account and filter: when moto's whole answer was taken, and the answer.
        self._taken: dict[tuple[str, str], tuple[float, Response]] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield IAM, "GetAccountAuthorizationDetails", self._details

    def reset(self) -> None:
        with self._ctx.lock:
            self._taken.clear()

    def _details(self, call: Call, forward: Forward) -> Response:
        form = call.form()
        raw = form.get("MaxItems") or str(DEFAULT_ITEMS)
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ITEMS:
            return query_error(
                "ValidationError",
                400,
                f"1 validation error detected: Value '{raw}' at 'maxItems' failed to satisfy "
                f"constraint: Member must have value between 1 and {MAX_ITEMS}",
            )
        start = _start(form.get("Marker"))
        if start is None:
            return query_error("InvalidInput", 400, "Invalid Marker.")
        whole = self._whole(call, forward)
        return edited(whole, lambda root: _page(root, start, int(raw)))

    def _whole(self, call: Call, forward: Forward) -> Response:
        """moto's answer of every entity, now or as it was within the lag knob's seconds."""
        form = call.form()
        key = (call.account, ",".join(v for k, v in sorted(form.items()) if "Filter" in k))
        lag = self._ctx.knobs().iam_details_lag_seconds
        with self._ctx.lock:
            taken = self._taken.get(key)
        now = time.monotonic()
        if taken is not None and lag > 0 and now - taken[0] < lag:
            return taken[1]
        answer = forward(call)
        if answer.ok:
            with self._ctx.lock:
                self._taken[key] = (now, answer)
        return answer


def _page(root: ET.Element, start: int, size: int) -> None:
    url_encode_documents(root)
    result = next(named(root, "GetAccountAuthorizationDetailsResult"))
    members = [
        (parent, member)
        for name in _LISTS
        for parent in result
        if local_name(parent.tag) == name
        for member in list(parent)
    ]
    for index, (parent, member) in enumerate(members):
        if not start <= index < start + size:
            parent.remove(member)
    truncated = start + size < len(members)
    for flag in [c for c in result if local_name(c.tag) in ("IsTruncated", "Marker")]:
        result.remove(flag)
    add_child(result, "IsTruncated", "true" if truncated else "false")
    if truncated:
        add_child(result, "Marker", _marker(start + size))


def _marker(index: int) -> str:
    return base64.urlsafe_b64encode(f"details:{index}".encode()).decode()


def _start(marker: str | None) -> int | None:
    """Where the page a marker asks for starts; None for a marker this layer never gave."""
    if not marker:
        return 0
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    prefix, _, index = text.partition(":")
    return int(index) if prefix == "details" and index.isdigit() else None
