"""Plan stage: desired x live -> field-level changes, normalised, secrets marked (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

from reconciler.desired.secrets import SECRET_LIKE
from reconciler.expand.resources import Live, Resource
from reconciler.planning import normalize

# Fields whose value is a map compared key by key (each key is its own change line).
KEYED_FIELDS = frozenset({"tags", "environment", "inline_policies", "schedule"})
# How to compare a field's values when equal meaning is written differently.
NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "trust_policy": normalize.policy,
    "inline_policies": normalize.policy,
    "body": normalize.json_body,
    "document": normalize.policy,
}
SENSITIVE = "(sensitive)"
# The field of every kind AWS lets protect from deletion: turning it off is shown on its own.
PROTECTION = "deletion_protection"


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: `path` is `field` or `field.key`; None means absent."""

    path: str
    old: Any
    new: Any
    sensitive: bool = False
    # How the change is made, where that is news to a reviewer (an alias moved in steps).
    how: str = ""

    @property
    def lifts_protection(self) -> bool:
        """Turns deletion protection off: from then on the resource and its data can go."""
        return self.path == PROTECTION and self.old is True and self.new is False

    def masked(self, value: Any) -> Any:
        """The value as it may be shown anywhere: a secret's is `(sensitive)`, whatever it is."""
        return SENSITIVE if self.sensitive and value is not None else value


def diff_fields(resource: Resource, live: Live) -> tuple[FieldChange, ...]:
    """Every owned field whose live value differs from the desired one."""
    changes: list[FieldChange] = []
    for name, desired in resource.fields.items():
        current = live.fields.get(name)
        if name in KEYED_FIELDS:
            changes.extend(_keyed(resource, name, desired, current))
        elif not _equal(name, desired, current):
            changes.append(FieldChange(name, current, desired, name in resource.sensitive))
    return tuple(changes)


def adopt_ignored(resource: Resource, live: Live) -> Resource:
    """The resource with every ignored field set to its live value.

    Compared, nothing differs there; applied, full-configuration updates (Lambda sends the
    whole environment) write back what someone else set instead of erasing it.
    """
    if not resource.ignore:
        return resource
    fields = dict(resource.fields)
    for name, desired in resource.fields.items():
        current = live.fields.get(name)
        if name in KEYED_FIELDS and isinstance(desired, Mapping):
            fields[name] = _adopt_keys(name, desired, current or {}, resource.ignore)
        elif _ignored(name, resource.ignore):
            fields[name] = current
    return replace(resource, fields=fields)


def _adopt_keys(
    name: str, desired: Mapping[str, Any], current: Mapping[str, Any], ignore: tuple[str, ...]
) -> dict[str, Any]:
    merged = {k: v for k, v in desired.items() if not _ignored(f"{name}.{k}", ignore)}
    merged.update({k: v for k, v in current.items() if _ignored(f"{name}.{k}", ignore)})
    return merged


def _ignored(path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(path, pattern) for pattern in patterns)


def creation_changes(resource: Resource) -> tuple[FieldChange, ...]:
    """A resource to create as changes from nothing, maps split by key, secrets marked."""
    changes: list[FieldChange] = []
    for name, value in resource.fields.items():
        if name in KEYED_FIELDS and isinstance(value, Mapping):
            for key in sorted(value):
                path = f"{name}.{key}"
                changes.append(FieldChange(path, None, value[key], secret(resource, path)))
        else:
            changes.append(FieldChange(name, None, value, name in resource.sensitive))
    return tuple(changes)


def _keyed(resource: Resource, name: str, desired: Any, current: Any) -> list[FieldChange]:
    want: Mapping[str, Any] = desired or {}
    have: Mapping[str, Any] = current or {}
    changes = []
    for key in sorted(set(want) | set(have)):
        if key.startswith("aws:"):
            continue  # AWS-reserved tags are set by AWS itself and cannot be changed.
        old, new = have.get(key), want.get(key)
        if not _equal(name, new, old):
            path = f"{name}.{key}"
            changes.append(FieldChange(path, old, new, secret(resource, path)))
    return changes


def secret(resource: Resource, path: str) -> bool:
    """Whether a field's values must never be shown: declared secret, or an environment
    variable whose name says it carries a credential (a system taken over has its own)."""
    field, _, key = path.partition(".")
    return path in resource.sensitive or (
        field == "environment" and bool(SECRET_LIKE.search(key.upper()))
    )


def _equal(name: str, desired: Any, current: Any) -> bool:
    normal = NORMALIZERS.get(name)
    if normal is None or desired is None or current is None:
        return bool(desired == current)
    return bool(normal(desired) == normal(current))
