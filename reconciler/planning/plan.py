"""Plan stage: field changes -> an ordered list of actions, by dependency (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from reconciler.errors import InputError
from reconciler.expand.catalog import BY_KEY, rank
from reconciler.expand.lambda_ import ONGOING
from reconciler.expand.ownership import ADOPTED, RELEASED, foreign_owner, other_stack, owned_by
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.planning.diff import FieldChange, adopt_ignored, diff_fields
from reconciler.planning.removal import (
    Removal,
    adopted_note,
    kept_reason,
    needed_by_kept,
    part_of_kept,
    released,
)


class Op(StrEnum):
    CREATE = "create"
    # An existing resource without our tags, taken over with --adopt: tagged, updated in place.
    ADOPT = "adopt"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    # Ours to remove, but not to delete (adopted, or protected): our tags removed, it stays.
    RELEASE = "release"

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.value]

    @property
    def configures(self) -> bool:
        """Writes the desired configuration (what preflight checks); a delete or a release
        writes none."""
        return self not in (Op.DELETE, Op.RELEASE)


SYMBOLS = {
    "create": "+",
    "adopt": "@",
    "update": "~",
    "replace": "±",
    "delete": "-",
    "release": ">",
}


@dataclass(frozen=True)
class Action:
    op: Op
    resource: Resource
    changes: tuple[FieldChange, ...] = ()
    # What a reviewer must know beyond the field changes (data a replacement loses, ...).
    # Words, not the change: two plans alike but for them (a rollout's time left) are one.
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def id(self) -> ResourceId:
        return self.resource.id

    @property
    def releasing(self) -> bool:
        """Goes on with a release in steps already under way: a watch's next cycle takes it
        further, so it is no work left undone."""
        return self.op is Op.UPDATE and any(
            c.path == ONGOING and c.old is not None for c in self.changes
        )


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
    removal: Removal | None = None,
) -> Plan:
    """Create what is missing, update what differs, leave alone what is not ours (or, with
    `adopt`, take over what nobody else owns), and remove what this suffix owns that the
    desired state no longer names (deleted, or released if it existed before us)."""
    removal = removal or Removal.today_utc()
    actions: list[Action] = []
    skipped: list[Skipped] = []
    adopted: dict[ResourceId, Resource] = {}
    held: list[Skipped] = []
    for declared in order(desired):
        current = live.get(declared.id)
        resource = _with_adopted(declared, current, adopted)
        refusal = _refusal(resource, current, suffix, skipped, adopt)
        if refusal:
            skipped.append(refusal)
            continue
        # Held apart: what depends on it is still ours to reconcile.
        if hold := _held(resource, current):
            held.append(hold)
            continue
        taking = _taken_over(resource, current, suffix)
        resource = _adoption_recorded(resource, current, taking, removal.today)
        action = _action(resource, current, actions, taking)
        if action is not None:
            actions.append(action)
    removed, kept = _removals(list(orphans), live, removal)
    actions += removed
    skipped += kept + held
    skipped += [Skipped(i, UNREADABLE, undone=True) for i in unreadable]
    return Plan(tuple(actions), tuple(skipped))


def _kept(
    resources: list[Resource], live: Mapping[ResourceId, Live | None], removal: Removal
) -> dict[ResourceId, str]:
    """The taggable resources to release rather than delete, each with why."""
    why: dict[ResourceId, str] = {}
    for resource in resources:
        current = live.get(resource.id)
        reason = kept_reason(current, removal) if current and _taggable(resource) else None
        if reason:
            why[resource.id] = reason
    by_id = {r.id: r for r in resources}
    for needed, by in needed_by_kept(resources, set(why)).items():
        if _taggable(by_id[needed]):
            why[needed] = f"{by}, which is kept, needs it: released with it"
    return why


def _parts_of_kept(
    resources: list[Resource], kept: Mapping[ResourceId, str]
) -> dict[ResourceId, str]:
    """Untaggable resources of a kept one, which stay with it: an alias of a kept function,
    the provisioned concurrency on that alias."""
    parts: dict[ResourceId, str] = {}
    for resource in order(resources):
        owner = None if _taggable(resource) else part_of_kept(resource, {**kept, **parts})
        if owner is not None:
            parts[resource.id] = f"part of {owner}, which is kept"
    return parts


def _adoption_recorded(
    resource: Resource, current: Live | None, taking: bool, today: str
) -> Resource:
    """Tags that say the resource existed before us: set in the call that takes it over,
    kept on every later run."""
    if current is None or not _taggable(resource):
        return resource
    since = today if taking else current.tags.get(ADOPTED)
    if since is None:
        return resource
    tags = {**resource.fields["tags"], ADOPTED: since}
    return replace(resource, fields={**resource.fields, "tags": tags})


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
    *,
    removal: Removal | None = None,
) -> Plan:
    """Remove what exists and is ours, dependents first; never what is not ours. What
    existed before us, or is protected, is released, not deleted."""
    removal = removal or Removal.today_utc()
    skipped = [Skipped(i, UNREADABLE, undone=True) for i in unreadable]
    desired = [*desired, *orphans]
    for resource in order(desired):
        refusal = _refusal(resource, live.get(resource.id), suffix, skipped)
        if refusal:
            skipped.append(refusal)
    refused = {s.id for s in skipped}
    ours = [r for r in desired if r.id not in refused and live.get(r.id) is not None]
    actions, kept = _removals(ours, live, removal)
    return Plan(tuple(actions), (*skipped, *kept))


def plan_release(
    desired: Sequence[Resource],
    live: Mapping[ResourceId, Live | None],
    suffix: str,
    names: Sequence[str],
    today: str,
) -> Plan:
    """Hand the named resources back: our tags removed, nothing deleted. A name that is not
    a resource of this suffix is refused before anything is written; one already handed back
    needs nothing."""
    actions: list[Action] = []
    by_name: dict[str, list[Resource]] = {}
    for resource in desired:
        by_name.setdefault(resource.id.name, []).append(resource)
    for name in names:
        chosen = [r for r in by_name.get(name, []) if _taggable(r) and live.get(r.id)]
        if not chosen:
            raise InputError(f"release {name}: no resource of suffix {suffix!r} has that name")
        for resource in chosen:
            current = live[resource.id]
            assert current is not None
            if RELEASED in current.tags and not owned_by(current.tags, suffix):
                continue
            refusal = _by_its_tags(resource, current, suffix, adopt=False)
            if refusal is not None:
                raise InputError(f"release {name}: {resource.id.kind} {refusal.reason}")
            handed_back, changes = released(resource, current, today)
            actions.append(Action(Op.RELEASE, handed_back, changes, ("released on request",)))
    return Plan(tuple(actions))


def _removals(
    resources: list[Resource], live: Mapping[ResourceId, Live | None], removal: Removal
) -> tuple[list[Action], list[Skipped]]:
    """Each resource of ours to remove, deleted or released, dependents first; what a kept
    one needs is kept with it, and what belongs to a kept one stays."""
    why = _kept(resources, live, removal)
    parts = _parts_of_kept(resources, why)
    actions: list[Action] = []
    skipped: list[Skipped] = []
    for resource in reversed(order(resources)):
        current = live.get(resource.id)
        if current is None or resource.derived:
            continue
        if resource.id in parts:
            skipped.append(Skipped(resource.id, parts[resource.id]))
        elif resource.id in why:
            handed_back, changes = released(resource, current, removal.today)
            actions.append(Action(Op.RELEASE, handed_back, changes, (why[resource.id],)))
        else:
            actions.append(Action(Op.DELETE, resource, (), adopted_note(current)))
    return actions, skipped


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


def _held(resource: Resource, current: Live | None) -> Skipped | None:
    """A change the live state says not to make again: `meta["held"]` is (field, value, why),
    e.g. a release of these very fields that was rolled back."""
    hold = None if current is None else current.meta.get("held")
    if hold is None or resource.fields.get(hold[0]) != hold[1]:
        return None
    return Skipped(resource.id, hold[2])


def _by_its_tags(resource: Resource, current: Live, suffix: str, adopt: bool) -> Skipped | None:
    theirs = other_stack(current.tags, suffix, resource.stack)
    if theirs is not None:
        return Skipped(resource.id, theirs)
    if owned_by(current.tags, suffix) or _left_by_a_crash(resource, current):
        return None
    if RELEASED in current.tags and not adopt:
        return Skipped(
            resource.id,
            f"released {current.tags[RELEASED]}: no longer ours (--adopt takes it back)",
        )
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
