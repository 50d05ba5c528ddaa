"""A fleet's account-wide concurrency: targets of one account-region counted together (pure)."""

from __future__ import annotations

from reconciler.fleet.budget import refusals
from reconciler.planning.preflight import Claim, Room

WHERE = "123456789012/us-east-1"


def test_targets_are_admitted_in_file_order_until_the_account_is_full() -> None:
    # 1,000 in the account, 100 kept unreserved: 900 to share, 110 per target of both stacks.
    claims = [Claim(110) for _ in range(10)]
    reasons = refusals(Room(1000, 1000), claims, WHERE)
    assert [r is None for r in reasons] == [True] * 8 + [False] * 2
    assert reasons[8] == (
        f"account concurrency too low for every target of {WHERE}: 1000 total, 1000 "
        "unreserved, and AWS keeps at least 100 unreserved; the targets before it in the fleet "
        "file take 880, and this one reserves 110 (reserved and provisioned); nothing was "
        "written for it"
    )


def test_a_smaller_target_after_a_refused_one_still_fits() -> None:
    reasons = refusals(Room(400, 400), [Claim(200), Claim(200), Claim(100)], WHERE)
    assert [r is None for r in reasons] == [True, False, True]


def test_what_a_target_already_holds_counts_for_it_and_never_for_the_others() -> None:
    # The first already holds its 100 (unreserved is 300 of 400): converged, it claims nothing.
    # The second moves 100 to 150 (net 50); the third gives back 100, which the fourth may not
    # count on, since the third's writes may come after the fourth's.
    claims = [None, Claim(150, 100), Claim(0, 100), Claim(200)]
    reasons = refusals(Room(400, 300), claims, WHERE)
    assert [r is None for r in reasons] == [True, True, True, False]
    assert "take 50, and this one reserves 200" in str(reasons[3])


def test_a_target_alone_too_big_is_refused_even_first() -> None:
    reasons = refusals(Room(1000, 1000), [Claim(901)], WHERE)
    assert reasons[0] is not None and "take 0, and this one reserves 901" in reasons[0]
