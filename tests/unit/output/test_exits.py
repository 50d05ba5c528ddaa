"""The exit codes a script relies on, decided from a run's outcome (pure table)."""

from __future__ import annotations

import pytest

from reconciler.apply.executor import ApplyResult, Failure
from reconciler.expand.resources import Resource, ResourceId
from reconciler.model import Command
from reconciler.output.exits import EXIT_DRIFT, EXIT_OK, EXIT_UNDONE, code_for
from reconciler.planning.plan import UNREADABLE, Action, Op, Plan, Skipped

ACTION = Action(Op.UPDATE, Resource(ResourceId("sqs.queue", "q-u1"), {}))
EMPTY = Plan(())
DRIFT = Plan((ACTION,))
NOT_OURS = Plan((), (Skipped(ResourceId("sqs.queue", "q-u1"), "exists without tags"),))
UNKNOWN = Plan((), (Skipped(ResourceId("sqs.queue", "x-u1"), UNREADABLE, undone=True),))
DONE = ApplyResult((ACTION,), (), ())
FAILED = ApplyResult((), (Failure(ACTION, "AccessDenied"),), ())

CASES = [
    # command, plan, result, what still differs after, exit code
    (Command.PLAN, EMPTY, None, None, EXIT_OK),
    (Command.PLAN, DRIFT, None, None, EXIT_DRIFT),
    (Command.PLAN, NOT_OURS, None, None, EXIT_DRIFT),
    (Command.DESTROY, DRIFT, None, None, EXIT_OK),  # --dry-run lists, never "drift"
    (Command.APPLY, EMPTY, None, EMPTY, EXIT_OK),  # converged: nothing applied
    (Command.APPLY, DRIFT, DONE, EMPTY, EXIT_OK),
    (Command.APPLY, DRIFT, FAILED, DRIFT, EXIT_UNDONE),
    (Command.APPLY, DRIFT, DONE, DRIFT, EXIT_UNDONE),  # verification still finds a difference
    (Command.APPLY, NOT_OURS, None, EMPTY, EXIT_UNDONE),  # a name we may not take
    (Command.DESTROY, NOT_OURS, None, EMPTY, EXIT_OK),  # leaving it is destroy's purpose
    (Command.DESTROY, UNKNOWN, None, EMPTY, EXIT_UNDONE),  # fail closed: maybe ours
    (Command.APPLY, UNKNOWN, None, EMPTY, EXIT_UNDONE),
]


@pytest.mark.parametrize(("command", "plan", "result", "remaining", "code"), CASES)
def test_the_outcome_decides_the_exit_code(
    command: Command,
    plan: Plan,
    result: ApplyResult | None,
    remaining: Plan | None,
    code: int,
) -> None:
    assert code_for(command, plan, result, remaining) == code
