"""A rollout's state as the alias's description holds it, its schedule, and its words."""

from __future__ import annotations

from decimal import Decimal

from reconciler.adapters.lambda_.release import (
    LONGEST,
    InProgress,
    RolledBack,
    capacity_words,
    left_s,
    parse,
    progress_words,
    steps,
    strategy_words,
    total_left_s,
    warm_count,
    warm_s,
    weight,
)
from reconciler.desired.model import RolloutSpec
from reconciler.expand.lambda_ import Release

CANARY = RolloutSpec("canary", 10, 300, ("errors",), (), 0)
LINEAR = RolloutSpec("linear", 25, 60, (), (), 120)
SINCE = 1_765_000_000


def test_the_state_reads_back_from_the_description_it_writes() -> None:
    state = InProgress("4", "3", "abcdef012345", 2, SINCE)
    assert parse(state.text()) == state
    held = RolledBack("4", "3", "abcdef012345", SINCE, "alarm x-errors is in ALARM (Threshold)")
    assert parse(held.text()) == held


def test_a_description_of_someone_else_says_nothing() -> None:
    for text in (None, "", "payments live alias", "lambda-reconciler rollout 4 from x"):
        assert parse(text) is None


def test_a_long_cause_is_cut_to_what_aws_takes() -> None:
    held = RolledBack("4", "3", "abcdef012345", SINCE, "alarm " + "x" * 400)
    assert len(held.text()) == LONGEST
    assert isinstance(parse(held.text()), RolledBack)


def test_steps_weights_and_the_bake() -> None:
    assert steps(CANARY) == 1 and weight(CANARY, 1) == 10
    # Linear 25: 25, 50, 75, then 100% watched for the bake.
    assert steps(LINEAR) == 4
    assert [weight(LINEAR, s) for s in range(1, 5)] == [25, 50, 75, 100]


def test_time_already_spent_in_a_step_counts() -> None:
    state = InProgress("4", "3", "abcdef012345", 2, SINCE)
    assert left_s(LINEAR, state, SINCE + 45) == 15
    assert left_s(LINEAR, state, SINCE + 500) == 0
    # Step 2 has 15 s left; step 3 holds 60 s and the bake 120 s.
    assert total_left_s(LINEAR, state, SINCE + 45) == 195


def test_the_plan_says_the_release_and_where_it_is() -> None:
    words = strategy_words(CANARY, ("pay-errors-x",), "4")
    assert (
        words == "canary 10% for 5m, then 100%; rolls back on pay-errors-x, any error of version 4"
    )
    linear = strategy_words(LINEAR, (), "7")
    assert linear.startswith("linear 25% more every 1m (3 steps), then 100%, watched 2m at 100%")
    state = InProgress("4", "3", "abcdef012345", 1, SINCE)
    said = progress_words(CANARY, state, SINCE + 70)
    assert "step 1 of 1 (10%)" in said and "3m50s left in it" in said


def test_the_plan_says_what_the_rollout_costs_in_capacity() -> None:
    # Canary 10% of 5 instances: 1 of its own (ceil 0.5), 1 GB for the 300 s step,
    # at $0.0000041667 a GB-second: $0.00125.
    canary = Release("pay", "live", CANARY, (), 5, 1024, "x86_64")
    assert warm_count(canary) == 1 and warm_s(CANARY) == 300
    said = capacity_words(canary, "3", "4", Decimal("0.0000041667"))
    assert said.startswith("capacity: version 4 gets 1 provisioned of its own, READY before")
    assert "for the 5m it is weighted (about $0.0013)" in said
    assert "the alias's 5 serve version 3 meanwhile, then move to version 4" in said
    # Linear to 75% of 5: 4 of its own (ceil 3.75) through three 60 s steps, 0.25 GB arm64.
    linear = Release("pay", "live", LINEAR, (), 5, 256, "arm64")
    assert warm_count(linear) == 4 and warm_s(LINEAR) == 180
    assert "(about $0.0006)" in capacity_words(linear, "3", "4", Decimal("0.0000033334"))
    assert "price unknown here" in capacity_words(linear, "3", "4", None)
    none = Release("pay", "live", CANARY, ())
    assert warm_count(none) == 0
    assert "runs on demand" in capacity_words(none, "3", "4", None)
