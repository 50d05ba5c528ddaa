"""Runtime lifecycle dates decide what AWS accepts, as data."""

from __future__ import annotations

import datetime as dt

import pytest

from reconciler.desired import runtimes
from reconciler.errors import InputError


@pytest.mark.parametrize(
    ("runtime", "today", "creating", "blocked"),
    [
        ("nodejs24.x", dt.date(2026, 11, 23), True, False),
        ("nodejs18.x", dt.date(2026, 11, 23), True, False),
        ("nodejs18.x", dt.date(2027, 2, 1), True, True),
        ("nodejs18.x", dt.date(2027, 2, 1), False, False),
        ("nodejs18.x", dt.date(2027, 3, 3), False, True),
        ("nodejs20.x", dt.date(2026, 11, 23), False, True),
    ],
)
def test_runtime_block_dates_decide_create_and_update(
    runtime: str, today: dt.date, creating: bool, blocked: bool
) -> None:
    record = runtimes.known_runtime(runtime)
    assert (runtimes.blocked_reason(record, today, creating) is not None) is blocked


def test_a_deprecated_runtime_warns_from_its_deprecation_date() -> None:
    record = runtimes.known_runtime("nodejs18.x")
    assert runtimes.deprecation_warning(record, dt.date(2025, 8, 31)) is None
    warning = runtimes.deprecation_warning(record, dt.date(2025, 9, 1))
    assert warning is not None and "deprecated since 2025-09-01" in warning


def test_an_unknown_runtime_names_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"runtime 'python2.7' is not known \(known: nodejs14"):
        runtimes.known_runtime("python2.7")
