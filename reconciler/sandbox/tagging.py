"""The Resource Groups Tagging API's GetResources over every tagged resource of an account and
region: moto's services' own tags, and the tags this layer keeps where moto keeps none
(CloudWatch alarms and dashboards, X-Ray groups, scalable targets).

As AWS's: tag filters AND together, a filter's values OR (none: the key is present);
resource type filters are `service` or `service:type`; untagged resources are not listed;
`ResourcesPerPage` is 1 to 100 and a page ends with a `PaginationToken` until the last.
The Tagging API is eventually consistent: the `tagging_lag_seconds` knob makes its answers
as old as that (a snapshot reused until it is older), to prove callers never act on it alone.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from moto.core.resource_tagging import iter_taggable_backends

from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import json_error
from reconciler.sandbox.wire.tags import tag_list
from reconciler.sandbox.wire.wsgi import Response, json_response

SERVICE = "resourcegroupstaggingapi"
MAX_PER_PAGE = 100
# The services whose tags this layer keeps itself: moto's copy of them is not AWS's.
_KEPT_HERE = {"cloudwatch"}


@dataclass(frozen=True)
class Tagged:
    arn: str
    tags: Mapping[str, str]

    @property
    def types(self) -> tuple[str, str]:
        """(`service`, `service:type`) as ResourceTypeFilters name them."""
        parts = self.arn.split(":", 5)
        service, rest = parts[2], parts[5] if len(parts) > 5 else ""
        kind = rest.replace("/", ":").split(":", 1)[0] if ("/" in rest or ":" in rest) else ""
        return service, f"{service}:{kind}" if kind else service


class TagSource(Protocol):
    def tagged(self, account: str, region: str) -> Iterable[Tagged]: ...


class Tagging:
    """GetResources, answered from every source of tags."""

    def __init__(self, context: LayerContext, sources: Iterable[TagSource]) -> None:
        self._ctx = context
        self._sources = tuple(sources)
        self._snapshots: dict[tuple[str, str], tuple[float, tuple[Tagged, ...]]] = {}
        self._pages: dict[str, list[Tagged]] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield SERVICE, "GetResources", self._get_resources

    def reset(self) -> None:
        with self._ctx.lock:
            self._snapshots.clear()
            self._pages.clear()

    def _get_resources(self, call: Call, forward: Forward) -> Response:
        request = call.json()
        per_page = int(request.get("ResourcesPerPage") or 50)
        if not 1 <= per_page <= MAX_PER_PAGE:
            return _invalid(f"ResourcesPerPage must be between 1 and {MAX_PER_PAGE}")
        token = str(request.get("PaginationToken") or "")
        with self._ctx.lock:
            if token:
                left = self._pages.pop(token, None)
                if left is None:
                    return _invalid("PaginationToken is expired or not valid", expired=True)
            else:
                filters = request.get("TagFilters") or []
                wanted = _matcher(filters, request.get("ResourceTypeFilters"))
                left = [t for t in self._snapshot(call.account, call.region) if wanted(t)]
            page, rest = left[:per_page], left[per_page:]
            following = ""
            if rest:
                following = uuid.uuid4().hex
                self._pages[following] = rest
        listed = [{"ResourceARN": t.arn, "Tags": tag_list(t.tags)} for t in page]
        return json_response(200, {"ResourceTagMappingList": listed, "PaginationToken": following})

    def _snapshot(self, account: str, region: str) -> tuple[Tagged, ...]:
        """Every tagged resource now, or as it was within the lag knob's seconds."""
        lag = self._ctx.knobs().tagging_lag_seconds
        taken = self._snapshots.get((account, region))
        now = time.monotonic()
        if taken is not None and lag > 0 and now - taken[0] < lag:
            return taken[1]
        fresh = tuple(
            sorted((t for t in self._everything(account, region) if t.tags), key=lambda t: t.arn)
        )
        self._snapshots[(account, region)] = (now, fresh)
        return fresh

    def _everything(self, account: str, region: str) -> Iterable[Tagged]:
        for backend in iter_taggable_backends(account, region):
            for resource in backend.iter_tagged_resources():
                if resource.arn.split(":")[2] not in _KEPT_HERE:
                    yield Tagged(resource.arn, dict(resource.tags))
        for source in self._sources:
            yield from source.tagged(account, region)


def _matcher(filters: list[dict[str, Any]], types: list[str] | None) -> Callable[[Tagged], bool]:
    def wanted(item: Tagged) -> bool:
        if types and not set(item.types) & set(types):
            return False
        for each in filters:
            key, values = str(each.get("Key", "")), each.get("Values") or []
            if key not in item.tags or (values and item.tags[key] not in values):
                return False
        return True

    return wanted


def _invalid(message: str, expired: bool = False) -> Response:
    code = "PaginationTokenExpiredException" if expired else "InvalidParameterException"
    return json_error(code, 400, message)
