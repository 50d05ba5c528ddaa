"""Tunable delays and limits of the sandbox, changeable while it runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class KnobError(ValueError):
    """A knob name or value the sandbox does not understand."""


def _knob(default: Any, says: str) -> Any:
    """A knob's default and what it does (its `--help` line), declared together."""
    return dataclasses.field(default=default, metadata={"help": says})


@dataclass(frozen=True)
class Knobs:
    """How far the sandbox strays from an instant, unlimited AWS."""

    pending_seconds: float = _knob(0.3, "seconds a new function stays Pending")
    update_seconds: float = _knob(0.3, "seconds a function update stays InProgress")
    pc_ready_seconds: float = _knob(1.0, "seconds provisioned concurrency stays IN_PROGRESS")
    pc_fail_reason: str = _knob("", "provisioned concurrency ends FAILED with this reason")
    iam_propagation_seconds: float = _knob(
        0.5, "seconds before a new role can be assumed by Lambda"
    )
    account_concurrency: int = _knob(1000, "the account's concurrent executions limit")
    latency_ms: float = _knob(0, "added to every answer, in milliseconds")
    # Crash drills: once this many writes were recorded, hold every further write until the
    # knob is lowered, then refuse it unperformed (-1: off). The caller is killed meanwhile.
    freeze_after_writes: int = _knob(-1, "hold every write after this many (-1: off)")
    # The same, from the first write of this operation (held itself: the caller is killed in
    # the middle of it), or after it (performed: killed between it and the next write).
    freeze_from_operation: str = _knob("", "hold writes from this operation's first on")
    freeze_after_operation: str = _knob("", "hold writes after this operation's first")
    # A share (0..1) of AWS calls answered with the service's throttling error, or a 5xx;
    # drawn from a seeded generator so that a run repeats exactly.
    throttle_share: float = _knob(0.0, "share (0..1) of calls answered with throttling")
    error_share: float = _knob(0.0, "share (0..1) of calls answered with a 5xx")
    fault_seed: int = _knob(7, "seed of the throttle and error draws (a run repeats)")
    queue_reuse_seconds: float = _knob(
        60.0, "seconds a deleted queue's name cannot be reused (SQS: 60)"
    )
    # An identity policy (JSON) every call of `enforce_access_key` (any key when empty) must
    # satisfy, or be refused with AccessDenied; empty: no enforcement.
    enforce_policy: str = _knob("", "an IAM policy (JSON) calls must satisfy (empty: none)")
    enforce_access_key: str = _knob("", "only this access key's calls are checked (empty: all)")
    # Seconds before an asynchronous invocation's first retry (the second waits twice as
    # long), as Lambda's one and two minutes; tests shorten it. Throttle backoff scales with it.
    async_retry_seconds: float = _knob(
        60.0, "seconds before an async invocation's first retry (Lambda: 60)"
    )
    # How often alarms are evaluated (CloudWatch: every minute), and how many real seconds one
    # second of an alarm's period lasts here (0.01 makes a 5-minute period 3 s long).
    alarm_evaluation_seconds: float = _knob(60.0, "seconds between alarm evaluations")
    metric_period_scale: float = _knob(
        1.0, "real seconds per second of an alarm's period (0.01: 5 min in 3 s)"
    )
    today: str = _knob("", "the date runtime lifecycles are judged on (ISO; empty: today)")
    # Bulk listings are eventually consistent: their answers may be this old.
    tagging_lag_seconds: float = _knob(
        0.0, "how old the Tagging API's GetResources answer may be (eventual consistency)"
    )
    iam_details_lag_seconds: float = _knob(
        0.0, "how old IAM's GetAccountAuthorizationDetails answer may be"
    )
    # Scheduled scaling fires by this clock: an instant, held until moved (empty: real time).
    clock: str = _knob("", "the local AWS's time, ISO with offset (empty: real time)")
    # So that what is set now reads as set days ago (provisioned concurrency's LastModified).
    clock_offset_seconds: float = _knob(
        0.0, "seconds the clock of written timestamps is ahead (negative: behind)"
    )

    def now(self) -> dt.datetime:
        """The local AWS's time: the `clock` knob's instant when set, else now (UTC)."""
        if self.clock:
            return dt.datetime.fromisoformat(self.clock).astimezone(dt.UTC)
        return dt.datetime.now(dt.UTC)

    def replaced(self, changes: Mapping[str, object]) -> Knobs:
        """A copy with `changes` applied; values are converted to each field's type."""
        return dataclasses.replace(self, **coerce_knobs(changes))

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def knob_help() -> dict[str, str]:
    """Field name -> what the knob does."""
    return {field.name: str(field.metadata["help"]) for field in dataclasses.fields(Knobs)}


def knob_types() -> dict[str, type]:
    """Field name -> declared type (float, int or str), read from the dataclass itself."""
    hints = typing.get_type_hints(Knobs)
    return {field.name: hints[field.name] for field in dataclasses.fields(Knobs)}


def coerce_knobs(changes: Mapping[str, object]) -> dict[str, Any]:
    types = knob_types()
    unknown = sorted(set(changes) - set(types))
    if unknown:
        raise KnobError(f"unknown knob(s): {', '.join(unknown)}")
    return {name: _convert(name, types[name], value) for name, value in changes.items()}


def _policy_text(value: object) -> None:
    # A policy the gate cannot read would turn every later call into a 500: refuse it here.
    try:
        document = json.loads(str(value)) if value else {"Statement": []}
    except ValueError as exc:
        raise KnobError(f"knob enforce_policy is not JSON: {exc}") from exc
    if not isinstance(document, dict) or "Statement" not in document:
        raise KnobError("knob enforce_policy must be a policy document with a Statement")


def _iso_date(value: object) -> None:
    try:
        dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise KnobError(f"knob today is not an ISO date (YYYY-MM-DD): {value!r}") from exc


def _iso_instant(value: object) -> None:
    try:
        instant = dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise KnobError(f"knob clock is not an ISO date and time: {value!r}") from exc
    if instant.tzinfo is None:
        raise KnobError(f"knob clock needs an offset (e.g. 2026-03-09T08:00:00-04:00): {value!r}")


def _convert(name: str, kind: type, value: object) -> object:
    # JSON and argparse both deliver loosely typed values; bools are refused because
    # float(True) would silently turn a typo into a one-second delay.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise KnobError(f"knob {name} cannot be {value!r}")
    if name == "enforce_policy":
        _policy_text(value)
    if name == "today" and value:
        _iso_date(value)
    if name == "clock" and value:
        _iso_instant(value)
    try:
        converted: object = kind(value)
    except ValueError as exc:
        raise KnobError(f"knob {name} cannot be {value!r}") from exc
    return converted
