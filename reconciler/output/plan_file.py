"""Output: a plan saved for review, and the checks that let it be applied as approved.

The file names where it applies (account, region, suffix, stacks, environment), what it does
(the actions, secrets masked), what it was made from (a fingerprint of each desired-state file
and code package) and, for every resource it touches, a fingerprint of the live fields it was
computed from. No secret value is in it, nor anything derived from one that a guess could be
checked against: sensitive fields are left out of every fingerprint, and a change the plan makes
to one is listed as unverifiable instead. A digest over the whole file refuses a hand edit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import InputError
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.output.document import action_json
from reconciler.planning.diff import KEYED_FIELDS, SENSITIVE, secret
from reconciler.planning.plan import Plan

KIND = "lambda-reconciler plan"
VERSION = 1


@dataclass(frozen=True)
class Where:
    """What a plan applies to; a saved plan is refused anywhere else."""

    command: str
    suffix: str
    env: str
    stacks: tuple[str, ...]
    account: str
    region: str


def fingerprint(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=_plain)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
    return str(value)


def live_fingerprint(resource: Resource, live: Live | None) -> str | None:
    """The live fields a plan was computed from, sensitive ones left out (None: absent)."""
    if live is None:
        return None
    return fingerprint(_without_secrets(resource, live.fields))


def _without_secrets(resource: Resource, fields: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in resource.sensitive:
            out[name] = SENSITIVE
        elif name in KEYED_FIELDS and isinstance(value, Mapping):
            out[name] = {
                k: SENSITIVE if secret(resource, f"{name}.{k}") else v for k, v in value.items()
            }
        else:
            out[name] = value
    return out


def unverifiable(actions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Changes to secrets: their values are read when applying and never saved, so no check
    can tell whether they are still the ones reviewed."""
    return [
        f"{a['kind']} {a['name']}: {change['field']}"
        for a in actions
        for change in a["changes"]
        if change["sensitive"]
    ]


def document(
    where: Where,
    plan: Plan,
    live: Mapping[ResourceId, Live | None],
    desired: Mapping[str, str],
    *,
    now: dt.datetime,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The saved plan, digest last (over everything before it)."""
    actions = [
        {**action_json(a), "live": live_fingerprint(a.resource, live.get(a.id))}
        for a in plan.actions
    ]
    body: dict[str, Any] = {
        "kind": KIND,
        "plan_version": VERSION,
        "created_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        **_where_json(where),
        "desired": dict(sorted(desired.items())),
        "actions": actions,
        "unverifiable": unverifiable(actions),
        **extra,
    }
    return {**body, "digest": fingerprint(body)}


def _where_json(where: Where) -> dict[str, Any]:
    return {
        "command": where.command,
        "suffix": where.suffix,
        "env": where.env,
        "stacks": list(where.stacks),
        "account": where.account,
        "region": where.region,
    }


@dataclass(frozen=True)
class SavedPlan:
    """A plan file read back and found whole: what it says, for the checks against now."""

    data: Mapping[str, Any]

    @property
    def where(self) -> Where:
        d = self.data
        return Where(
            d["command"], d["suffix"], d["env"], tuple(d["stacks"]), d["account"], d["region"]
        )

    @property
    def ids(self) -> frozenset[ResourceId]:
        return frozenset(ResourceId(a["kind"], a["name"]) for a in self.data["actions"])

    @property
    def created_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.data["created_at"])


def parse(text: str, name: str) -> SavedPlan:
    """A plan file's content, refused when it is not a whole, unedited plan of this version."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"plan file {name}: not a whole plan (invalid JSON: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise InputError(f"plan file {name}: not a lambda-reconciler plan")
    if data.get("plan_version") != VERSION:
        raise InputError(
            f"plan file {name}: plan version {data.get('plan_version')!r}, this reconcile reads "
            f"version {VERSION}: make the plan again with this version"
        )
    body = {k: v for k, v in data.items() if k != "digest"}
    if data.get("digest") != fingerprint(body):
        raise InputError(
            f"plan file {name}: changed after it was written (its digest does not match); "
            "make a new plan rather than editing one"
        )
    return SavedPlan(data)


def check_where(saved: SavedPlan, now: Where, name: str) -> None:
    """Refuse a plan made for another account, region, suffix, stacks, environment or command."""
    then = saved.where
    for field in ("command", "account", "region", "suffix", "env", "stacks"):
        made, here = getattr(then, field), getattr(now, field)
        if made != here:
            raise InputError(f"plan file {name}: made for {field} {_said(made)}, not {_said(here)}")


def _said(value: Any) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


def check_age(saved: SavedPlan, now: dt.datetime, max_age: dt.timedelta, name: str) -> None:
    age = now - saved.created_at
    if age > max_age:
        hours = age.total_seconds() / 3600
        raise InputError(
            f"plan file {name}: made {hours:.1f} h ago, older than --max-age "
            f"{max_age.total_seconds() / 3600:g} h; make a new plan"
        )


def check_desired(saved: SavedPlan, desired: Mapping[str, str], name: str) -> None:
    """Refuse a plan whose desired state or code changed since it was made, naming the part."""
    then: Mapping[str, str] = saved.data["desired"]
    for part in sorted(set(then) | set(desired)):
        if then.get(part) != desired.get(part):
            raise InputError(f"plan file {name}: the desired state changed since the plan: {part}")


def check_pending(saved: SavedPlan, plan: Plan, name: str) -> None:
    """Refuse, with what to do instead, a plan of which nothing is left to do: applied already
    (or made true by someone else)."""
    if saved.ids and not any(a.id in saved.ids for a in plan.actions):
        raise InputError(
            f"plan file {name}: already applied (nothing it lists differs now); make a new "
            "one with `reconcile plan --out FILE` to see what differs"
        )


def check_live(
    saved: SavedPlan,
    plan: Plan,
    resources: Sequence[Resource],
    live: Mapping[ResourceId, Live | None],
    name: str,
) -> None:
    """Refuse a plan when a resource it touches changed in AWS since, or the plan made now
    for its resources is not the one saved."""
    by_id = {r.id: r for r in resources}
    by_id.update({a.id: a.resource for a in plan.actions})
    # As the file holds them: JSON has lists where the plan has tuples.
    fresh = {a.id: json.loads(json.dumps(action_json(a), default=list)) for a in plan.actions}
    for entry in saved.data["actions"]:
        rid = ResourceId(entry["kind"], entry["name"])
        resource = by_id.get(rid)
        current = live_fingerprint(resource, live.get(rid)) if resource else None
        if current != entry["live"]:
            raise InputError(f"plan file {name}: {rid} changed in AWS since the plan")
        saved_action = {k: v for k, v in entry.items() if k != "live"}
        if fresh.get(rid) != saved_action:
            raise InputError(f"plan file {name}: the plan for {rid} is no longer the one saved")
