"""Observe stage: find what a suffix owns by listing each service (reads only).

The desired state says what should exist; discovery finds what does, by tags, so that a
resource dropped from the TOML last month is still removed, and nothing untagged is touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.adapters import REGISTRY
from reconciler.adapters.base import Context, Discoverer, Found, Scope
from reconciler.expand.resources import OWNER, Live, Resource, ResourceId


@dataclass(frozen=True)
class Discovery:
    """Owned resources the desired state does not name, and ones whose tags were unreadable."""

    orphans: tuple[Resource, ...]
    live: dict[ResourceId, Live | None]
    unreadable: tuple[ResourceId, ...]


def discoverers() -> list[Discoverer]:
    return [a for a in REGISTRY.values() if hasattr(a, "discover")]  # type: ignore[misc]


def discover(ctx: Context, scope: Scope, workers: int) -> list[Found]:
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
        elif _owned(item.tags, suffix) and (stacks is None or item.tags.get("Stack") in stacks):
            tags = dict(item.tags)
            orphans.append(Resource(item.id, {"tags": tags}, stack=tags.get("Stack", "")))
            live[item.id] = Live({"tags": tags})
    return Discovery(tuple(orphans), live, tuple(unreadable))


def _owned(tags: dict[str, str] | object, suffix: str) -> bool:
    return (
        isinstance(tags, dict)
        and tags.get("ManagedBy") == OWNER
        and tags.get("EnvironmentSuffix") == suffix
    )
