"""Output: logging for every stage (structlog, JSON off a terminal) and the one redactor that
keeps secret values out of every log line and error message."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO, cast

import structlog
from botocore.exceptions import ClientError

from reconciler.errors import ReconcileError
from reconciler.planning.diff import SENSITIVE


class Redactor:
    """Replaces every known secret value in text with `(sensitive)`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            # Very short values would redact ordinary words; secrets are never that short.
            self._values.update(v for v in values if len(v) >= 4)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def text(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, SENSITIVE)
        return text

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        return value

    def __call__(
        self, _: Any, __: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        return {k: self.value(v) for k, v in event.items()}


# Process-wide: log lines and errors come from every thread of every cycle, and structlog's
# processors are configured once per process. A value, once known, is redacted for good.
REDACT = Redactor()


def keep_out_of_logs(values: Iterable[str]) -> None:
    """Secret values that must never reach a log line, an error message or a report."""
    REDACT.add(values)


def redacted(text: str) -> str:
    return REDACT.text(text)


def describe_error(exc: BaseException) -> str:
    """An error on one line for people, secrets redacted: ours as they read, AWS's with the
    operation and code, anything else with its type."""
    if isinstance(exc, ReconcileError):
        return redacted(str(exc))
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        message = redacted(str(error.get("Message")))
        return f"AWS {exc.operation_name} failed: {error.get('Code')}: {message}"
    return redacted(f"{type(exc).__name__}: {exc}")


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written, not when logging was configured: a
    host that swaps it later (a redirect, an embedding tool's capture) still gets every line,
    and a swapped-out stream that was closed is never written to."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


# Info events a person at a terminal sees as progress; every other info line is for the
# JSON log (or --log-level info) only.
PROGRESS = frozenset({"action.applied", "wait.progress", "fleet.cycle", "watch.stopped"})
# The fields that say what an action is: shown first, as words.
ACTION_FIELDS = ("op", "kind", "name")
# The one field that carries an event's message.
MESSAGE_FIELDS = ("detail", "reason", "error")
DROPPED = ("timestamp", "suffix", "command", "stack_name")


def words(_: Any, __: str, event: MutableMapping[str, Any]) -> str:
    """A log line in words, for a person: `warning: runtime deprecated: ...`."""
    fields = dict(event)
    level = fields.pop("level", "info")
    said = str(fields.pop("event", "")).replace(".", " ").replace("_", " ")
    subject = " ".join(str(fields.pop(k)) for k in ACTION_FIELDS if k in fields)
    message = next((str(fields.pop(k)) for k in MESSAGE_FIELDS if k in fields), "")
    rest = ", ".join(f"{k}={v}" for k, v in fields.items() if k not in DROPPED)
    line = f"{level}: {said}"
    line += f" {subject}" if subject else ""
    line += f": {message}" if message else ""
    return f"{line} ({rest})" if rest else line


class _ProgressOnly:
    """Warnings and worse, and the info events that are progress; nothing else."""

    def __call__(
        self, _: Any, method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        if method in ("debug", "info") and event.get("event") not in PROGRESS:
            raise structlog.DropEvent
        return event


def configure(level: str | None = None, json: bool = True) -> None:
    """Logs to stderr (stdout is for the plan): JSON, or words for a person. No level given:
    JSON logs take info; words take warnings and progress only."""
    renderer: Any = structlog.processors.JSONRenderer() if json else words
    chosen = level or ("info" if json else "warning")
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        REDACT,
        renderer,
    ]
    if level is None and not json:
        processors.insert(0, _ProgressOnly())
        chosen = "info"
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(chosen.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=False,
    )
