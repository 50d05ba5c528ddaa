"""AssumeRole as AWS decides it: the role must exist in its account and trust the caller."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import client_kwargs

SPOKE = "222222222222"
HUB = "123456789012"


def _in(sandbox: Sandbox, service: str, account: str) -> Any:
    client = boto3.client(service, **client_kwargs(sandbox.url))  # type: ignore[call-overload]
    client.meta.events.register(
        f"before-sign.{service}.*",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id", account),
    )
    return client


def _role(sandbox: Sandbox, name: str, principal: str, external_id: str | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam = _in(sandbox, "iam", SPOKE)
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"])


def _assume(sandbox: Sandbox, arn: str, external_id: str | None = None) -> Any:
    sts: Any = boto3.client("sts", **client_kwargs(sandbox.url))
    extra = {"ExternalId": external_id} if external_id else {}
    return sts.assume_role(RoleArn=arn, RoleSessionName="trust-tests", **extra)["Credentials"]


def _refused(sandbox: Sandbox, arn: str, external_id: str | None = None) -> str:
    with pytest.raises(ClientError) as raised:
        _assume(sandbox, arn, external_id)
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    return str(error["Message"])


def test_a_role_that_trusts_the_callers_account_is_assumed_into_its_own(
    sandbox: Sandbox,
) -> None:
    arn = _role(sandbox, "hub-trusted", f"arn:aws:iam::{HUB}:root")
    got = _assume(sandbox, arn)
    sts = boto3.client(
        "sts",
        endpoint_url=sandbox.url,
        region_name="us-east-1",
        aws_access_key_id=got["AccessKeyId"],
        aws_secret_access_key=got["SecretAccessKey"],
        aws_session_token=got["SessionToken"],
    )
    assert sts.get_caller_identity()["Account"] == SPOKE


def test_a_missing_role_or_one_trusting_someone_else_is_access_denied(sandbox: Sandbox) -> None:
    message = _refused(sandbox, f"arn:aws:iam::{SPOKE}:role/absent")
    assert message.endswith(f"sts:AssumeRole on resource: arn:aws:iam::{SPOKE}:role/absent")
    other = _role(sandbox, "trusts-another", "arn:aws:iam::999999999999:root")
    _refused(sandbox, other)


def test_the_external_id_a_trust_asks_for_must_be_given(sandbox: Sandbox) -> None:
    arn = _role(sandbox, "with-external-id", HUB, external_id="ext-1")
    _refused(sandbox, arn)
    _refused(sandbox, arn, "ext-2")
    assert _assume(sandbox, arn, "ext-1")["AccessKeyId"]
