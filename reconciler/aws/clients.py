"""AWS access: one client factory (retry mode set once) and API call accounting."""

from __future__ import annotations

import threading
from collections import Counter
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


# Client creation, one at a time per session (see _make).
_GUARD = threading.Lock()
_MAKING: dict[int, threading.Lock] = {}


def _making_lock(session: object) -> threading.Lock:
    with _GUARD:
        return _MAKING.setdefault(id(session), threading.Lock())


class Clients:
    """boto3 clients for one region, created once each and shared by threads."""

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
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, int], Any] = {}
        # Throttling and 5xx are botocore's job: standard mode, jittered, bounded.
        self._config = Config(
            retries={"mode": "standard", "max_attempts": 8},
            connect_timeout=5,
            read_timeout=60,
            max_pool_connections=max(10, workers * 2),
        )

    def close(self) -> None:
        """Let go of every client and its connections (a fleet's finished target)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def get(self, service: str, max_attempts: int | None = None) -> Any:
        """The shared client for a service (optionally one with fewer retries)."""
        key = (service, max_attempts or 0)
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
        # A fleet's targets share sessions, which are not safe to make clients from at once.
        with _making_lock(self._session):
            client = self._session.client(service, config=config)  # type: ignore[call-overload]
        client.meta.events.register("before-call.*.*", self.ledger.record)
        client.meta.events.register("needs-retry.*.*", self.ledger.retried)
        # Every HTTP attempt, retries included, waits for its quota's token.
        client.meta.events.register("before-send", self.pacer.hook(service))
        return client
