"""Call budget: the short benchmark CI runs. Assertions are on API call counts only (never on
time, which depends on the machine), counted by the run's JSON report and by the local AWS.

Pinned figures are today's counts, as upper bounds: a change that makes converged runs read
more fails here. The per-resource targets are asserted as well, and held from then on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import synthetic
from bench.local import INSTANT, reconcile, unpaced
from bench.scenarios import Step, measured
from reconciler.sandbox.child import SandboxProcess

READS_PER_RESOURCE = 1.5
# The target for one suffix of both stacks (issue: bulk reads).
READS_PER_RESOURCE_TARGET = 1.0
# Today's counts of a converged plan: reads of both stacks, and calls of the synthetic stack by
# function count. They repeat exactly from run to run. One of them is Application Auto
# Scaling's listing (a stack with aliases may have a scaler's target of its own left, once its
# scaling is no longer declared); one is the Tagging API's listing, which answers the tags of
# every kind it covers (adapters/tagging.py); one is IAM's account details, which answer
# every role whole (adapters/iam/roles.py).
PINNED_STACK_READS = 33
PINNED_SYNTHETIC_CALLS = {10: 47, 50: 170}
# Calls per function may not grow with the number of functions: at 50 they stay within 5% of
# those at 10 (the stack-wide reads spread over more functions only make it smaller).
LINEAR_SLACK = 1.05


@pytest.fixture(scope="module")
def aws() -> Iterator[SandboxProcess]:
    with SandboxProcess() as running:
        # Waits are instant: converged runs make the same calls either way, and CI stays short.
        running.control.configure(**INSTANT)
        yield running


def flags(suffix: str, *more: str) -> tuple[str, ...]:
    # Unpaced for the same reason: pacing delays calls, it never adds or removes one.
    return ("--suffix", suffix, *more, *unpaced())


@dataclass(frozen=True)
class Converged:
    managed: int
    plan: Step
    apply: Step


@pytest.fixture(scope="module")
def stacks(aws: SandboxProcess) -> Converged:
    both = flags("budget", "--stack", "all")
    first = measured(aws, "first apply", "apply", *both)
    plan = measured(aws, "converged plan", "plan", *both)
    again = measured(aws, "converged apply", "apply", *both)
    return Converged(first.run.plan_count("create"), plan, again)


def test_converged_plan_and_apply_of_both_stacks_write_nothing(stacks: Converged) -> None:
    for step in (stacks.plan, stacks.apply):
        assert step.run.calls.writes == 0, step.run.calls.by_operation
        assert step.seen.writes == 0, step.seen.by_operation


def test_reports_count_what_the_local_aws_answered(stacks: Converged) -> None:
    for step in (stacks.plan, stacks.apply):
        assert step.mismatch == {}


def test_converged_plan_reads_no_more_than_today(stacks: Converged) -> None:
    reads = stacks.plan.run.calls.reads
    assert reads <= PINNED_STACK_READS, stacks.plan.run.calls.top(10)


def test_converged_plan_reads_at_most_one_and_a_half_per_resource(stacks: Converged) -> None:
    assert stacks.plan.run.calls.reads <= READS_PER_RESOURCE * stacks.managed


def test_converged_plan_reads_at_most_one_per_resource(stacks: Converged) -> None:
    assert stacks.plan.run.calls.reads <= READS_PER_RESOURCE_TARGET * stacks.managed


@pytest.fixture(scope="module")
def scales(aws: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Step]:
    """Converged plans of the synthetic stack at 10 and 50 functions."""
    plans = {}
    for n in PINNED_SYNTHETIC_CALLS:
        folder: Path = tmp_path_factory.mktemp(f"synthetic{n}")
        synthetic.write(folder, n)
        mine = flags(f"budget{n}", "--stack", synthetic.STACK, "--desired-dir", str(folder))
        applied = reconcile(aws.url, "apply", *mine)
        assert applied.code == 0, applied.describe()
        plans[n] = measured(aws, f"converged plan, {n} functions", "plan", *mine)
    return plans


def test_synthetic_converged_plans_write_nothing(scales: dict[int, Step]) -> None:
    for n, step in scales.items():
        assert step.run.calls.writes == 0, (n, step.run.calls.by_operation)
        assert step.seen.writes == 0, (n, step.seen.by_operation)
        assert step.mismatch == {}, n


def test_synthetic_calls_grow_linearly(scales: dict[int, Step]) -> None:
    per_function = {n: step.run.calls.total / n for n, step in scales.items()}
    assert per_function[50] <= per_function[10] * LINEAR_SLACK, per_function


def test_synthetic_calls_no_more_than_today(scales: dict[int, Step]) -> None:
    for n, step in scales.items():
        assert step.run.calls.total <= PINNED_SYNTHETIC_CALLS[n], (n, step.run.calls.top(10))
