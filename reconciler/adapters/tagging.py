"""Tags in bulk: one Resource Groups Tagging API listing per snapshot answers the tags of every
kind it covers (`Kind.tags_listed`), instead of one tag read per resource.

The listing is eventually consistent, so it is trusted only for what it says and only for
reading: a resource it does not return (created moments ago, tagged by hand since, not ours)
is read directly, and before any write the tags it answered are read again from each
resource (pipeline._confirmed): a disagreement re-plans from the direct reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial

import structlog
from botocore.exceptions import ClientError

from reconciler.adapters.base import (
    Context,
    DiscoveryScope,
    Found,
    error_code,
    found,
    paginate,
    tag_map,
)
from reconciler.expand.catalog import KINDS
from reconciler.expand.ownership import MANAGED_BY, OWNER, SUFFIX
from reconciler.expand.resources import ResourceId

log = structlog.get_logger()
LISTED = frozenset(kind.key for kind in KINDS if kind.tags_listed)
# The most GetResources returns in one page.
PAGE = 100


def tags_of(
    ctx: Context, rid: ResourceId, arn: str, direct: Callable[[], Mapping[str, str]]
) -> dict[str, str]:
    """`rid`'s tags: from the snapshot's listing when it holds `arn`, else `direct()`."""
    listings = ctx.listings
    if listings is None or not listings.bulk or rid.kind not in LISTED:
        return dict(direct())
    got = _listing(ctx).get(arn)
    if got is None:
        return dict(direct())
    listings.answered(rid, lambda: dict(direct()) == got)
    return dict(got)


def discovered(
    ctx: Context,
    kind: str,
    scope: DiscoveryScope,
    listed: Iterable[tuple[str, str]],
    read_tags: Callable[[str], Mapping[str, str]],
    *,
    arn_of: Callable[[str, str], str] | None = None,
) -> list[Found]:
    """What a service's listing of `(name, key)` holds for the scope, each with its tags from
    the bulk listing or read by `read_tags(key)`; `arn_of(name, key)` where the key is not
    the ARN (a queue's URL)."""
    return [
        found(
            kind,
            name,
            partial(
                tags_of,
                ctx,
                ResourceId(kind, name),
                key if arn_of is None else arn_of(name, key),
                partial(read_tags, key),
            ),
        )
        for name, key in listed
        if scope.wants(kind, name)
    ]


def _listing(ctx: Context) -> dict[str, dict[str, str]]:
    """Every resource of ours in the account-region (a fleet's shared snapshot), or of this
    suffix alone: ARN -> tags."""
    ours = [{"Key": MANAGED_BY, "Values": [OWNER]}]
    if not ctx.shared:
        ours.append({"Key": SUFFIX, "Values": [ctx.target.suffix]})
    tagging = ctx.client("resourcegroupstaggingapi")

    def load() -> dict[str, dict[str, str]]:
        try:
            pages = paginate(
                tagging,
                "get_resources",
                "ResourceTagMappingList",
                TagFilters=ours,
                ResourcesPerPage=PAGE,
            )
        except ClientError as exc:
            # Not allowed, or not served (an emulator without it): each resource is read.
            log.warning("tagging.unavailable", code=error_code(exc))
            return {}
        return {m["ResourceARN"]: tag_map(m.get("Tags", [])) for m in pages}

    return ctx.listed("tagging.resources", load)
