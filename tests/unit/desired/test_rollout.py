"""A declared rollout: read as written, refused at load with one line when it cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.load import load_stack
from reconciler.desired.model import RolloutSpec
from reconciler.errors import InputError
from tests.fixtures import small_stack

ALIAS = 'name = "live"\nprovisioned_concurrency = 1\n'
CANARY = 'strategy = "canary"\npercent = 10\ninterval = "5m"\nalarms = ["errors"]\n'


def _rollout(tmp_path: Path, body: str, extra: str = "") -> Path:
    toml = small_stack.TOML.replace(ALIAS, f"{ALIAS}rollout = {{ {_inline(body)} }}\n", 1)
    return small_stack.write(tmp_path, extra + toml)


def _inline(body: str) -> str:
    return ", ".join(line for line in body.splitlines() if line)


def test_a_canary_is_read_with_its_steps_in_seconds(tmp_path: Path) -> None:
    [fn] = load_stack(_rollout(tmp_path, CANARY + 'bake = "2m"')).functions
    assert fn.alias is not None
    assert fn.alias.rollout == RolloutSpec("canary", 10, 300, ("errors",), (), 120)
    assert fn.alias.rollout.weights == (10,)


def test_a_linear_rollout_steps_by_its_percent_until_100(tmp_path: Path) -> None:
    [fn] = load_stack(
        _rollout(tmp_path, 'strategy = "linear"\npercent = 25\ninterval = "1h"')
    ).functions
    assert fn.alias is not None and fn.alias.rollout.weights == (25, 50, 75)


def test_no_rollout_is_all_at_once(tmp_path: Path) -> None:
    [fn] = load_stack(small_stack.write(tmp_path)).functions
    assert fn.alias is not None and not fn.alias.rollout.stepped


BAD = [
    (CANARY.replace("10", "0"), "rollout.percent: 0 is out of rollout percent's range 1..99"),
    (CANARY.replace("10", "100"), "rollout.percent: 100 is out of rollout percent's range 1..99"),
    (CANARY.replace('"errors"', '"erors"'),
     "rollout.alarms: no 'erors' in [alarms]; did you mean 'errors'?"),
    ('strategy = "linear"\npercent = 30\ninterval = "1m"',
     "rollout.percent: 30 does not divide 100, so linear's steps would not be even"),
    ('strategy = "canary"\npercent = 10', "rollout.interval: required for strategy canary"),
    (CANARY.replace('"5m"', '"5 minutes"'), "rollout.interval: '5 minutes' is not a duration"),
    (CANARY.replace('"5m"', '"25h"'), "rollout.interval: '25h' is not a duration of up to a day"),
    ('strategy = "blue-green"', "rollout.strategy: 'blue-green' is not a rollout strategy"),
    ('strategy = "all-at-once"\npercent = 10', "percent: means nothing to strategy all-at-once"),
    (CANARY + 'speed = "fast"', "rollout.speed: unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), BAD, ids=[b[1][:48] for b in BAD])
def test_a_rollout_that_cannot_work_is_refused_at_load(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(InputError) as refused:
        load_stack(_rollout(tmp_path, body))
    text = str(refused.value)
    assert message in text and text.startswith("small.toml: functions.worker.alias.")
    assert "\n" not in text


def test_alarms_of_a_function_that_is_not_critical_are_refused(tmp_path: Path) -> None:
    path = _rollout(tmp_path, CANARY)
    path.write_text(path.read_text().replace("critical = true\n", "", 1))
    with pytest.raises(InputError, match=r"critical functions only: set functions\.worker\."):
        load_stack(path)


def test_a_rollout_on_a_function_without_an_alias_is_refused(tmp_path: Path) -> None:
    """An environment's rollout reaches the functions that declare an alias; one without is
    named, never given half an alias."""
    toml = small_stack.TOML.replace(f"[functions.worker.alias]\n{ALIAS}", "", 1)
    prod = '[environments.prod.alias.rollout]\nstrategy = "canary"\npercent = 10\ninterval = "1m"\n'
    path = small_stack.write(tmp_path, prod + "[environments.dev]\n" + toml)
    assert load_stack(path, "dev").functions[0].alias is None
    with pytest.raises(InputError) as refused:
        load_stack(path, "prod")
    assert "functions.worker.alias.rollout: functions.worker declares no alias (name)" in str(
        refused.value
    )


def test_an_environment_sets_its_own_rollout(tmp_path: Path) -> None:
    prod = '[environments.prod.alias.rollout]\nstrategy = "canary"\npercent = 10\ninterval = "5m"\n'
    path = small_stack.write(tmp_path, prod + "[environments.dev]\n" + small_stack.TOML)
    [dev] = load_stack(path, "dev").functions
    [live] = load_stack(path, "prod").functions
    assert dev.alias is not None and dev.alias.rollout == RolloutSpec()
    assert live.alias is not None and live.alias.rollout == RolloutSpec("canary", 10, 300)
