"""Expand stage: the data every later stage passes along, a desired resource and what AWS
has for it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class ResourceId:
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class ComputedFields:
    """Fields computed from another resource's desired fields: computed again when those are
    adopted from live (an alias's version fingerprint follows its function's ignored fields)."""

    source: ResourceId
    compute: Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class Resource:
    """One desired resource: comparable fields, what it needs first, which fields are secret."""

    id: ResourceId
    fields: Mapping[str, Any]
    depends_on: tuple[ResourceId, ...] = ()
    sensitive: frozenset[str] = frozenset()
    # Apply-time inputs that are not compared (e.g. the code zip; its hash is a field).
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Fields AWS cannot change in place: a change means delete and create again.
    replace_on: frozenset[str] = frozenset()
    stack: str = ""
    # Resources whose change makes this one differ after apply (e.g. a new layer version
    # leaves the previous one unused): plan a refresh of this one whenever they change.
    follows: tuple[ResourceId, ...] = ()
    # Derived: nothing of its own in AWS to create or delete, only a state to keep.
    derived: bool = False
    # Field paths (fnmatch patterns) someone else owns: adopted from live, never changed.
    ignore: tuple[str, ...] = ()
    # Created untagged then tagged by a second call (AWS takes no tags at creation): an
    # untagged one identical to ours in every other field is ours, left by a crash between.
    tagged_after_create: bool = False
    computed_from: ComputedFields | None = field(default=None, compare=False, repr=False)
    # What a reviewer must know whenever the plan creates or changes it (a smoke test runs).
    notes: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Live:
    """What AWS has for a resource: the same fields as desired, plus facts used to act."""

    fields: Mapping[str, Any]
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tags(self) -> Mapping[str, str]:
        tags = self.fields.get("tags", {})
        return tags if isinstance(tags, Mapping) else {}
