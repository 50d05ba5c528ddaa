"""Fleet files: read and checked before any AWS call, one line naming each problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import InputError
from reconciler.fleet.load import load_fleet
from reconciler.fleet.model import Fleet
from reconciler.model import Command, Options
from reconciler.pipeline import fleet_check
from tests.fixtures import small_stack

ROOT = Path(__file__).parents[3]
CHECK = fleet_check(Options(Command.PLAN, "x", ("all",), ROOT / "desired_state"))
GOOD = """
[defaults]
env = "dev"
stacks = ["all"]
role_name = "lambda-reconciler"

[[targets]]
account = "111111111111"
region = "us-east-1"
suffix = "pr42"
stacks = ["etl"]

[[targets]]
account = "222222222222"
region = "eu-west-1"
suffix = "stg"
env = "prod"
stacks = ["etl"]
role_arn = "arn:aws:iam::222222222222:role/ops/reconciler"
external_id = "env:FLEET_EXTERNAL_ID"

[[targets]]
account = "111111111111"
region = "us-east-1"
suffix = "pr43"
"""


def _load(tmp_path: Path, text: str) -> Fleet:
    path = tmp_path / "fleet.toml"
    path.write_text(text)
    return load_fleet(path, CHECK)


def test_a_fleet_file_gives_each_target_its_defaults_and_its_own_keys(tmp_path: Path) -> None:
    fleet = _load(tmp_path, GOOD)
    first, second, third = fleet.targets
    assert (first.stacks, first.env) == (("etl",), "dev")
    assert first.role_arn == "arn:aws:iam::111111111111:role/lambda-reconciler"
    assert first.external_id is None
    # A target's role_arn replaces the defaults' role_name.
    assert second.role_arn == "arn:aws:iam::222222222222:role/ops/reconciler"
    assert str(second.external_id) == "env:FLEET_EXTERNAL_ID" and second.env == "prod"
    assert third.stacks == ("all",)
    groups = fleet.by_account_region()
    assert list(groups) == [("111111111111", "us-east-1"), ("222222222222", "eu-west-1")]
    assert [t.suffix for t in groups[("111111111111", "us-east-1")]] == ["pr42", "pr43"]


def test_a_target_with_no_role_uses_the_current_credentials(tmp_path: Path) -> None:
    fleet = _load(
        tmp_path, '[[targets]]\naccount = "111111111111"\nregion = "us-east-1"\nsuffix = "pr1"\n'
    )
    assert fleet.targets[0].role_arn is None


TARGET = 'account = "111111111111"\nregion = "us-east-1"\nsuffix = "pr42"\n'
BAD = {
    "not TOML": ("[[targets]\n", "not valid TOML"),
    "no targets": ("[defaults]\nenv = 'dev'\n", "declares no [[targets]]"),
    "unknown table": (f"[fleet]\nx = 1\n[[targets]]\n{TARGET}", "unknown table 'fleet'"),
    "unknown key": (f"[[targets]]\n{TARGET}colour = 'red'\n", "targets[0].colour: unknown key"),
    "unknown key in defaults": (
        f"[defaults]\nsufix = 'a'\n[[targets]]\n{TARGET}",
        "defaults.sufix: unknown key",
    ),
    "bad account": (
        '[[targets]]\naccount = "1234"\nregion = "us-east-1"\nsuffix = "a"\n',
        "targets[0].account: '1234' is not a 12-digit account id",
    ),
    "account as a number": (
        '[[targets]]\naccount = 111111111111\nregion = "us-east-1"\nsuffix = "a"\n',
        "targets[0].account: expected a string",
    ),
    "unknown region": (
        '[[targets]]\naccount = "111111111111"\nregion = "us-east-9"\nsuffix = "a"\n',
        "targets[0].region: region 'us-east-9' is not a region AWS Lambda serves",
    ),
    "missing suffix": (
        '[[targets]]\naccount = "111111111111"\nregion = "us-east-1"\n',
        "targets[0].suffix: required key is missing",
    ),
    "duplicate target": (
        f"[[targets]]\n{TARGET}[[targets]]\n{TARGET}",
        "targets[1]: suffix 'pr42' in account 111111111111 is already targets[0] (us-east-1) "
        "(the same target)",
    ),
    "one suffix in two regions of an account": (
        f"[[targets]]\n{TARGET}[[targets]]\n{TARGET.replace('us-east-1', 'eu-west-1')}",
        "targets[1]: suffix 'pr42' in account 111111111111 is already targets[0] (us-east-1);"
        " IAM names are global to an account",
    ),
    "unknown stack": (
        f"[[targets]]\n{TARGET}stacks = ['payroll']\n",
        "targets[0] (111111111111/us-east-1/pr42): unknown stack 'payroll'",
    ),
    "unknown env": (
        f"[[targets]]\n{TARGET}env = 'qa'\n",
        "targets[0] (111111111111/us-east-1/pr42): etl.toml: environments: no environment 'qa'",
    ),
    "suffix breaking a name": (
        '[[targets]]\naccount = "111111111111"\nregion = "us-east-1"\nsuffix = "Pr_42"\n',
        "targets[0] (111111111111/us-east-1/Pr_42): suffix 'Pr_42' is invalid",
    ),
    "suffix too long": (
        f'[[targets]]\naccount = "111111111111"\nregion = "us-east-1"\nsuffix = "{"a" * 60}"\n',
        "is too long",
    ),
    "role in another account": (
        f"[[targets]]\n{TARGET}role_arn = 'arn:aws:iam::222222222222:role/r'\n",
        "targets[0].role_arn: the role is in account 222222222222, the target in 111111111111",
    ),
    "role_arn and role_name": (
        f"[[targets]]\n{TARGET}role_arn = 'arn:aws:iam::111111111111:role/r'\nrole_name = 'r'\n",
        "targets[0]: give role_arn or role_name, not both",
    ),
    "bad role name": (
        f"[[targets]]\n{TARGET}role_name = 'a role'\n",
        "targets[0].role_name: 'a role' is not an IAM role name",
    ),
    "literal external id": (
        f"[[targets]]\n{TARGET}role_name = 'r'\nexternal_id = 'hunter2'\n",
        "targets[0].external_id: a secret must name its source",
    ),
    "external id without a role": (
        f"[[targets]]\n{TARGET}external_id = 'env:X'\n",
        "targets[0].external_id: given, but there is no role to assume",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_fleet_file_is_one_line_naming_the_problem(tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    with pytest.raises(InputError) as raised:
        _load(tmp_path, text)
    message = str(raised.value)
    assert "\n" not in message and expected in message, message
    assert message.startswith("fleet"), message
    assert "hunter2" not in message


def test_a_missing_fleet_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"fleet file .*nope\.toml: No such file"):
        load_fleet(tmp_path / "nope.toml", CHECK)


PR_AND_PROD = """
[[targets]]
account = "111111111111"
region = "us-east-1"
suffix = "pr42"
stacks = ["transactions"]

