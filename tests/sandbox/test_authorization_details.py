"""GetAccountAuthorizationDetails pages like AWS: MaxItems a page, a Marker until the last,
every role once across the pages, documents URL-encoded on the wire."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import TRUST_POLICY, client_kwargs

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

# A literal percent sign in a document must survive the encoding.
INLINE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a%41"}
        ],
    }
)


@pytest.fixture(scope="module")
def iam_client(sandbox: Sandbox) -> IAMClient:
    return boto3.client("iam", **client_kwargs(sandbox.url))


def _roles(iam: IAMClient, count: int) -> set[str]:
    names = {f"details-{n:03d}" for n in range(count)}
    for name in names:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_POLICY)
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=INLINE)
    return names


def test_roles_come_in_pages_of_max_items_with_a_marker_until_the_last(
    iam_client: IAMClient,
) -> None:
    names = _roles(iam_client, 7)
    pages: list[Any] = list(
        iam_client.get_paginator("get_account_authorization_details").paginate(
            Filter=["Role"], PaginationConfig={"PageSize": 3}
        )
    )
    sizes = [len(p["RoleDetailList"]) for p in pages]
    assert sizes == [3, 3, 1]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    assert "Marker" not in pages[-1]
    listed = [r["RoleName"] for p in pages for r in p["RoleDetailList"]]
    assert sorted(listed) == sorted(names)
    detail = pages[0]["RoleDetailList"][0]
    assert detail["RolePolicyList"][0]["PolicyName"] == "p"
    # botocore decodes the URL-encoded document; the literal %41 comes back as sent.
    assert detail["RolePolicyList"][0]["PolicyDocument"] == json.loads(INLINE)


def test_one_page_holds_at_most_a_thousand_and_a_marker_it_never_gave_is_refused(
    iam_client: IAMClient,
) -> None:
    _roles(iam_client, 2)
    whole = iam_client.get_account_authorization_details(Filter=["Role"], MaxItems=1000)
    assert whole["IsTruncated"] is False and len(whole["RoleDetailList"]) == 2
    with pytest.raises(ClientError) as too_many:
        iam_client.get_account_authorization_details(Filter=["Role"], MaxItems=1001)
    assert too_many.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as forged:
        iam_client.get_account_authorization_details(Filter=["Role"], Marker="not-a-marker")
    assert forged.value.response["Error"]["Code"] == "InvalidInput"
