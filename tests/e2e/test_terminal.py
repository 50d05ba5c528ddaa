"""The command on a terminal, as a person meets it: asked before writing, coloured plans,
logs in words that stay out of the plan, and environments that are checked.

A stack of its own (custom environments only, a deprecated runtime that warns), one suffix
per test: each test passes alone and in any order.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.helpers import LocalAws, Run, reconcile
from tests.e2e.terminal import ANSI, on_terminal, plain

STACK = """
[stack]
name = "desk"

[tags]
Team = "front-desk"
Environment = "{env}"

[environments.staging]
log_retention_days = 14

[environments.live]
log_retention_days = 30

[tables.visits]
name = "desk-visits-{suffix}"
billing_mode = "PAY_PER_REQUEST"
hash_key = "visitId"
hash_key_type = "S"

[functions.greeter]
name = "desk-greeter-{suffix}"
source = "greeter"
handler = "index.handler"
# Deprecated but still accepted: every plan that changes it warns, once.
runtime = "nodejs18.x"
architecture = "arm64"
memory_mb = 128
timeout_s = 10
tracing = "PassThrough"

[functions.greeter.environment]
TABLE_NAME = "{tables.visits}"

[functions.greeter.alias]
name = "live"

[functions.greeter.role]
name = "desk-greeter-role-{suffix}"
dynamodb = [{ table = "visits", actions = ["dynamodb:PutItem"] }]
"""
WARNING = "runtime deprecated"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "greeter").mkdir()
    (tmp_path / "greeter" / "index.mjs").write_text(
        "export const handler = async () => ({ hello: 'desk' });\n"
    )
    (tmp_path / "desk.toml").write_text(STACK)
    return tmp_path


def desk(aws: LocalAws, folder: Path, *args: str) -> Run:
    return reconcile(aws, *args, "--desired-dir", str(folder), "--stack", "desk")


def _destroyed(aws: LocalAws, folder: Path, suffix: str) -> None:
    gone = desk(aws, folder, "destroy", "--suffix", suffix, "--yes")
    assert gone.code == 0, gone.stdout + gone.stderr


def test_apply_on_a_terminal_shows_the_plan_asks_and_writes_nothing_unless_yes(
    local_aws: LocalAws, folder: Path
) -> None:
    args = ("apply", "--suffix", "tty1", "--env", "staging", "--desired-dir", str(folder))
    question = "Apply 5 changes to desk tty1 (staging)? Only 'yes' is accepted:"
    local_aws.control.reset_calls()
    refused = on_terminal(local_aws, *args, "--stack", "desk", answers=((question, "y"),))
    assert refused.code == 1, refused.screen
    screen = plain(refused.screen)
    # The plan is on the screen before the question, and the answer writes nothing.
    assert screen.index("+ lambda.function desk-greeter-tty1") < screen.index(question)
    assert "error: not approved: nothing was written" in screen
    assert local_aws.control.writes() == []
    try:
        done = on_terminal(local_aws, *args, "--stack", "desk", answers=((question, "yes"),))
        assert done.code == 0, done.screen
        assert "In sync." in done.screen and local_aws.control.writes() != []
    finally:
        _destroyed(local_aws, folder, "tty1")


def test_yes_and_auto_approve_never_ask(local_aws: LocalAws, folder: Path) -> None:
    try:
        for flag in ("--yes", "--auto-approve"):
            args = ("--suffix", "tty2", "--env", "staging", "--desired-dir", str(folder), flag)
            # A bare run applies; with nobody answering, a question would never end.
            ran = on_terminal(local_aws, *args, "--stack", "desk", timeout_s=120)
            assert ran.code == 0, ran.screen
            assert "Only 'yes'" not in ran.screen
    finally:
        _destroyed(local_aws, folder, "tty2")


def test_plans_are_coloured_on_a_terminal_only(local_aws: LocalAws, folder: Path) -> None:
    plan = ("plan", "--suffix", "tty3", "--env", "staging", "--desired-dir", str(folder))
    shown = on_terminal(local_aws, *plan, "--stack", "desk")
    assert shown.code == 2 and shown.coloured, shown.screen
    # Each action's line is coloured by its action: a create is green.
    assert "\033[32m+ lambda.function desk-greeter-tty3\033[0m" in shown.screen
    for off in (
        on_terminal(local_aws, *plan, "--stack", "desk", NO_COLOR="1"),
        on_terminal(local_aws, *plan, "--stack", "desk", "--no-color"),
        on_terminal(local_aws, *plan, "--stack", "desk", "--output", "json"),
    ):
        assert off.code == 2 and not off.coloured, off.screen
    piped = desk(local_aws, folder, *plan)
    assert piped.code == 2 and ANSI not in piped.stdout + piped.stderr


def test_logs_stay_out_of_the_plan_in_words_or_json(local_aws: LocalAws, folder: Path) -> None:
    args = ("--suffix", "tty4", "--env", "staging")
    try:
        # JSON logs off a terminal: stdout is the plan and only the plan.
        planned = desk(local_aws, folder, "plan", *args, "--output", "json")
        assert planned.code == 2
        assert json.loads(planned.stdout)["plan"]["counts"]["create"] == 5
        text = desk(local_aws, folder, "plan", *args)
        assert not any(line.startswith("{") for line in text.stdout.splitlines())
        logs = [json.loads(line) for line in text.stderr.splitlines()]
        assert [e["event"] for e in logs].count("runtime.deprecated") == 1
        # In words, every line says what it is: no lone field value on a line of its own.
        applied = desk(local_aws, folder, "apply", *args, "--log-format", "text")
        assert applied.code == 0, applied.stdout + applied.stderr
        lines = applied.stderr.splitlines()
        assert lines and all(re.match(r"^(info|warning|error): \S", line) for line in lines), lines
        _warned_once_and_progressed(lines)
    finally:
        _destroyed(local_aws, folder, "tty4")


def _warned_once_and_progressed(lines: list[str]) -> None:
    assert sum(WARNING in line for line in lines) == 1, lines
    assert any(line.startswith("info: action applied create lambda.function") for line in lines)


def test_on_a_terminal_only_warnings_and_progress_are_logged(
    local_aws: LocalAws, folder: Path
) -> None:
    args = ("--suffix", "tty5", "--env", "staging", "--desired-dir", str(folder), "--yes")
    try:
        ran = on_terminal(local_aws, *args, "--stack", "desk", timeout_s=120)
        assert ran.code == 0, ran.screen
        screen = plain(ran.screen).splitlines()
        _warned_once_and_progressed(screen)
        assert not any(line.startswith("{") for line in screen)
        assert not any("reconcile started" in line or "lock acquired" in line for line in screen)
    finally:
        _destroyed(local_aws, folder, "tty5")


def test_destroy_of_a_stack_with_only_its_own_environments_needs_no_env(
    local_aws: LocalAws, folder: Path
) -> None:
    made = desk(local_aws, folder, "apply", "--suffix", "tty6", "--env", "live")
    assert made.code == 0, made.stdout + made.stderr
    gone = desk(local_aws, folder, "destroy", "--suffix", "tty6", "--yes")
    assert gone.code == 0, gone.stdout + gone.stderr
    assert gone.stdout.startswith("destroy of desk for suffix 'tty6' in account ")
    assert "Destroyed." in gone.stdout
    functions = local_aws.client("lambda").list_functions()["Functions"]
    assert not any(f["FunctionName"].endswith("tty6") for f in functions)


def test_an_environment_typo_and_a_stack_without_environments_are_refused(
    local_aws: LocalAws, folder: Path
) -> None:
    local_aws.control.reset_calls()
    typo = desk(local_aws, folder, "plan", "--suffix", "tty7", "--env", "stagng")
    assert typo.code == 1
    assert typo.stderr.strip().splitlines()[-1] == (
        "error: desk.toml: environments: no environment 'stagng'; did you mean 'staging'? "
        "(known: live, staging)"
    )
    # Not naming one is no way around it: the default is not among them.
    unnamed = desk(local_aws, folder, "plan", "--suffix", "tty7")
    assert unnamed.code == 1 and "no environment 'dev'" in unnamed.stderr
    head, rest = STACK.split("[environments.staging]")
    bare = head + rest.split("log_retention_days = 30\n")[1]
    (folder / "desk.toml").write_text(bare)
    other = desk(local_aws, folder, "plan", "--suffix", "tty7", "--env", "prod")
    assert other.code == 1
    assert other.stderr.strip().splitlines()[-1] == (
        "error: desk.toml: declares no [environments]: --env prod names none (only its "
        "default, dev, applies)"
    )
    assert local_aws.control.writes() == []


def test_the_plan_header_names_stack_suffix_environment_account_and_region(
    local_aws: LocalAws, folder: Path
) -> None:
    planned = desk(local_aws, folder, "plan", "--suffix", "tty8", "--env", "live")
    assert planned.code == 2
    header = planned.stdout.splitlines()[0]
    assert header == "plan of desk for suffix 'tty8' (env live) in account 123456789012, us-east-1"


def test_a_fleet_apply_on_a_terminal_needs_yes(local_aws: LocalAws, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        '[[targets]]\naccount = "123456789012"\nregion = "us-east-1"\nsuffix = "tty9"\n'
    )
    local_aws.control.reset_calls()
    refused = on_terminal(local_aws, "apply", "--fleet", str(fleet))
    assert refused.code == 1
    assert plain(refused.screen).strip().splitlines()[-1] == (
        "error: apply --fleet on a terminal writes to every target without a question for "
        "each: review with `reconcile plan --fleet FILE`, then add --yes"
    )
    assert local_aws.control.calls() == []


def test_an_alias_move_shows_version_numbers_and_what_is_new(
    local_aws: LocalAws, folder: Path
) -> None:
    args = ("--suffix", "ttya", "--env", "staging")
    try:
        assert desk(local_aws, folder, "apply", *args).code == 0
        (folder / "desk.toml").write_text(STACK.replace("memory_mb = 128", "memory_mb = 256"))
        text = desk(local_aws, folder, "plan", *args)
        assert text.code == 2, text.stderr
        block = text.stdout.split("~ lambda.alias desk-greeter-ttya:live\n", 1)[1].splitlines()
        assert block[0] == "    live: 1 -> 2"
        assert re.fullmatch(
            r"    note: version 2: to be published, code sha256 \S{16}; new in it: memory_mb",
            block[1],
        ), block
        report = json.loads(desk(local_aws, folder, "plan", *args, "--output", "json").stdout)
        (alias,) = [r for r in report["plan"]["resources"] if r["kind"] == "lambda.alias"]
        assert alias["changes"] == [{"field": "live", "old": 1, "new": 2, "sensitive": False}]
        markdown = desk(local_aws, folder, "plan", *args, "--output", "markdown").stdout
        assert "| `live` | `1` | `2` |" in markdown
        # Applied, the alias serves the version the plan named.
        assert desk(local_aws, folder, "apply", *args).code == 0
        lam = local_aws.client("lambda")
        served = lam.get_alias(FunctionName="desk-greeter-ttya", Name="live")["FunctionVersion"]
        assert served == "2"
    finally:
        _destroyed(local_aws, folder, "ttya")
