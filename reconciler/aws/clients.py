"""AWS access: one client factory (retry mode set once) and API call accounting."""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import boto3
import structlog
from botocore.config import Config

from reconciler.aws.pacing import Pacer

READ_PREFIXES = ("Get", "List", "Describe", "Head", "BatchGet", "Query", "Scan")
# The throttling codes botocore's standard retry mode retries.
THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "LimitExceededException",
    }
)
log = structlog.get_logger()


def is_read(operation: str) -> bool:
    """Whether an AWS operation only reads (by AWS's own naming convention)."""
    return operation.startswith(READ_PREFIXES)


@dataclass(frozen=True)
class CallCount:
    """API calls of one run, reads and writes apart, by `service:Operation`."""

    by_operation: dict[str, int]
    # HTTP attempts botocore repeated after throttling or a 5xx (not counted as calls).
    retries: int = 0

    @property
    def reads(self) -> int:
        return sum(n for op, n in self.by_operation.items() if is_read(op.split(":", 1)[1]))

    @property
    def writes(self) -> int:
        return sum(self.by_operation.values()) - self.reads

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())


class CallLedger:
    """Counts every API call (not every HTTP retry) through botocore's event hooks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._retries = 0

    def record(self, model: Any, **_: Any) -> None:
        key = f"{model.service_model.service_name}:{model.name}"
        with self._lock:
            self._counts[key] += 1

    def retried(self, attempts: int, response: Any, operation: Any, **_: Any) -> None:
        """Log an attempt botocore will repeat (throttling, 5xx); botocore decides and waits."""
        if response is None:
            code, status = "connection error", None
        else:
            http, parsed = response
            status = getattr(http, "status_code", None)
            code = parsed.get("Error", {}).get("Code", "") if isinstance(parsed, dict) else ""
            if not (status and status >= 500) and code not in THROTTLING:
                return
        with self._lock:
            self._retries += 1
        log.info("aws.retry", attempt=attempts, operation=operation.name, code=code, status=status)

    def snapshot(self) -> CallCount:
        with self._lock:
            return CallCount(dict(self._counts), self._retries)


# The Clients whose run a call in progress belongs to: shared clients count and pace it there.
_CALLER: ContextVar[Clients | None] = ContextVar("reconcile_caller", default=None)


class _Pool:
    """One session's botocore clients, made once and shared by every Clients on it (a
    fleet's targets on one role and region): a client costs milliseconds of CPU and a copy of
    botocore's event tables to make, which hundreds of targets would otherwise pay each."""

    def __init__(self, session: boto3.session.Session, config: Config) -> None:
        self._session, self._config = session, config
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, int], Any] = {}

    def get(self, service: str, max_attempts: int | None) -> Any:
        key = (service, max_attempts or 0)
        # Sessions are not safe to make clients from at once: one at a time per pool.
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._make(service, max_attempts)
            return self._clients[key]

    def _make(self, service: str, max_attempts: int | None) -> Any:
        config = self._config
        if max_attempts is not None:
            config = config.merge(
                Config(retries={"mode": "standard", "max_attempts": max_attempts})
            )
        client = self._session.client(service, config=config)  # type: ignore[call-overload]
        events = client.meta.events
        events.register("before-call.*.*", _record)
        events.register("needs-retry.*.*", _retried)
        # Every HTTP attempt, retries included, waits for its quota's token.
        events.register("before-send", _paced(service))
        return client


def _record(**kwargs: Any) -> None:
    _caller().ledger.record(**kwargs)


def _retried(**kwargs: Any) -> None:
    _caller().ledger.retried(**kwargs)


def _paced(service: str) -> Callable[..., None]:
    def before_send(event_name: str, **_: Any) -> None:
        _caller().pacer.pace(service, event_name.rsplit(".", 1)[-1])

    return before_send


def _caller() -> Clients:
    caller = _CALLER.get()
    if caller is None:  # a call made around Bound would go uncounted: a defect
        raise RuntimeError("an AWS call outside any run's clients")
    return caller


_POOLS: weakref.WeakKeyDictionary[boto3.session.Session, _Pool] = weakref.WeakKeyDictionary()
_POOLS_LOCK = threading.Lock()


def _pool(session: boto3.session.Session, config: Config) -> _Pool:
    with _POOLS_LOCK:
        pool = _POOLS.get(session)
        if pool is None:
            pool = _POOLS[session] = _Pool(session, config)
        return pool


class Bound:
    """A shared client bound to one run: each of its calls is counted in that run's ledger
    and paced by its pacer. Paginators stay bound while they are iterated."""

    def __init__(self, client: Any, owner: Clients) -> None:
        self._client, self._owner = client, owner
        self.meta, self.exceptions = client.meta, client.exceptions

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name == "get_paginator":
            return lambda operation: _BoundPaginator(attr(operation), self._owner)
        return _bound(attr, self._owner) if callable(attr) else attr


class _BoundPaginator:
    def __init__(self, paginator: Any, owner: Clients) -> None:
        self._paginator, self._owner = paginator, owner

    def paginate(self, **kwargs: Any) -> Iterator[Any]:
        pages = iter(_bound(self._paginator.paginate, self._owner)(**kwargs))
        while True:
            page = _bound(next, self._owner)(pages, None)
            if page is None:
                return
            yield page


def _bound(call: Callable[..., Any], owner: Clients) -> Callable[..., Any]:
    def bound(*args: Any, **kwargs: Any) -> Any:
        token = _CALLER.set(owner)
        try:
            return call(*args, **kwargs)
        finally:
            _CALLER.reset(token)

    return bound


class Clients:
    """boto3 clients for one run in one region, shared by its threads (and, on a fleet's
    shared session, by other runs), each call counted and paced as this run's."""

    def __init__(
        self,
        region: str,
        ledger: CallLedger | None = None,
        workers: int = 32,
        pacer: Pacer | None = None,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.region = region
        self.ledger = ledger or CallLedger()
        self.pacer = pacer or Pacer()
        # The environment's credentials, unless a session in another account is given.
        self._session = session or boto3.session.Session(region_name=region)
        # Throttling and 5xx are botocore's job: standard mode, jittered, bounded.
        config = Config(
            retries={"mode": "standard", "max_attempts": 8},
            connect_timeout=5,
            read_timeout=60,
            max_pool_connections=max(10, workers * 2),
        )
        self._pool = _pool(self._session, config)

    def close(self) -> None:
        """A finished run lets go of its session's clients (the last to do so frees them)."""
        self._pool = _Pool(self._session, self._pool._config)

    def get(self, service: str, max_attempts: int | None = None) -> Any:
        """The client for a service (optionally one with fewer retries), bound to this run."""
        return Bound(self._pool.get(service, max_attempts), self)
