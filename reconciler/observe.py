"""Observe stage: read live state of every desired resource, in parallel (reads only)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from reconciler.adapters import adapter_for
from reconciler.adapters.base import Context
from reconciler.resources import Live, Resource, ResourceId


def observe(
    ctx: Context, resources: Sequence[Resource], workers: int
) -> dict[ResourceId, Live | None]:
    """Live state by resource id (None: does not exist). Reads are independent: run them at once."""

    def read(resource: Resource) -> tuple[ResourceId, Live | None]:
        return resource.id, adapter_for(resource.id.kind).read(ctx, resource)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return dict(pool.map(read, interleaved(resources)))


def interleaved(resources: Sequence[Resource]) -> list[Resource]:
    """One of each kind in turn: every service's quota drains at once, instead of all workers
    queueing for one service's tokens while the others' sit idle."""
    by_kind: dict[str, list[Resource]] = {}
    for resource in resources:
        by_kind.setdefault(resource.id.kind, []).append(resource)
    queues = list(by_kind.values())
    longest = max((len(q) for q in queues), default=0)
    return [q[i] for i in range(longest) for q in queues if i < len(q)]
