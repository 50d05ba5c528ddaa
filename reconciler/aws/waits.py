"""AWS access: polling until AWS reaches a state, with progress and a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from reconciler.errors import WaitTimeout

T = TypeVar("T")
log = structlog.get_logger()


@dataclass(frozen=True)
class WaitPolicy:
    """How long and how often to poll; the interval grows to spare the API quota."""

    timeout_s: float = 600.0
    first_interval_s: float = 0.2
    max_interval_s: float = 5.0

    def until(self, check: Callable[[], tuple[bool, str]], what: str, **context: str) -> str:
        """Poll `check` (done, status) until done; returns the last status."""
        deadline = time.monotonic() + self.timeout_s
        interval = self.first_interval_s
        last = ""
        while True:
            done, status = check()
            if done:
                return status
            if status != last:
                log.info("wait.progress", waiting_for=what, status=status, **context)
                last = status
            if time.monotonic() + interval > deadline:
                raise WaitTimeout(f"{what}: still {status} after {self.timeout_s:.0f} s")
            time.sleep(interval)
            interval = min(interval * 1.5, self.max_interval_s)
