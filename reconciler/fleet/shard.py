"""Sharding a fleet over processes (pure): each takes the account-regions that hash to it.

The unit is the account-region, not the target, so one account-region's quota is paced by
one process. Assignment is rendezvous hashing: each account-region goes to the shard that
scores highest for it, so adding an account-region moves no other, and going from N shards
to N+1 moves about 1/(N+1) of them. Two shards that overlap during a rollout (N changed
mid-way) may both hold a suffix for a while; its lease lets one write at a time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import InputError
from reconciler.fleet.model import Fleet

# Kubernetes sets the index in an Indexed Job's pods; the count is the Job's `completions`,
# which it does not expose, so the manifest passes it (deploy/kubernetes/).
INDEX_VARIABLE = "JOB_COMPLETION_INDEX"
COUNT_VARIABLE = "RECONCILE_SHARD_COUNT"
_SHAPE = re.compile(r"(\d+)/(\d+)")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def owns(self, account: str, region: str) -> bool:
        return owner(account, region, self.count) == self.index

    def of(self, fleet: Fleet) -> Fleet:
        """The targets of the account-regions this shard owns, in the file's order."""
        return Fleet(tuple(t for t in fleet.targets if self.owns(t.account, t.region)))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


WHOLE = Shard(0, 1)


def owner(account: str, region: str, count: int) -> int:
    """The shard of `count` that an account-region belongs to (highest score wins)."""
    return max(range(count), key=lambda index: _score(f"{account}/{region}", index))


def _score(key: str, index: int) -> int:
    # A stable hash (Python's own is salted per process): every shard must agree.
    digest = hashlib.sha256(f"{key}#{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def parse(text: str) -> Shard:
    """`I/N`, 0-based: shard I of N."""
    match = _SHAPE.fullmatch(text.strip())
    if match is None:
        raise InputError(f"--shard {text!r}: expected I/N, e.g. 0/4 (0-based)")
    return _checked(int(match[1]), int(match[2]), f"--shard {text}")


def chosen(flag: str | None, environ: Mapping[str, str]) -> Shard:
    """--shard when given, else an Indexed Job's index with the count from the environment."""
    if flag is not None:
        return parse(flag)
    index = environ.get(INDEX_VARIABLE, "").strip()
    if not index:
        return WHOLE
    count = environ.get(COUNT_VARIABLE, "").strip()
    if not count:
        raise InputError(
            f"${INDEX_VARIABLE} is {index} but ${COUNT_VARIABLE} is not set; set it to the "
            "Job's completions, or pass --shard I/N"
        )
    if not (index.isdigit() and count.isdigit()):
        raise InputError(f"${INDEX_VARIABLE}={index} ${COUNT_VARIABLE}={count}: not numbers")
    return _checked(int(index), int(count), f"${INDEX_VARIABLE}={index} ${COUNT_VARIABLE}")


def _checked(index: int, count: int, said: str) -> Shard:
    if count < 1:
        raise InputError(f"{said}: the shard count must be at least 1")
    if index >= count:
        raise InputError(f"{said}: shard {index} does not exist among {count} (0-based)")
    return Shard(index, count)
