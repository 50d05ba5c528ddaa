"""The reconciler's own policy, derived from the stacks (the e2e test runs both inside it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.desired.load import load_stack
from reconciler.output import reconciler_policy as permissions

ROOT = Path(__file__).parents[2]


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_writes_are_scoped_to_the_declared_names_and_suffix() -> None:
    spec = load_stack(ROOT / "desired_state" / "transactions.toml")
    got = statements(permissions.policy([spec], permissions.PolicyScope("pr42", "111122223333")))
    assert listed(got["LambdaFunction"]["Resource"]) == [
        "arn:aws:lambda:*:111122223333:function:lambda-function-pr42",
        "arn:aws:lambda:*:111122223333:function:lambda-function-pr42:*",
    ]
    assert got["IamRole"]["Resource"] == "arn:aws:iam::111122223333:role/lambda-function-role-pr42"
    assert got["CloudwatchDashboard"]["Resource"] == (
        "arn:aws:cloudwatch::111122223333:dashboard/transactions-pr42"
    )
    # transactions declares no layer, queue, alarm or boundary: nothing is granted on them.
    assert not {"LambdaLayer", "SqsQueue", "CloudwatchAlarm", "IamPolicy"} & set(got)
    assert "ReadSecrets" not in got


def test_pass_role_is_only_to_lambda_and_only_our_roles() -> None:
    spec = load_stack(ROOT / "desired_state" / "etl.toml")
    got = statements(permissions.policy([spec], permissions.PolicyScope()))["PassFunctionRoles"]
    assert got["Action"] == ["iam:PassRole"]
    assert got["Condition"] == {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    assert sorted(listed(got["Resource"])) == [
        f"arn:aws:iam::*:role/{fn}-role-*"
        for fn in ("api-handler", "batch-load", "batch-transform")
    ]


def test_ssm_secrets_add_exactly_their_parameters(tmp_path: Path) -> None:
    text = (ROOT / "desired_state" / "transactions.toml").read_text()
    (tmp_path / "desired_state").mkdir()
    (tmp_path / "handlers").symlink_to(ROOT / "handlers")
    path = tmp_path / "desired_state" / "transactions.toml"
    path.write_text(text.replace('"env:TRANSACTIONS_API_KEY"', '"ssm:/payments/api-key"'))
    spec = load_stack(path)
    got = statements(permissions.policy([spec], permissions.PolicyScope(region="us-east-1")))
    assert got["ReadSecrets"]["Action"] == ["ssm:GetParameters"]
    assert got["ReadSecrets"]["Resource"] == "arn:aws:ssm:us-east-1:*:parameter/payments/api-key"


def test_regions_of_other_partitions_get_their_partition() -> None:
    assert (
        permissions.PolicyScope(region="cn-north-1").arn("sqs", "q")
        == "arn:aws-cn:sqs:cn-north-1:*:q"
    )
    gov = permissions.PolicyScope(region="us-gov-west-1").arn("iam", "role/r", regional=False)
    assert gov == "arn:aws-us-gov:iam::*:role/r"
