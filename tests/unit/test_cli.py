"""The command line: subcommands with their own flags, the old spellings, one-line usage errors.

Parsing only, in process: what a run then does is the end-to-end tests' business.
"""

from __future__ import annotations

import contextlib
import io
from importlib import metadata
from pathlib import Path

import pytest

from reconciler.cli import COMMANDS, UsageError, main, parse, parser
from reconciler.cli.choices import chosen

WORKED_BEFORE = [
    ["--suffix", "x"],
    ["--suffix", "x", "--stack", "etl", "--env", "prod", "--region", "us-east-1", "plan"],
    ["plan", "--suffix", "x", "--output", "json", "--max-workers", "4"],
    [
        "--suffix",
        "x",
        "--allow-replace",
        "--pc-timeout",
        "10",
        "--rate-limit",
        "lambda:GetFunction=50",
        "--account",
        "123456789012",
        "--desired-dir",
        "d",
        "--log-level",
        "debug",
        "--lock-wait",
        "5",
    ],
    ["destroy", "--suffix", "x", "--yes", "--dry-run", "--lock-wait", "5", "--output", "json"],
    [
        "watch",
        "--suffix",
        "x",
        "--interval",
        "60",
        "--once",
        "--metrics-port",
        "9100",
        "--unhealthy-after",
        "2",
        "--stale-after",
        "100",
        "--allow-replace",
        "--pc-timeout",
        "30",
        "--max-workers",
        "4",
        "--rate-limit",
        "lambda=5",
    ],
    ["unlock", "--suffix", "x"],
    ["policy"],
    ["--suffix", "x", "--account", "111122223333", "--region", "eu-west-1", "policy"],
]


@pytest.mark.parametrize("argv", WORKED_BEFORE, ids=[" ".join(a) for a in WORKED_BEFORE])
def test_every_spelling_that_worked_before_still_parses(argv: list[str]) -> None:
    parse(argv)


def test_a_bare_run_applies_and_the_command_may_come_after_shared_flags() -> None:
    assert parse(["--suffix", "x"]).command == "apply"
    before = vars(parse(["--suffix", "x", "--stack", "etl", "plan"]))
    after = vars(parse(["plan", "--suffix", "x", "--stack", "etl"]))
    assert before == after and before["command"] == "plan"


def test_a_flag_value_that_looks_like_a_command_is_a_value() -> None:
    args = parse(["--suffix", "plan", "--stack", "destroy"])
    assert (args.command, args.suffix, args.stack) == ("apply", "plan", "destroy")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["plan", "--suffix", "x", "--yes"],
            "`reconcile plan` takes no --yes (a flag of apply and destroy)",
        ),
        (
            ["--suffix", "x", "--interval", "5"],
            "`reconcile apply` takes no --interval (a flag of watch)",
        ),
        (
            ["destroy", "--suffix", "x", "--allow-replace"],
            "`reconcile destroy` takes no --allow-replace (a flag of apply and watch)",
        ),
        (
            ["policy", "--output", "json"],
            "`reconcile policy` takes no --output "
            "(a flag of apply and plan and destroy and release and cost)",
        ),
        (["release", "--suffix", "x"], "the following arguments are required: NAME"),
        (
            ["plan", "--suffix", "x", "--include-adopted"],
            "`reconcile plan` takes no --include-adopted (a flag of destroy)",
        ),
        (["plan", "--suffix", "x", "--bogus"], "unrecognized argument: --bogus"),
        (
            ["plan", "--suffix", "x", "--stak", "etl"],
            "unrecognized argument: --stak; did you mean '--stack'?",
        ),
        (["aply", "--suffix", "x"], "no command 'aply'; did you mean 'apply'?"),
        (["--suffix", "x", "nonsense"], "no command 'nonsense'"),
        (["plan"], "--suffix is required (or set RECONCILE_SUFFIX)"),
        (["deploy"], "no command 'deploy'; did you mean 'destroy'?"),
        (["plan", "--suffix", "x", "--env", "two words"], "is not an environment name"),
    ],
)
def test_a_bad_command_line_is_one_usage_error_naming_it(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(argv)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def _help(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        parser().parse_args([*argv, "--help"])
    return out.getvalue()


# init writes the shipped stacks: naming them is its whole point.
@pytest.mark.parametrize("command", [*(c for c in COMMANDS if c != "init"), None])
def test_help_names_no_shipped_stack(command: str | None) -> None:
    text = _help(*([command] if command else []))
    assert "transactions" not in text and "etl" not in text


def test_each_command_lists_only_its_own_flags() -> None:
    assert "--interval" in _help("watch") and "--interval" not in _help("plan")
    assert "--yes" in _help("destroy") and "--yes" not in _help("plan")
    assert "--auto-approve" in _help("apply") and "--no-color" in _help("cost")
    overview = _help()
    assert all(command in overview for command in COMMANDS) and "exit codes" in overview


def test_any_environment_name_is_taken_for_the_stacks_to_judge() -> None:
    assert parse(["plan", "--suffix", "x", "--env", "staging"]).env == "staging"


def test_what_only_removes_needs_no_environment() -> None:
    for command, env in (("destroy", None), ("release", None), ("apply", "dev"), ("plan", "dev")):
        argv = [command, "--suffix", "x", *(["NAME"] if command == "release" else [])]
        assert chosen(parse(argv)).env == env, command
    assert chosen(parse(["destroy", "--suffix", "x", "--env", "prod"])).env == "prod"


def test_every_command_has_every_flag_at_its_default() -> None:
    plan, watch = vars(parse(["plan", "--suffix", "x"])), vars(parse(["watch", "--suffix", "x"]))
    assert plan.keys() - {"given"} == watch.keys() - {"given"}
    assert (plan["yes"], plan["interval"], watch["output"]) == (False, 300.0, "text")


def test_bad_fleet_policy_and_saved_plan_flags_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text('[[targets]]\naccount = "123456789012"\nregion = "us-east-1"\nsuffix = "a"\n')
    for argv, says in (
        (["policy", "--fleet", str(fleet)], "policy --fleet needs --hub ARN"),
        (["policy", "--fleet", str(fleet), "--hub", "hub"], "expected an IAM role ARN"),
        (["policy", "--hub", "123456789012"], "--hub goes with --fleet"),
        (["apply", "--plan", str(fleet.with_suffix(".json"))], "No such file"),
        (["destroy", "--plan", str(fleet), "--out", "x.json"], "--out and --plan"),
        (["cost", "--suffix", "a", "--days", "0"], "must be a whole number above 0"),
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0], (argv, err)


def test_version_is_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        parse(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"reconcile {metadata.version('lambda-reconciler')}"
