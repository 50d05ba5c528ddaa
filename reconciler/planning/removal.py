"""Plan stage: what removing a resource of ours means, given where it came from (pure).

What we created goes with its suffix. What existed before us (adopted) and whatever has
deletion protection on is released instead: our tags removed, its data and protection left.
`--include-adopted` deletes what was adopted and is not protected; nothing deletes a protected
resource. What a kept resource needs to run (its role, its log group) is kept with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from reconciler.expand.ownership import ADOPTED, released_tags
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.planning.diff import PROTECTION, FieldChange, diff_fields


@dataclass(frozen=True)
class Removal:
    """How removing resources is decided: with `--include-adopted` or not, on which date."""

    include_adopted: bool = False
    # The date adoptions and releases are recorded with (ISO).
    today: str = ""

    @classmethod
    def today_utc(cls) -> Removal:
        return cls(today=dt.datetime.now(dt.UTC).date().isoformat())


def kept_reason(current: Live, removal: Removal) -> str | None:
    """Why this resource of ours must not be deleted, or None."""
    if current.fields.get(PROTECTION) is True:
        return "deletion protection is on: released, never deleted (its data and protection stay)"
    adopted = current.tags.get(ADOPTED)
    if adopted is None:
        return None
    if removal.include_adopted:
        return None
    return (
        f"adopted {adopted}, it existed before us: released, not deleted "
        "(--include-adopted deletes it)"
    )


def adopted_note(current: Live) -> tuple[str, ...]:
    """What a reviewer must see on the delete of something that existed before us."""
    adopted = current.tags.get(ADOPTED)
    if adopted is None:
        return ()
    return (f"adopted {adopted}: deleted, with its data, because of --include-adopted",)


def released(
    resource: Resource, current: Live, today: str
) -> tuple[Resource, tuple[FieldChange, ...]]:
    """The resource as handed back (its live fields, our tags gone) and the changes to get
    there: tag changes only, so the adapter's own tag calls make them."""
    fields = {**current.fields, "tags": released_tags(current.tags, today)}
    handed_back = replace(resource, fields=fields)
    return handed_back, diff_fields(handed_back, current)


def needed_by_kept(
    resources: Sequence[Resource], kept: set[ResourceId]
) -> dict[ResourceId, ResourceId]:
    """Every resource a kept one depends on, directly or not, with the kept one that needs it."""
    by_id = {r.id: r for r in resources}
    needed: dict[ResourceId, ResourceId] = {}
    for start in sorted(kept):
        stack = [start]
        while stack:
            current = by_id.get(stack.pop())
            for dep in current.depends_on if current else ():
                if dep not in kept and dep not in needed and dep in by_id:
                    needed[dep] = start
                    stack.append(dep)
    return needed


def part_of_kept(resource: Resource, kept: Mapping[ResourceId, str]) -> ResourceId | None:
    """The kept resource an untaggable one (an alias, a mapping) belongs to, if any."""
    return next((dep for dep in resource.depends_on if dep in kept), None)
