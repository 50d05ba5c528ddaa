"""Injected AWS errors: rules that answer the next N matching calls with an error."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ANY_OPERATION = "*"


@dataclass(frozen=True)
class FaultRule:
    """Answer the next `times` calls of service/operation with `code` and `status` (made in
    `account` only, when given: one account's trouble, the others untouched)."""

    service: str
    operation: str
    code: str
    status: int
    times: int
    message: str = "injected fault"
    account: str = ""

    def matches(self, service: str, operation: str, account: str = "") -> bool:
        return (
            self.service == service
            and self.operation in (ANY_OPERATION, operation)
            and self.account in ("", account)
        )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        return cls(
            service=str(data["service"]),
            operation=str(data["operation"]),
            code=str(data["code"]),
            status=int(data["status"]),
            times=int(data["times"]),
            message=str(data.get("message", "injected fault")),
            account=str(data.get("account", "")),
        )


class FaultBook:
    """Active rules; the first matching rule is spent one use at a time."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        if rule.times <= 0:
            return
        with self._lock:
            self._rules.append(rule)

    def take(self, service: str, operation: str, account: str = "") -> FaultRule | None:
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.matches(service, operation, account):
                    self._spend(index, rule)
                    return rule
        return None

    def _spend(self, index: int, rule: FaultRule) -> None:
        if rule.times <= 1:
            del self._rules[index]
        else:
            self._rules[index] = dataclasses.replace(rule, times=rule.times - 1)

    def pending(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