[[targets]]
account = "333333333333"
region = "us-east-1"
suffix = "prod"
env = "prod"
stacks = ["all"]
role_name = "lambda-reconciler"
"""


def test_one_environment_variable_for_a_pr_and_production_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as refused:
        _load(tmp_path, PR_AND_PROD)
    assert str(refused.value) == (
        "fleet.toml: secret env:TRANSACTIONS_API_KEY would give one value to targets of "
        "different accounts or environments (111111111111/us-east-1/pr42 (dev), "
        "333333333333/us-east-1/prod (prod)); template it (env:TRANSACTIONS_API_KEY_{suffix}, "
        "{env}, {account}) or list it in shared_secrets"
    )


def test_a_secret_shared_on_purpose_is_accepted(tmp_path: Path) -> None:
    shared = 'shared_secrets = ["env:TRANSACTIONS_API_KEY", "env:TRANSACTIONS_DATABASE_URL"]\n'
    assert len(_load(tmp_path, shared + PR_AND_PROD).targets) == 2
    with pytest.raises(InputError, match="shared_secrets: a secret must name its source"):
        _load(tmp_path, 'shared_secrets = ["hunter2"]\n' + PR_AND_PROD)


def test_suffixes_of_one_account_and_environment_may_share_a_variable(tmp_path: Path) -> None:
    text = PR_AND_PROD.replace('account = "333333333333"', 'account = "111111111111"')
    text = text.replace('env = "prod"\n', "").replace('role_name = "lambda-reconciler"\n', "")
    assert len(_load(tmp_path, text).targets) == 2


def test_a_templated_or_ssm_secret_is_each_targets_own(tmp_path: Path) -> None:
    folder = tmp_path / "desired"
    toml = small_stack.TOML.replace('"env:SMALL_TOKEN"', '"env:SMALL_TOKEN_{suffix}"')
    toml += "\n[environments.dev]\n[environments.prod]\n"
    small_stack.write(folder, toml)
    check = fleet_check(Options(Command.PLAN, "x", ("all",), folder))
    path = tmp_path / "fleet.toml"
    path.write_text(
        PR_AND_PROD.replace('["transactions"]', '["small"]').replace('["all"]', '["small"]')
    )
    assert len(load_fleet(path, check).targets) == 2
