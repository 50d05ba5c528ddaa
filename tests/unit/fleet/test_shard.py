"""Sharding: each account-region in exactly one shard, assignments that move little."""

from __future__ import annotations

import pytest

from reconciler.errors import InputError
from reconciler.fleet.model import Fleet, FleetTarget
from reconciler.fleet.shard import WHOLE, Shard, chosen, owner, parse

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
PLACES = [(f"{n:012d}", region) for n in range(100, 140) for region in REGIONS]  # 200


def _target(account: str, region: str, suffix: str) -> FleetTarget:
    return FleetTarget(account, region, suffix, "dev", ("etl",), None, None)


def test_every_account_region_belongs_to_exactly_one_shard() -> None:
    for count in range(1, 9):
        for account, region in PLACES:
            holders = [i for i in range(count) if Shard(i, count).owns(account, region)]
            assert holders == [owner(account, region, count)]


def test_shards_are_about_even() -> None:
    count = 4
    sizes = [sum(owner(a, r, count) == i for a, r in PLACES) for i in range(count)]
    # 200 account-regions over 4 shards: 50 each on average; no shard twice another's share.
    assert sum(sizes) == len(PLACES)
    assert min(sizes) >= 30 and max(sizes) <= 70, sizes


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_one_more_shard_moves_about_its_share_and_only_to_itself(count: int) -> None:
    moved = [(a, r) for a, r in PLACES if owner(a, r, count) != owner(a, r, count + 1)]
    # Rendezvous hashing: whatever moves, moves to the new shard; about 1/(N+1) of all.
    assert all(owner(a, r, count + 1) == count for a, r in moved)
    expected = len(PLACES) / (count + 1)
    assert 0.5 * expected <= len(moved) <= 1.5 * expected, (len(moved), expected)


def test_adding_an_account_region_moves_no_other() -> None:
    before = {place: owner(*place, 4) for place in PLACES}
    after = {place: owner(*place, 4) for place in [*PLACES, ("999999999999", "us-east-1")]}
    assert all(after[place] == shard for place, shard in before.items())


def test_a_shard_takes_whole_account_regions_in_the_files_order() -> None:
    targets = tuple(
        _target(account, region, f"s{i}-{j}")
        for i, (account, region) in enumerate(PLACES[:30])
        for j in range(3)
    )
    fleet = Fleet(targets)
    parts = [Shard(i, 3).of(fleet) for i in range(3)]
    taken = [t for part in parts for t in part.targets]
    assert sorted(taken, key=targets.index) == list(targets)  # each target once
    for part in parts:
        assert list(part.targets) == sorted(part.targets, key=targets.index)
        places = {t.account_region for t in part.targets}
        # A shard never holds part of an account-region.
        assert all(t.account_region in places for t in part.targets)
        for other in parts:
            if other is not part:
                assert places.isdisjoint({t.account_region for t in other.targets})
    assert WHOLE.of(fleet) == fleet


def test_shard_flag() -> None:
    assert parse("0/1") == WHOLE
    assert parse(" 2/5 ") == Shard(2, 5)
    assert str(Shard(2, 5)) == "2/5"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1", "expected I/N"),
        ("a/b", "expected I/N"),
        ("-1/2", "expected I/N"),
        ("1/0", "at least 1"),
        ("2/2", "shard 2 does not exist among 2"),
    ],
)
def test_bad_shard_flags(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        parse(text)


def test_an_indexed_job_sets_the_shard_from_its_environment() -> None:
    env = {"JOB_COMPLETION_INDEX": "1", "RECONCILE_SHARD_COUNT": "3"}
    assert chosen(None, env) == Shard(1, 3)
    assert chosen("0/2", env) == Shard(0, 2)  # the flag wins
    assert chosen(None, {}) == WHOLE
    with pytest.raises(InputError, match=r"RECONCILE_SHARD_COUNT is not set"):
        chosen(None, {"JOB_COMPLETION_INDEX": "1"})
    with pytest.raises(InputError, match="does not exist among 3"):
        chosen(None, {"JOB_COMPLETION_INDEX": "3", "RECONCILE_SHARD_COUNT": "3"})
    with pytest.raises(InputError, match="not numbers"):
        chosen(None, {"JOB_COMPLETION_INDEX": "x", "RECONCILE_SHARD_COUNT": "3"})
