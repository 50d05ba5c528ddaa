"""Load stage: Application Auto Scaling's `cron(...)` schedules, checked and evaluated (pure).

The format is AWS's six fields, `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, read
in the schedule's time zone: of the two day fields exactly one is `?`; days of the week run 1-7
from Sunday (or SUN-SAT), months 1-12 (or JAN-DEC). Each field takes `*`, a value, a range
`a-b`, a list `a,b` and a step `*/n` or `a-b/n`. AWS also has `L`, `W` and `#`; a schedule that
uses them is refused here, because its hours could not be priced or checked.

Local times that do not exist (the hour a clock skips in spring) fire nothing; a repeated hour
(autumn) fires once, at its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EXPRESSION = re.compile(r"^cron\((.*)\)$")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# AWS's last day (`L`, `5L`), nearest weekday (`15W`, `LW`) and nth weekday (`2#1`).
_SPECIAL = re.compile(r"[0-9]*L|[0-9]*W|LW|.*#.*")
_ITEM = re.compile(r"^(\*|[0-9A-Z]+(?:-[0-9A-Z]+)?)(?:/([0-9]+))?$")


class CronError(ValueError):
    """Why a schedule expression is not one Application Auto Scaling runs (one line)."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    # Names count from this value (days of the week from 1, months from 1).
    first: int = 1


_FIELDS = (
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 1, 7, _DAYS),
    _Field("year", 1970, 2199),
)


@dataclass(frozen=True)
class Cron:
    """A checked expression: the values each field allows; None for a day field left `?`."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None
    months: frozenset[int]
    weekdays: frozenset[int] | None
    years: frozenset[int]

    def on(self, day: dt.date) -> bool:
        """Whether the expression fires on this local day (at its hours and minutes)."""
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.days is not None:
            return day.day in self.days
        # Python's Monday is 0; AWS's Sunday is 1.
        assert self.weekdays is not None
        return (day.isoweekday() % 7) + 1 in self.weekdays


@cache
def parse(text: str) -> Cron:
    """The expression, or CronError naming what AWS would refuse (or what is not priced)."""
    match = _EXPRESSION.match(text.strip())
    if match is None:
        raise CronError(f"{text!r} is not cron(...): the only schedules taken here are cron")
    parts = match.group(1).split()
    if len(parts) != len(_FIELDS):
        raise CronError(
            f"{text!r} has {len(parts)} fields; cron takes 6 (minutes hours day-of-month "
            "month day-of-week year)"
        )
    dom, dow = parts[2], parts[4]
    if (dom == "?") == (dow == "?"):
        raise CronError(f"{text!r}: exactly one of day-of-month and day-of-week must be ?")
    values = [
        None if part == "?" else _values(part, f) for part, f in zip(parts, _FIELDS, strict=True)
    ]
    minutes, hours, days, months, weekdays, years = values
    assert minutes is not None and hours is not None and months is not None
    assert years is not None
    return Cron(text.strip(), minutes, hours, days, months, weekdays, years)


def _values(part: str, field: _Field) -> frozenset[int]:
    found: set[int] = set()
    for item in part.upper().split(","):
        match = None if _SPECIAL.fullmatch(item) else _ITEM.match(item)
        if match is None:
            raise CronError(f"{field.name} {part!r}: {_unsupported(item)}")
        span, step = match.group(1), int(match.group(2) or 1)
        low, high = (field.low, field.high) if span == "*" else _span(span, field)
        if step < 1 or low > high:
            raise CronError(f"{field.name} {part!r}: an empty range")
        found.update(range(low, high + 1, step))
    return frozenset(found)


def _unsupported(item: str) -> str:
    if _SPECIAL.fullmatch(item):
        return "L, W and # are not taken here (their hours could not be priced); use ranges"
    return "not a value, range, list or step"


def _span(span: str, field: _Field) -> tuple[int, int]:
    ends = [_value(end, field) for end in span.split("-")]
    return ends[0], ends[-1]


def _value(text: str, field: _Field) -> int:
    if text in field.names:
        return field.names.index(text) + field.first
    if not text.isdigit():
        raise CronError(f"{field.name}: {text!r} is not a number or a name")
    value = int(text)
    if not field.low <= value <= field.high:
        raise CronError(f"{field.name}: {value} is out of {field.low}..{field.high}")
    return value


def zone(name: str) -> ZoneInfo:
    """The IANA time zone, or CronError: AWS takes the same names (America/New_York)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(
            f"{name!r} is not a time zone (IANA names: America/New_York, UTC)"
        ) from None


def firings(
    cron: Cron, timezone: str, start: dt.datetime, end: dt.datetime
) -> Iterator[dt.datetime]:
    """Every instant in [start, end) the expression fires, in UTC, in order."""
    tz = zone(timezone)
    day = start.astimezone(tz).date() - dt.timedelta(days=1)
    last = end.astimezone(tz).date() + dt.timedelta(days=1)
    while day <= last:
        if cron.on(day):
            yield from _times(cron, tz, day, start, end)
        day += dt.timedelta(days=1)


def _times(
    cron: Cron, tz: ZoneInfo, day: dt.date, start: dt.datetime, end: dt.datetime
) -> Iterator[dt.datetime]:
    for hour in sorted(cron.hours):
        for minute in sorted(cron.minutes):
            local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            utc = local.astimezone(dt.UTC)
            # A time the clock skips comes back as another wall time: it never happens.
            if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
                continue
            if start <= utc < end:
                yield utc
