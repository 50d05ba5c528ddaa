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


@dataclass(frozen=True)
class Knobs:
    """How far the sandbox strays from an instant, unlimited AWS."""

    pending_seconds: float = 0.3
    update_seconds: float = 0.3
    pc_ready_seconds: float = 1.0
    pc_fail_reason: str = ""
    iam_propagation_seconds: float = 0.5
    account_concurrency: int = 1000
    latency_ms: float = 0
    # Crash drills: once this many writes were recorded, hold every further write until the
    # knob is lowered, then refuse it unperformed (-1: off). The caller is killed meanwhile.
    freeze_after_writes: int = -1
    # The same, from the first write of this operation (held itself: the caller is killed in
    # the middle of it), or after it (performed: killed between it and the next write).
    freeze_from_operation: str = ""
    freeze_after_operation: str = ""
    # A share (0..1) of AWS calls answered with the service's throttling error, or a 5xx;
    # drawn from a seeded generator so that a run repeats exactly.
    throttle_share: float = 0.0
    error_share: float = 0.0
    fault_seed: int = 7
    queue_reuse_seconds: float = 60.0
    # An identity policy (JSON) every call of `enforce_access_key` (any key when empty) must
    # satisfy, or be refused with AccessDenied; empty: no enforcement.
    enforce_policy: str = ""
    enforce_access_key: str = ""
    # Seconds before an asynchronous invocation's first retry (the second waits twice as
    # long), as Lambda's one and two minutes; tests shorten it. Throttle backoff scales with it.
    async_retry_seconds: float = 60.0
    # How often alarms are evaluated (CloudWatch: every minute), and how many real seconds one
    # second of an alarm's period lasts here (0.01 makes a 5-minute period 3 s long).
    alarm_evaluation_seconds: float = 60.0
    metric_period_scale: float = 1.0
    # The date Lambda's runtime lifecycle is judged on (ISO, e.g. 2023-06-01; empty: today).
    today: str = ""
    # Seconds the wall clock of the timestamps it writes runs ahead (negative: behind), so
    # that what is set now reads as set days ago (provisioned concurrency's LastModified).
    clock_offset_seconds: float = 0.0

    def replaced(self, changes: Mapping[str, object]) -> Knobs:
        """A copy with `changes` applied; values are converted to each field's type."""
        return dataclasses.replace(self, **coerce_knobs(changes))

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


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


def _convert(name: str, kind: type, value: object) -> object:
    # JSON and argparse both deliver loosely typed values; bools are refused because
    # float(True) would silently turn a typo into a one-second delay.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise KnobError(f"knob {name} cannot be {value!r}")
    if name == "enforce_policy":
        _policy_text(value)
    if name == "today" and value:
        _iso_date(value)
    try:
        converted: object = kind(value)
    except ValueError as exc:
        raise KnobError(f"knob {name} cannot be {value!r}") from exc
    return converted
