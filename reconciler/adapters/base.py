"""Adapters' shared surface: the context they act in, the protocol, and error helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar, runtime_checkable

from botocore.exceptions import ClientError

from reconciler.aws.clients import Clients
from reconciler.aws.retry import RetryingClient, RetryPolicy
from reconciler.aws.waits import WaitPolicy
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.expand.targets import Target
from reconciler.planning.diff import FieldChange

T = TypeVar("T")


class Listings:
    """Account-wide list calls made at most once per snapshot, shared by observe and discovery.

    A listing answers every resource of its service at once (an alarm's definition, a log
    group's retention), so reading them one by one as well would pay twice. Concurrent
    readers of one key wait for the first; a failed listing is not kept. A fleet shares one
    across the targets of an account-region for a cycle (see fleet/run.py).
    """

    def __init__(self, shared: bool = False, bulk: bool = True) -> None:
        # Wall-clock time before the first listing: what any reader's view is at least as old as.
        self.since = time.time()
        # Shared by many suffixes (a fleet's account-region): worth listings that answer
        # whole resources at once, which one suffix alone would pay more for than it saves.
        self.shared = shared
        # False: nothing is taken from a bulk listing (tags in bulk, IAM's account details);
        # every resource is read on its own (the re-read before writes, the check after).
        self.bulk = bulk
        self._guard = threading.Lock()
        # Resources a bulk listing answered for, each with a direct re-read that says
        # whether the resource still agrees with it (pipeline._confirmed).
        self._answered: dict[ResourceId, Callable[[], bool]] = {}
        self._wanted: list[Resource] = []
        self._locks: dict[str, threading.Lock] = {}
        self._values: dict[str, Any] = {}

    def get(self, key: str, load: Callable[[], T]) -> T:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = load()
            value: T = self._values[key]
            return value

    def want(self, resources: Iterable[Resource]) -> None:
        """Note what this snapshot will observe: a bulk listing is worth it only for enough."""
        with self._guard:
            self._wanted.extend(resources)

    def wanted(self, kind: str) -> list[Resource]:
        with self._guard:
            return [r for r in self._wanted if r.id.kind == kind]

    def answered(self, rid: ResourceId, agrees: Callable[[], bool]) -> None:
        """Note that a bulk listing answered for `rid`; `agrees()` reads it directly and says
        whether it still matches what the listing said."""
        with self._guard:
            self._answered[rid] = agrees

    def answers(self) -> dict[ResourceId, Callable[[], bool]]:
        with self._guard:
            return dict(self._answered)


@dataclass(frozen=True)
class Context:
    """What an adapter needs to talk to AWS for one run."""

    clients: Clients
    target: Target
    retry: RetryPolicy
    wait: WaitPolicy
    pc_wait: WaitPolicy
    # Facts read once per run and shared by adapters (e.g. layer version -> content hash).
    cache: dict[str, Any] = field(default_factory=dict)
    # Set for one snapshot (observe + discovery); None while applying, where state moves.
    listings: Listings | None = None
    # Parallel AWS calls allowed (--max-workers); 1 makes every read sequential.
    parallel: int = 32
    # --retry: a release that was rolled back is tried again (otherwise held).
    retry_release: bool = False
    # False: a rollout takes the steps that are due and returns, still in progress (watch).
    rollout_waits: bool = True

    def client(self, service: str) -> Any:
        """The service's client; each of its writes goes through the one retry policy."""
        return RetryingClient(self.clients.get(service), self.retry)

    @property
    def shared(self) -> bool:
        """Whether this snapshot's listings serve many suffixes (see Listings.shared)."""
        return self.listings is not None and self.listings.shared

    def listed(self, key: str, load: Callable[[], T]) -> T:
        """`load()`, shared by every reader of this snapshot when there is one."""
        return load() if self.listings is None else self.listings.get(key, load)


@dataclass(frozen=True)
class Found:
    """A resource met while listing a service; `tags` is None when they could not be read."""

    id: ResourceId
    tags: Mapping[str, str] | None


@dataclass(frozen=True)
class DiscoveryScope:
    """What discovery looks for: names ending `-<suffix>` not already known from observe."""

    suffix: str
    known: frozenset[ResourceId] = frozenset()

    def wants(self, kind: str, name: str) -> bool:
        # Every name we generate ends with `-<suffix>`: a cheap filter before reading tags.
        return name.endswith(f"-{self.suffix}") and ResourceId(kind, name) not in self.known


def gather(ctx: Context, *calls: Callable[[], Any]) -> list[Any]:
    """Independent calls of one read at once: one round trip instead of several.

    Results come back in order; the first error, in order, is raised.
    """
    if ctx.parallel <= 1 or len(calls) < 2:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.result() for future in futures]


