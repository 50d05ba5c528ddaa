"""The local AWS enforces an identity policy on one access key, as IAM would."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.control.knobs import KnobError
from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import create_function, error_code

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient

FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def enforce(sandbox: Sandbox, *statements: dict[str, Any]) -> None:
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    sandbox.fidelity.configure(enforce_policy=json.dumps(policy), enforce_access_key="testing")


def allow(action: str | list[str], resource: str | list[str] = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def denied(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return error_code(caught.value) + " " + str(caught.value)


def test_a_call_outside_the_policy_is_refused_and_names_action_and_resource(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn, name="app-a")
    create_function(lam, role_arn, name="other")
    enforce(sandbox, allow("lambda:GetFunction", FN_ARN.format("app-*")))

    assert lam.get_function(FunctionName="app-a")["Configuration"]["FunctionName"] == "app-a"
    message = denied(lambda: lam.get_function(FunctionName="other"))
    assert message.startswith("AccessDeniedException")
    assert f"lambda:GetFunction on resource: {FN_ARN.format('other')}" in message
    assert "lambda:DeleteFunction" in denied(lambda: lam.delete_function(FunctionName="app-a"))
    assert [c.status for c in sandbox.fidelity.calls()][-3:] == [200, 403, 403]


def test_an_explicit_deny_wins_and_actions_match_case_insensitively(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn, name="app-a")
    enforce(
        sandbox,
        allow("LAMBDA:get*"),
        {"Effect": "Deny", "Action": "lambda:GetFunction", "Resource": FN_ARN.format("app-a")},
    )
    assert lam.get_function_configuration(FunctionName="app-a")["FunctionName"] == "app-a"
    assert "AccessDenied" in denied(lambda: lam.get_function(FunctionName="app-a"))


def test_create_function_also_needs_pass_role_to_lambda_and_tag_on_create(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    create = allow("lambda:CreateFunction", FN_ARN.format("*"))
    to_s3 = {"StringEquals": {"iam:PassedToService": "s3.amazonaws.com"}}
    enforce(sandbox, create, allow("iam:PassRole", role_arn, Condition=to_s3))
    assert "iam:PassRole" in denied(lambda: create_function(lam, role_arn, name="a"))

    to_lambda = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    enforce(sandbox, create, allow("iam:PassRole", role_arn, Condition=to_lambda))
    assert create_function(lam, role_arn, name="a")["FunctionName"] == "a"
    tagged = denied(lambda: create_function(lam, role_arn, name="b", Tags={"k": "v"}))
    assert f"lambda:TagResource on resource: {FN_ARN.format('b')}" in tagged


def test_query_protocol_services_answer_access_denied(sandbox: Sandbox, iam: IAMClient) -> None:
    enforce(sandbox, allow("iam:GetRole", "arn:aws:iam::123456789012:role/mine-*"))
    message = denied(lambda: iam.create_role(RoleName="mine-x", AssumeRolePolicyDocument="{}"))
    assert message.startswith("AccessDenied ")
    assert "iam:CreateRole on resource: arn:aws:iam::123456789012:role/mine-x" in message


def test_other_access_keys_and_an_empty_policy_are_not_checked(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    sandbox.fidelity.configure(
        enforce_policy=json.dumps({"Statement": []}), enforce_access_key="someone-else"
    )
    assert create_function(lam, role_arn, name="free")["FunctionName"] == "free"
    sandbox.fidelity.configure(enforce_policy="", enforce_access_key="")
    assert lam.get_function(FunctionName="free")


def test_every_recorded_call_carries_the_actions_iam_checks(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn, name="app-a", Tags={"k": "v"})
    create = [c for c in sandbox.fidelity.calls() if c.operation == "CreateFunction"][-1]
    assert create.actions == ("iam:PassRole", "lambda:CreateFunction", "lambda:TagResource")
    lam.list_functions()
    assert sandbox.fidelity.calls()[-1].actions == ("lambda:ListFunctions",)


@pytest.mark.parametrize("text", ["{not json", '{"Version": "2012-10-17"}', "[]"])
def test_a_policy_the_gate_cannot_read_is_refused_when_set(sandbox: Sandbox, text: str) -> None:
    with pytest.raises(KnobError, match="enforce_policy"):
        sandbox.fidelity.configure(enforce_policy=text)
