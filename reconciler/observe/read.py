"""Observe stage: read live state of every desired resource, in parallel (reads only)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from reconciler.adapters import adapter_for
from reconciler.adapters.base import Context
from reconciler.expand.resources import Live, Resource, ResourceId


def observe(
    ctx: Context, resources: Sequence[Resource], workers: int
) -> dict[ResourceId, Live | None]:
    """Live state by resource id (None: does not exist). Reads are independent: run them at once."""

    def read(resource: Resource) -> tuple[ResourceId, Live | None]:
        return resource.id, adapter_for(resource.id.kind).read(ctx, resource)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return dict(pool.map(read, resources))
