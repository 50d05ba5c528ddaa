"""Load stage: an alias's `[scaling]`, checked at load, and what its schedule holds when (pure).

Application Auto Scaling holds the alias's provisioned concurrency within the target's
[min, max]; a scheduled action, when its cron fires, sets that range, and capacity outside it
is brought inside (clamped). Without target tracking nothing else moves it, so the capacity of
a schedule is known hour by hour: that is what the cost estimate prices.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.desired.cron import CronError, firings, parse, zone
from reconciler.desired.fields import SCALING, SCHEDULE, duration_s
from reconciler.desired.model import ScalingSpec, ScheduleSpec, TrackingSpec
from reconciler.desired.schema import read_table
from reconciler.errors import InputError

# Application Auto Scaling's action names: no `:`, `/` or `|` (kept to a readable subset).
_ACTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,255}$")
# How far back the action in force is looked for: a weekly schedule fired within 8 days.
_LOOKBACK = (dt.timedelta(days=8), dt.timedelta(days=366))


def read_scaling(where: str, raw: Any, fixed: int, reserved: int | None) -> ScalingSpec | None:
    """`[functions.X.alias.scaling]`, or None; InputError (one line) for what AWS would
    refuse or what could never hold: min above max, a schedule outside [min, max]."""
    if raw is None:
        return None
    where = f"{where}.alias.scaling"
    s = read_table(where, raw, SCALING)
    _range(where, s["min"], s["max"])
    if reserved is not None and s["max"] > reserved:
        raise InputError(
            f"{where}.max: {s['max']} is above reserved_concurrency {reserved}: Lambda refuses "
            "provisioned concurrency above it"
        )
    if fixed and not s["min"] <= fixed <= s["max"]:
        raise InputError(
            f"{where}: provisioned_concurrency {fixed} is outside {s['min']}..{s['max']}; with "
            "scaling declared the scaler holds the capacity (leave it 0 or within the range)"
        )
    schedule = tuple(_entry(f"{where}.schedule[{i}]", e, s) for i, e in enumerate(s["schedule"]))
    names = [e.name for e in schedule]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"{where}.schedule: {twice[0]!r} is named twice")
    return ScalingSpec(s["min"], s["max"], _tracking(s), schedule)


def _range(where: str, low: int, high: int) -> None:
    if low > high:
        raise InputError(f"{where}.min: {low} is above max {high}")


def _tracking(s: dict[str, Any]) -> TrackingSpec | None:
    if s["target"] is None:
        return None
    cooldowns = duration_s(s["scale_in_cooldown"]), duration_s(s["scale_out_cooldown"])
    return TrackingSpec(float(s["target"]), *cooldowns)


def _entry(where: str, raw: Any, scaling: dict[str, Any]) -> ScheduleSpec:
    e = read_table(where, raw, SCHEDULE)
    if not _ACTION_NAME.match(e["name"]):
        raise InputError(
            f"{where}.name: {e['name']!r} is not an action name (letters, digits, - _ .)"
        )
    try:
        parse(e["cron"])
        zone(e["timezone"])
    except CronError as exc:
        raise InputError(f"{where} ({e['name']}): {exc}") from None
    _range(where, e["min"], e["max"])
    if e["min"] < scaling["min"] or e["max"] > scaling["max"]:
        raise InputError(
            f"{where} ({e['name']}): {e['min']}..{e['max']} is outside scaling's "
            f"{scaling['min']}..{scaling['max']}"
        )
    return ScheduleSpec(e["name"], e["cron"], e["timezone"], e["min"], e["max"])


@dataclass(frozen=True)
class Held:
    """From `start` to `end` (UTC), the range the schedule's last action set (None: the
    target's own range, before any action fired)."""

    start: dt.datetime
    end: dt.datetime
    action: ScheduleSpec | None

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def last_fired(
    schedule: Sequence[ScheduleSpec], at: dt.datetime
) -> tuple[dt.datetime, ScheduleSpec] | None:
    """The action that fired last before `at`, and when; None if none fired in a year."""
    for back in _LOOKBACK:
        fired = [
            (when, action)
            for action in schedule
            for when in firings(parse(action.cron), action.timezone, at - back, at)
        ]
        if fired:
            return max(fired, key=lambda pair: pair[0])
    return None


def in_force(scaling: ScalingSpec, at: dt.datetime) -> tuple[int, int]:
    """The range the scalable target holds at `at`: the last action's, or its own."""
    last = last_fired(scaling.schedule, at)
    return (scaling.min, scaling.max) if last is None else (last[1].min, last[1].max)


def held(scaling: ScalingSpec, start: dt.datetime, end: dt.datetime) -> list[Held]:
    """The stretches of [start, end) each action holds, in order."""
    last = last_fired(scaling.schedule, start)
    current = None if last is None else last[1]
    changes = sorted(
        (when, action)
        for action in scaling.schedule
        for when in firings(parse(action.cron), action.timezone, start, end)
    )
    out, since = [], start
    for when, action in changes:
        if when > since:
            out.append(Held(since, when, current))
        since, current = when, action
    out.append(Held(since, end, current))
    return out


def capacity(scaling: ScalingSpec, stretches: Sequence[Held], start: int) -> list[int]:
    """The instances each stretch holds with no target tracking: the last value, brought
    inside each new range (Application Auto Scaling clamps; it does not set a value)."""
    out, value = [], start
    for stretch in stretches:
        low, high = (
            (scaling.min, scaling.max)
            if stretch.action is None
            else (stretch.action.min, stretch.action.max)
        )
        value = min(max(value, low), high)
        out.append(value)
    return out


_DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def words(scaling: ScalingSpec) -> str:
    """The schedule as a reader says it: `5 from 08:00 Mon-Fri, 1 from 20:00, America/New_York`."""
    parts, days_said = [], ""
    for action in sorted(scaling.schedule, key=_first_in_a_week):
        amount = f"{action.min}" if action.min == action.max else f"{action.min}-{action.max}"
        when, days = _when(action.cron)
        parts.append(f"{amount} from {when}" + (f" {days}" if days and days != days_said else ""))
        days_said = days
    zones = sorted({action.timezone for action in scaling.schedule})
    text = ", ".join(parts + (zones if len(zones) == 1 else []))
    if scaling.tracking is not None:
        tracked = f"tracking {scaling.tracking.target:.0%} utilization"
        text = f"{text}; {tracked}" if text else tracked
    return text or f"{scaling.min}-{scaling.max}"


# A Monday: the schedule is said in the order its actions first fire in a week from it.
_WEEK_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _first_in_a_week(action: ScheduleSpec) -> dt.datetime:
    start = _WEEK_START.replace(tzinfo=zone(action.timezone))
    fired = firings(parse(action.cron), action.timezone, start, start + dt.timedelta(days=8))
    return next(fired, start + dt.timedelta(days=366))


def _when(text: str) -> tuple[str, str]:
    cron = parse(text)
    if len(cron.hours) != 1 or len(cron.minutes) != 1:
        return text, ""
    (hour,), (minute,) = cron.hours, cron.minutes
    return f"{hour:02d}:{minute:02d}", _days(cron.weekdays, cron.days)


def _days(weekdays: frozenset[int] | None, days: frozenset[int] | None) -> str:
    if weekdays is None:
        return "every day" if days is not None and len(days) == 31 else "on some days"
    ordered = sorted(weekdays)
    if len(ordered) == 7:
        return "every day"
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{_DAY_NAMES[ordered[0] - 1]}-{_DAY_NAMES[ordered[-1] - 1]}"
    return ",".join(_DAY_NAMES[d - 1] for d in ordered)