def found(kind: str, name: str, read_tags: Callable[[], Mapping[str, str]]) -> Found:
    """The resource with its tags, or with None when AWS would not tell (fail closed)."""
    try:
        return Found(ResourceId(kind, name), dict(read_tags()))
    except ClientError:
        return Found(ResourceId(kind, name), None)


def discovered(
    kind: str,
    scope: DiscoveryScope,
    listed: Iterable[tuple[str, str]],
    read_tags: Callable[[str], Mapping[str, str]],
) -> list[Found]:
    """What a listing of `(name, tag key)` pairs holds for the scope, each with its tags;
    `read_tags` takes the key (an ARN, a URL, a name) its service's tag call wants."""
    return [
        found(kind, name, partial(read_tags, key))
        for name, key in listed
        if scope.wants(kind, name)
    ]


class Discoverer(Protocol):
    """An adapter that can list what it manages for a suffix."""

    kind: str

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]: ...


@runtime_checkable
class CallerReader(Protocol):
    """An adapter that can say who invokes what an action changes or deletes."""

    def callers_notes(self, ctx: Context, op: str, resource: Resource) -> tuple[str, ...]: ...


@runtime_checkable
class Explainer(Protocol):
    """An adapter whose change reads better in its own terms than as a field (an alias's
    version numbers rather than a fingerprint); asked only for the actions planned."""

    def explained(
        self, ctx: Context, op: str, resource: Resource, live: Live | None
    ) -> tuple[tuple[FieldChange, ...], tuple[str, ...]]: ...


class Adapter(Protocol):
    """Read one, create, update, delete: the same small surface for every kind."""

    kind: str

    def read(self, ctx: Context, resource: Resource) -> Live | None: ...

    def create(self, ctx: Context, resource: Resource) -> None: ...

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None: ...

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None: ...


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class Answer:
    """An error answer that means "not found" only with this text in its message: where an
    emulator says so with a code AWS uses for other things (see each use)."""

    code: str
    says: str

    def matches(self, exc: ClientError) -> bool:
        message = str(exc.response.get("Error", {}).get("Message", ""))
        return error_code(exc) == self.code and self.says in message


def unless_missing(call: Callable[[], T], *missing: str | Answer) -> T | None:
    """The call's result, or None when AWS says the thing does not exist.

    Reads use it to tell "absent" from "failed"; deletes use it to be idempotent.
    Each service has its own not-found code, so the caller names them.
    """
    try:
        return call()
    except ClientError as exc:
        if any(m.matches(exc) if isinstance(m, Answer) else m == error_code(exc) for m in missing):
            return None
        raise


def tag_changes(changes: Iterable[FieldChange]) -> tuple[dict[str, str], list[str]]:
    """Tags to set and tag keys to remove, from the `tags.*` field changes."""
    to_set: dict[str, str] = {}
    to_remove: list[str] = []
    for change in changes:
        if not change.path.startswith("tags."):
            continue
        key = change.path.split(".", 1)[1]
        if change.new is None:
            to_remove.append(key)
        else:
            to_set[key] = change.new
    return to_set, to_remove


def sync_tags(
    changes: Iterable[FieldChange],
    tag: Callable[[dict[str, str]], object],
    untag: Callable[[list[str]], object],
) -> None:
    """Apply the `tags.*` changes with the service's own tag and untag calls."""
    to_set, to_remove = tag_changes(changes)
    if to_set:
        tag(to_set)
    if to_remove:
        untag(to_remove)


def changed(changes: Iterable[FieldChange], *fields: str) -> bool:
    """Whether any change touches one of these top-level fields."""
    return any(c.path.split(".", 1)[0] in fields for c in changes)


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags as the `[{Key, Value}]` list most AWS APIs take."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tag_map(items: Iterable[Mapping[str, str]]) -> dict[str, str]:
    return {item["Key"]: item["Value"] for item in items}


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item of a paginated list call, through botocore's own paginator."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items
