"""Thread-safe log of every AWS call the sandbox answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

_READ_PREFIXES = ("Get", "List", "Describe", "Head", "BatchGet", "Query", "Scan")
_READ_OPERATIONS = frozenset({("sts", "GetCallerIdentity")})


def is_write(service: str, operation: str) -> bool:
    """Whether an operation may change AWS state, judged from its name alone."""
    if (service, operation) in _READ_OPERATIONS:
        return False
    return not operation.startswith(_READ_PREFIXES)


@dataclass(frozen=True)
class RecordedCall:
    """One AWS API call as the sandbox saw it."""

    service: str
    operation: str
    write: bool
    status: int
    at: float
    # Which credentials made the call: tells concurrent clients apart.
    access_key: str = ""
    # The IAM actions AWS would check for this call (see iam_authz).
    actions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordedCall:
        return cls(
            service=str(data["service"]),
            operation=str(data["operation"]),
            write=bool(data["write"]),
            status=int(data["status"]),
            at=float(data["at"]),
            access_key=str(data.get("access_key", "")),
            actions=tuple(str(a) for a in data.get("actions", ())),
        )


class CallRecorder:
    """Appends calls in arrival order; readers get a snapshot."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._calls: list[RecordedCall] = []

    def record(
        self,
        service: str,
        operation: str,
        status: int,
        access_key: str = "",
        actions: tuple[str, ...] = (),
    ) -> RecordedCall:
        write = is_write(service, operation)
        call = RecordedCall(service, operation, write, status, time.time(), access_key, actions)
        with self._lock:
            self._calls.append(call)
        return call

    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
