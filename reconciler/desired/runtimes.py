"""Load stage: what the reconciler knows of each Lambda runtime's lifecycle (pure data)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reconciler.errors import InputError


@dataclass(frozen=True)
class Runtime:
    """Lifecycle dates AWS publishes for a managed runtime (None: not announced yet)."""

    identifier: str
    family: str
    major: int
    deprecated: dt.date | None
    block_create: dt.date | None
    block_update: dt.date | None


def _d(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# From AWS Lambda's runtimes page (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html),
# read 2026-12-01. Keep as data: a new date is a one-line change. AWS has moved the block dates
# of the deprecated Node.js runtimes several times (14.x first blocked creation on 2024-01-09 and
# updates on 2024-02-08; 16.x and 18.x were due in 2025 and then in March 2026); these are the
# last published values. 14.x and 16.x are here for systems that are taken over, not to deploy.
_TABLE = [
    ("nodejs14.x", "nodejs", 14, "2023-12-04", "2027-02-01", "2027-03-03"),
    ("nodejs16.x", "nodejs", 16, "2024-06-12", "2027-02-01", "2027-03-03"),
    ("nodejs18.x", "nodejs", 18, "2025-09-01", "2027-02-01", "2027-03-03"),
    ("nodejs20.x", "nodejs", 20, "2026-04-30", "2026-08-31", "2026-09-30"),
    ("nodejs22.x", "nodejs", 22, "2027-04-30", "2027-06-01", "2027-07-01"),
    ("nodejs24.x", "nodejs", 24, "2028-04-30", None, "2028-07-01"),
]

RUNTIMES: dict[str, Runtime] = {
    ident: Runtime(ident, fam, major, _d(dep), _d(create), _d(update))
    for ident, fam, major, dep, create, update in _TABLE
}


def known_runtime(identifier: str) -> Runtime:
    """The runtime's record, or a one-line error listing what is known."""
    try:
        return RUNTIMES[identifier]
    except KeyError:
        known = ", ".join(sorted(RUNTIMES))
        raise InputError(f"runtime {identifier!r} is not known (known: {known})") from None


def blocked_reason(runtime: Runtime, today: dt.date, creating: bool) -> str | None:
    """Why AWS will refuse this runtime today for a create (or an update), if it will."""
    block = runtime.block_create if creating else runtime.block_update
    if block is not None and today >= block:
        verb = "creating" if creating else "updating"
        return f"AWS blocks {verb} {runtime.identifier} functions since {block.isoformat()}"
    return None


def deprecation_warning(runtime: Runtime, today: dt.date) -> str | None:
    """A warning when the runtime is past its deprecation date."""
    if runtime.deprecated is not None and today >= runtime.deprecated:
        return (
            f"runtime {runtime.identifier} is deprecated since {runtime.deprecated.isoformat()}; "
            "move to a supported runtime"
        )
    return None
