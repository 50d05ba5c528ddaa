"""Plan stage: field changes -> an ordered list of actions, by dependency (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from reconciler.expand.catalog import BY_KEY, rank
from reconciler.expand.ownership import foreign_owner, owned_by
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.planning.diff import FieldChange, adopt_ignored, diff_fields


class Op(StrEnum):
    CREATE = "create"
    # An existing resource without our tags, taken over with --adopt: tagged, updated in place.
    ADOPT = "adopt"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"

    @property
    def symbol(self) -> str:
        return {"create": "+", "adopt": "@", "update": "~", "replace": "±", "delete": "-"}[
            self.value
        ]


@dataclass(frozen=True)
class Action:
    op: Op
    resource: Resource
    changes: tuple[FieldChange, ...] = ()
    # What a reviewer must know beyond the field changes (data a replacement loses, ...).
    notes: tuple[str, ...] = ()

    @property
    def id(self) -> ResourceId:
        return self.resource.id


@dataclass(frozen=True)
class Skipped:
    """A resource we will not touch, and why (e.g. it exists but is not ours)."""

    id: ResourceId
    reason: str
    # True when it might be ours but we cannot tell (tags unreadable): work left undone.
    undone: bool = False


UNREADABLE = "its tags could not be read: left alone (fail closed)"
NOT_OURS = "exists without this suffix's ownership tags (--adopt takes it over)"


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    skipped: tuple[Skipped, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.actions

    def count(self, op: Op) -> int:
        return sum(1 for a in self.actions if a.op is op)


def plan_apply(
    desired: Sequence[Resource],
    live: Mapping[ResourceId, Live | None],
    suffix: str,
    orphans: Sequence[Resource] = (),
    unreadable: Sequence[ResourceId] = (),
    *,
    adopt: bool = False,
) -> Plan:
    """Create what is missing, update what differs, leave alone what is not ours (or, with
    `adopt`, take over what nobody else owns), and delete what this suffix owns that the
    desired state no longer names."""
    actions: list[Action] = []
    skipped: list[Skipped] = []
    adopted: dict[ResourceId, Resource] = {}
    for declared in order(desired):
        current = live.get(declared.id)
        resource = _with_adopted(declared, current, adopted)
        refusal = _refusal(resource, current, suffix, skipped, adopt)
        if refusal:
            skipped.append(refusal)
            continue
        action = _action(resource, current, actions, _taken_over(resource, current, suffix))
        if action is not None:
            actions.append(action)
    actions += [Action(Op.DELETE, r) for r in reversed(order(orphans))]
    skipped += [Skipped(i, UNREADABLE, undone=True) for i in unreadable]
    return Plan(tuple(actions), tuple(skipped))


def _action(
    resource: Resource, current: Live | None, earlier: list[Action], adopting: bool
) -> Action | None:
    """What one desired resource needs, given its live state and the actions before it."""
    if current is None:
        return None if resource.derived else Action(Op.CREATE, resource, (), resource.notes)
    changes = diff_fields(resource, current) or _followed(resource, earlier)
    if not changes:
        return None
    forced = [c.path for c in changes if _base(c.path) in resource.replace_on]
    if forced and adopting:
        # What exists is someone's, with its data: replacing it loses that data.
        note = f"replacing it deletes the existing {resource.id.kind} with its data ({forced[0]})"
        return Action(Op.REPLACE, resource, changes, (note,))
    if forced:
        return Action(Op.REPLACE, resource, changes)
    notes = BY_KEY[resource.id.kind].notes(frozenset(_base(c.path) for c in changes))
    notes += resource.notes
    if adopting:
        # What callers attached to it (the adapter lists them) stays as it is.
        return Action(Op.ADOPT, resource, changes, (*notes, *current.meta.get("kept", ())))
    return Action(Op.UPDATE, resource, changes, notes)


def _taken_over(resource: Resource, current: Live | None, suffix: str) -> bool:
    """Exists, takes tags, and is not ours yet (nor ours left by a crash): planned at all, it
    is being adopted."""
    if current is None or not _taggable(resource) or owned_by(current.tags, suffix):
        return False
    return not _left_by_a_crash(resource, current)


def plan_destroy(
    desired: Sequence[Resource],
    live: Mapping[ResourceId, Live | None],
    suffix: str,
    orphans: Sequence[Resource] = (),
    unreadable: Sequence[ResourceId] = (),
) -> Plan:
    """Delete what exists and is ours, dependents first; never what is not ours."""
    actions: list[Action] = []
    skipped = [Skipped(i, UNREADABLE, undone=True) for i in unreadable]
    desired = [*desired, *orphans]
    for resource in order(desired):
        refusal = _refusal(resource, live.get(resource.id), suffix, skipped)
        if refusal:
            skipped.append(refusal)
    refused = {s.id for s in skipped}
    for resource in reversed(order(desired)):
        if (
            live.get(resource.id) is not None
            and resource.id not in refused
            and not resource.derived
        ):
            actions.append(Action(Op.DELETE, resource))
    return Plan(tuple(actions), tuple(skipped))


def order(resources: Sequence[Resource]) -> list[Resource]:
    """Dependencies first (topological), ties broken by kind order then name."""
    by_id = {r.id: r for r in resources}
    done: set[ResourceId] = set()
    result: list[Resource] = []

    def visit(resource: Resource, path: tuple[ResourceId, ...]) -> None:
        if resource.id in done:
            return
        if resource.id in path:
            raise ValueError(f"dependency cycle through {resource.id}")
        for dep in resource.depends_on:
            if dep in by_id:
                visit(by_id[dep], (*path, resource.id))
        done.add(resource.id)
        result.append(resource)

    for resource in sorted(resources, key=_rank):
        visit(resource, ())
    return result


def _rank(resource: Resource) -> tuple[int, str]:
    return rank(resource.id.kind), resource.id.name


def _with_adopted(
    resource: Resource, current: Live | None, adopted: dict[ResourceId, Resource]
) -> Resource:
    """Ignored fields take their live values, and fields computed from another resource are
    computed again from what that resource adopted."""
    computed = resource.computed_from
    if computed is not None and computed.source in adopted:
        source = adopted[computed.source].fields
        resource = replace(resource, fields={**resource.fields, **computed.compute(source)})
    if current is not None:
        resource = adopt_ignored(resource, current)
    adopted[resource.id] = resource
    return resource


def _followed(resource: Resource, actions: list[Action]) -> tuple[FieldChange, ...]:
    """A change this resource will have once what it follows has changed."""
    acted = {a.id for a in actions}
    if not any(dep in acted for dep in resource.follows):
        return ()
    return tuple(
        FieldChange(name, "(changes once its dependencies are applied)", value)
        for name, value in resource.fields.items()
    )


def _refusal(
    resource: Resource,
    current: Live | None,
    suffix: str,
    skipped: list[Skipped],
    adopt: bool = False,
) -> Skipped | None:
    """Why we must not touch this resource: it, or what it belongs to, is not ours (and,
    when adopting, someone else's for good)."""
    if _taggable(resource):
        return None if current is None else _by_its_tags(resource, current, suffix, adopt)
    # No tags of its own (an alias, provisioned concurrency): it is whose its owner is, and
    # one that does not exist yet is not created on what is not ours either.
    refused = {s.id for s in skipped}
    blocked = [dep for dep in resource.depends_on if dep in refused]
    return Skipped(resource.id, f"belongs to {blocked[0]}, which is not ours") if blocked else None


def _by_its_tags(resource: Resource, current: Live, suffix: str, adopt: bool) -> Skipped | None:
    if owned_by(current.tags, suffix) or _left_by_a_crash(resource, current):
        return None
    foreign = foreign_owner(current.tags, suffix)
    if foreign is not None:
        return Skipped(resource.id, foreign)
    return None if adopt else Skipped(resource.id, NOT_OURS)


def _left_by_a_crash(resource: Resource, current: Live) -> bool:
    """Untagged, and exactly what we create before tagging: our own, interrupted."""
    if not resource.tagged_after_create or current.tags:
        return False
    return all(c.path.startswith("tags.") for c in diff_fields(resource, current))


def _taggable(resource: Resource) -> bool:
    return "tags" in resource.fields


def _base(path: str) -> str:
    return path.split(".", 1)[0]
