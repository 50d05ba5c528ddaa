"""Declared scaling: read as written, refused at load in one line when AWS would refuse it or it
could never hold, and what a schedule holds hour by hour (daylight saving included)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reconciler.desired.cron import CronError, firings, parse
from reconciler.desired.load import load_stack
from reconciler.desired.model import ScalingSpec, ScheduleSpec, TrackingSpec
from reconciler.desired.scaling import capacity, held, in_force, words
from reconciler.errors import InputError
from tests.fixtures import small_stack

NY = "America/New_York"
BUSINESS = ScalingSpec(
    1,
    5,
    None,
    (
        ScheduleSpec("business-hours", "cron(0 8 ? * MON-FRI *)", NY, 5, 5),
        ScheduleSpec("after-hours", "cron(0 20 ? * MON-FRI *)", NY, 1, 1),
    ),
)


def test_the_scaling_and_its_schedule_are_read_as_written(tmp_path: Path) -> None:
    [fn] = load_stack(small_stack.write(tmp_path, small_stack.SCALED)).functions
    assert fn.alias is not None
    assert fn.alias.scaling == ScalingSpec(
        1,
        2,
        TrackingSpec(0.7, 300, 0),
        (
            ScheduleSpec("day", "cron(0 8 ? * MON-FRI *)", NY, 2, 2),
            ScheduleSpec("night", "cron(0 20 ? * MON-FRI *)", NY, 1, 1),
        ),
    )


BAD = [
    ("min = 1\nmax = 2", "min = 3\nmax = 2", "alias.scaling.min: 3 is above max 2"),
    ("max = 2", "max = 4", "alias.scaling.max: 4 is above reserved_concurrency 3"),
    ("target = 0.7", "target = 0.95", "alias.scaling.target: 0.95 is out of target utilization"),
    ('scale_in_cooldown = "5m"', 'scale_in_cooldown = "soon"',
     "scaling.scale_in_cooldown: 'soon' is not a duration"),
    ('cron = "cron(0 8 ? * MON-FRI *)"', 'cron = "cron(0 8 * * MON-FRI *)"',
     "schedule[0] (day): 'cron(0 8 * * MON-FRI *)': exactly one of day-of-month and "
     "day-of-week must be ?"),
    ('cron = "cron(0 8 ? * MON-FRI *)"', 'cron = "cron(0 8 ? * MON-FRI)"',
     "has 5 fields; cron takes 6"),
    ('cron = "cron(0 8 ? * MON-FRI *)"', 'cron = "cron(0 25 ? * MON-FRI *)"',
     "(day): hours: 25 is out of 0..23"),
    ('cron = "cron(0 8 ? * MON-FRI *)"', 'cron = "cron(0 8 ? * MON-FUN *)"',
     "day-of-week: 'FUN' is not a number or a name"),
    ('cron = "cron(0 8 ? * MON-FRI *)"', 'cron = "cron(0 8 L * ? *)"',
     "L, W and # are not taken here"),
    ('cron = "cron(0 8 ? * MON-FRI *)"', 'cron = "rate(1 hour)"',
     "'rate(1 hour)' is not cron(...)"),
    ('timezone = "America/New_York"\nmin = 2', 'timezone = "America/Gotham"\nmin = 2',
     "(day): 'America/Gotham' is not a time zone"),
    ("min = 2\nmax = 2", "min = 2\nmax = 1", "schedule[0]"),
    ("min = 2\nmax = 2", "min = 0\nmax = 2", "(day): 0..2 is outside scaling's 1..2"),
    ('name = "night"', 'name = "day"', "scaling.schedule: 'day' is named twice"),
    ('name = "night"', 'name = "late night"', "name: 'late night' is not an action name"),
    ("target = 0.7", "target = 0.7\nspeed = 1", "alias.scaling.speed: unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("find", "put", "says"), BAD, ids=[b[2][:40] for b in BAD])
def test_a_scaling_that_cannot_work_is_refused_at_load(
    tmp_path: Path, find: str, put: str, says: str
) -> None:
    assert find in small_stack.SCALED
    toml = small_stack.SCALED.replace(find, put, 1)
    with pytest.raises(InputError) as refused:
        load_stack(small_stack.write(tmp_path, toml))
    message = str(refused.value)
    assert says in message and "\n" not in message


def test_a_fixed_count_outside_the_scaling_range_is_refused(tmp_path: Path) -> None:
    toml = small_stack.SCALED.replace("provisioned_concurrency = 1", "provisioned_concurrency = 3")
    with pytest.raises(InputError, match=r"provisioned_concurrency 3 is outside 1\.\.2"):
        load_stack(small_stack.write(tmp_path, toml))


def test_scaling_on_a_function_without_an_alias_is_refused(tmp_path: Path) -> None:
    toml = small_stack.TOML.replace('[functions.worker.alias]\nname = "live"\n', "")
    toml = toml.replace("provisioned_concurrency = 1\n", "", 1)
    toml = "[function_defaults.alias.scaling]\nmin = 1\nmax = 2\n" + toml
    with pytest.raises(InputError, match=r"declares no alias \(name\): scaling holds"):
        load_stack(small_stack.write(tmp_path, toml))


def test_the_schedule_is_said_in_words() -> None:
    assert words(BUSINESS) == "5 from 08:00 Mon-Fri, 1 from 20:00, America/New_York"
    tracked = ScalingSpec(1, 20, TrackingSpec(0.7))
    assert words(tracked) == "tracking 70% utilization"


def test_cron_fires_at_local_times_across_daylight_saving() -> None:
    cron = parse("cron(0 8 ? * MON-FRI *)")
    start = dt.datetime(2027, 3, 12, tzinfo=dt.UTC)  # Friday; DST starts Sunday 14 March
    fired = list(firings(cron, NY, start, start + dt.timedelta(days=4)))
    assert fired == [
        dt.datetime(2027, 3, 12, 13, 0, tzinfo=dt.UTC),  # 08:00 EST
        dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.UTC),  # 08:00 EDT
    ]
    # 02:30 does not exist on 14 March in New York: it fires nothing that day.
    skipped = parse("cron(30 2 * * ? *)")
    day = list(firings(skipped, NY, start, start + dt.timedelta(days=4)))
    assert [f.astimezone(dt.UTC).day for f in day] == [12, 13, 15]


def test_the_action_in_force_is_the_last_one_fired() -> None:
    at_noon = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)  # Monday 12:00 in New York
    assert in_force(BUSINESS, at_noon) == (5, 5)
    assert in_force(BUSINESS, at_noon + dt.timedelta(hours=9)) == (1, 1)  # 21:00
    saturday = dt.datetime(2026, 12, 12, 17, 0, tzinfo=dt.UTC)
    assert in_force(BUSINESS, saturday) == (1, 1)
    assert in_force(ScalingSpec(2, 9), at_noon) == (2, 9)


def test_march_2027_holds_the_business_hours_by_hand() -> None:
    """23 weekdays x 12 h at 5; the rest of a 743-hour month (it loses an hour to daylight
    saving) at 1: 276 x 5 + 467 x 1 = 1847 instance-hours."""
    start = dt.datetime(2027, 3, 1, 5, tzinfo=dt.UTC)  # midnight EST
    end = dt.datetime(2027, 4, 1, 4, tzinfo=dt.UTC)  # midnight EDT
    stretches = held(BUSINESS, start, end)
    counts = capacity(BUSINESS, stretches, 1)
    assert sum(s.hours for s in stretches) == 743
    assert sum(s.hours for s, n in zip(stretches, counts, strict=True) if n == 5) == 23 * 12
    assert sum(s.hours * n for s, n in zip(stretches, counts, strict=True)) == 1847


def test_a_bad_expression_says_why() -> None:
    with pytest.raises(CronError, match="minutes '\\*/0': an empty range"):
        parse("cron(*/0 8 ? * MON *)")
