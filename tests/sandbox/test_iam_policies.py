"""IAM customer managed policies and permissions boundaries, guarded and reported as in AWS."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.helpers import ACCOUNT, TRUST_POLICY, error_code

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

ARN = f"arn:aws:iam::{ACCOUNT}:policy/etl/etl-boundary"


def document(action: str, resource: str = "*") -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [statement]}


def create_policy(iam: IAMClient) -> str:
    created = iam.create_policy(
        PolicyName="etl-boundary",
        Path="/etl/",
        PolicyDocument=json.dumps(document("s3:GetObject")),
        Tags=[{"Key": "team", "Value": "etl"}],
    )
    return created["Policy"]["Arn"]


def roles_using(iam: IAMClient, **filters: Any) -> list[str]:
    listed = iam.list_entities_for_policy(PolicyArn=ARN, **filters)
    return sorted(role["RoleName"] for role in listed["PolicyRoles"])


def test_a_policy_reads_back_with_path_tags_and_default_version(iam: IAMClient) -> None:
    assert create_policy(iam) == ARN

    policy = iam.get_policy(PolicyArn=ARN)["Policy"]

    assert (policy["Path"], policy["DefaultVersionId"]) == ("/etl/", "v1")
    assert policy["Tags"] == [{"Key": "team", "Value": "etl"}]
    assert (policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"]) == (0, 0)


def test_policy_documents_are_url_encoded_as_aws_sends_them(iam: IAMClient) -> None:
    # A document that itself holds %XX text shows whether boto3's URL-decoding gets back
    # exactly what was stored: it does only if the sandbox encoded it first, as AWS does.
    stored = document("s3:GetObject", "arn:aws:s3:::bucket/100%25/*")
    iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(stored))
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(stored))

    version = iam.get_policy_version(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/p", VersionId="v1")

    assert version["PolicyVersion"]["Document"] == stored
    assert iam.list_roles()["Roles"][0]["AssumeRolePolicyDocument"] == stored


def test_a_new_default_version_replaces_the_document(iam: IAMClient) -> None:
    create_policy(iam)

    created = iam.create_policy_version(
        PolicyArn=ARN, PolicyDocument=json.dumps(document("s3:PutObject")), SetAsDefault=True
    )

    assert created["PolicyVersion"]["VersionId"] == "v2"
    assert "Document" not in created["PolicyVersion"]
    assert iam.get_policy(PolicyArn=ARN)["Policy"]["DefaultVersionId"] == "v2"
    current = iam.get_policy_version(PolicyArn=ARN, VersionId="v2")["PolicyVersion"]
    assert current["Document"] == document("s3:PutObject")
    versions = iam.list_policy_versions(PolicyArn=ARN)["Versions"]
    assert {v["VersionId"]: v["IsDefaultVersion"] for v in versions} == {"v1": False, "v2": True}


def test_a_sixth_version_is_refused_until_one_is_deleted(iam: IAMClient) -> None:
    create_policy(iam)
    for _ in range(4):
        iam.create_policy_version(PolicyArn=ARN, PolicyDocument=json.dumps(document("s3:*")))

    with pytest.raises(ClientError) as caught:
        iam.create_policy_version(PolicyArn=ARN, PolicyDocument=json.dumps(document("s3:*")))

    assert error_code(caught.value) == "LimitExceeded"
    with pytest.raises(ClientError) as caught:
        iam.delete_policy_version(PolicyArn=ARN, VersionId="v1")
    assert error_code(caught.value) == "DeleteConflict"
    iam.delete_policy_version(PolicyArn=ARN, VersionId="v2")
    sixth = iam.create_policy_version(PolicyArn=ARN, PolicyDocument=json.dumps(document("s3:*")))
    assert sixth["PolicyVersion"]["VersionId"] == "v6"


def test_policy_tags_are_listed_added_and_removed(iam: IAMClient) -> None:
    create_policy(iam)

    iam.tag_policy(PolicyArn=ARN, Tags=[{"Key": "env", "Value": "dev"}])
    iam.untag_policy(PolicyArn=ARN, TagKeys=["team"])

    assert iam.list_policy_tags(PolicyArn=ARN)["Tags"] == [{"Key": "env", "Value": "dev"}]


def test_roles_report_the_boundary_they_were_given(iam: IAMClient) -> None:
    create_policy(iam)
    created = iam.create_role(
        RoleName="capped", AssumeRolePolicyDocument=TRUST_POLICY, PermissionsBoundary=ARN
    )
    iam.create_role(RoleName="later", AssumeRolePolicyDocument=TRUST_POLICY)

    iam.put_role_permissions_boundary(RoleName="later", PermissionsBoundary=ARN)

    expected = {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": ARN,
    }
    assert created["Role"]["PermissionsBoundary"] == expected
    assert iam.get_role(RoleName="later")["Role"]["PermissionsBoundary"] == expected
    iam.delete_role_permissions_boundary(RoleName="later")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="later")["Role"]


def test_a_boundary_must_be_an_existing_policy(iam: IAMClient) -> None:
    with pytest.raises(ClientError) as caught:
        iam.create_role(
            RoleName="capped", AssumeRolePolicyDocument=TRUST_POLICY, PermissionsBoundary=ARN
        )

    assert error_code(caught.value) == "NoSuchEntity"


def test_entities_are_listed_by_how_they_use_the_policy(iam: IAMClient) -> None:
    create_policy(iam)
    iam.create_role(
        RoleName="capped", AssumeRolePolicyDocument=TRUST_POLICY, PermissionsBoundary=ARN
    )
    iam.create_role(RoleName="granted", AssumeRolePolicyDocument=TRUST_POLICY)
    iam.attach_role_policy(RoleName="granted", PolicyArn=ARN)

    assert roles_using(iam) == ["capped", "granted"]
    assert roles_using(iam, PolicyUsageFilter="PermissionsPolicy") == ["granted"]
    assert roles_using(iam, PolicyUsageFilter="PermissionsBoundary") == ["capped"]
    assert roles_using(iam, EntityFilter="User") == []
    policy = iam.get_policy(PolicyArn=ARN)["Policy"]
    assert (policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"]) == (1, 1)


def test_a_policy_in_use_or_with_old_versions_cannot_be_deleted(iam: IAMClient) -> None:
    create_policy(iam)
    iam.create_role(
        RoleName="capped", AssumeRolePolicyDocument=TRUST_POLICY, PermissionsBoundary=ARN
    )
    iam.create_policy_version(
        PolicyArn=ARN, PolicyDocument=json.dumps(document("s3:*")), SetAsDefault=True
    )

    refusals = [_delete_refusal(iam)]
    iam.delete_role_permissions_boundary(RoleName="capped")
    refusals.append(_delete_refusal(iam))
    iam.delete_policy_version(PolicyArn=ARN, VersionId="v1")
    iam.delete_policy(PolicyArn=ARN)

    assert refusals == ["DeleteConflict", "DeleteConflict"]
    with pytest.raises(ClientError) as caught:
        iam.get_policy(PolicyArn=ARN)
    assert error_code(caught.value) == "NoSuchEntity"


def test_an_attached_policy_cannot_be_deleted(iam: IAMClient) -> None:
    create_policy(iam)
    iam.create_role(RoleName="granted", AssumeRolePolicyDocument=TRUST_POLICY)
    iam.attach_role_policy(RoleName="granted", PolicyArn=ARN)

    assert _delete_refusal(iam) == "DeleteConflict"
    iam.detach_role_policy(RoleName="granted", PolicyArn=ARN)
    iam.delete_policy(PolicyArn=ARN)


def _delete_refusal(iam: IAMClient) -> str:
    try:
        iam.delete_policy(PolicyArn=ARN)
    except ClientError as exc:
        return error_code(exc)
    return ""
