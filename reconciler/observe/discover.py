"""Observe stage: find what a suffix owns by listing each service (reads only).

The desired state says what should exist; discovery finds what does, by tags, so that a
resource dropped from the TOML last month is still removed, and nothing untagged is touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.adapters import ADAPTERS
from reconciler.adapters.base import Context, Discoverer, DiscoveryScope, Found
from reconciler.expand.ownership import owned_by, stack_of
from reconciler.expand.resources import Live, Resource, ResourceId


@dataclass(frozen=True)
class Discovery:
    """Owned resources the desired state does not name, and ones whose tags were unreadable."""

    orphans: tuple[Resource, ...]
    live: dict[ResourceId, Live | None]
    unreadable: tuple[ResourceId, ...]


def discoverers() -> list[Discoverer]:
    return [a for a in ADAPTERS.values() if hasattr(a, "discover")]  # type: ignore[misc]


def discover(ctx: Context, scope: DiscoveryScope, workers: int) -> list[Found]:
    """Every candidate of every service, listed at once (one list call per service)."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        groups = pool.map(lambda d: d.discover(ctx, scope), discoverers())
        return [item for group in groups for item in group]


def classify(found: Iterable[Found], suffix: str, stacks: Sequence[str] | None) -> Discovery:
    """Keep what this suffix owns (in these stacks, or any when None); fail closed."""
    orphans: list[Resource] = []
    live: dict[ResourceId, Live | None] = {}
    unreadable: list[ResourceId] = []
    for item in found:
        if item.tags is None:
            unreadable.append(item.id)
        elif owned_by(item.tags, suffix) and (stacks is None or stack_of(item.tags) in stacks):
            tags = dict(item.tags)
            orphans.append(Resource(item.id, {"tags": tags}, stack=stack_of(tags)))
            live[item.id] = Live({"tags": tags})
    return Discovery(tuple(orphans), live, tuple(unreadable))
