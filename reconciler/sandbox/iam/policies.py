"""IAM customer managed policies and permissions boundaries, as AWS guards and reports them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from urllib.parse import quote

from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import query_error
from reconciler.sandbox.wire.moto_backends import Principal
from reconciler.sandbox.wire.wsgi import Response
from reconciler.sandbox.wire.xml_body import (
    add_child,
    edited,
    element,
    named,
    query_response,
    remove_named,
)

IAM = "iam"
IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
ATTACHED = "Cannot delete a policy attached to entities."
VERSIONED = (
    "This policy has more than one version. Before you delete a policy, you must delete the "
    "policy's versions. The default version is deleted with the policy."
)
_DOCUMENTS = ("Document", "AssumeRolePolicyDocument", "PolicyDocument")
_KIND_ELEMENTS = {"Group": "PolicyGroups", "User": "PolicyUsers", "Role": "PolicyRoles"}


class IamPolicies:
    """Reads moto's IAM state to refuse, count and list what moto does not."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield IAM, "DeletePolicy", self._delete_policy
        yield IAM, "CreateRole", self._check_boundary
        yield IAM, "PutRolePermissionsBoundary", self._check_boundary
        yield IAM, "ListEntitiesForPolicy", self._list_entities
        yield IAM, "GetPolicy", self._get_policy
        yield IAM, "GetPolicyVersion", self._encode_documents
        yield IAM, "ListRoles", self._encode_documents
        yield IAM, "CreatePolicyVersion", self._without_documents
        yield IAM, "ListPolicyVersions", self._without_documents

    def reset(self) -> None:
        """Nothing to forget: every answer is derived from moto's IAM state."""

    def _delete_policy(self, call: Call, forward: Forward) -> Response:
        arn = call.form().get("PolicyArn", "")
        policy = moto_backends.managed_policy(call.account, arn)
        if policy is None:
            return forward(call)
        # A policy still attached, or still capping a user or role as its permissions
        # boundary, cannot be deleted; nor can one with versions besides the default.
        if any(_uses(p, arn, None) for p in moto_backends.principals(call.account)):
            return query_error("DeleteConflict", 409, ATTACHED)
        if len(policy.versions) > 1:
            return query_error("DeleteConflict", 409, VERSIONED)
        return forward(call)

    def _check_boundary(self, call: Call, forward: Forward) -> Response:
        arn = call.form().get("PermissionsBoundary")
        if arn and not _attachable(call.account, arn):
            message = f"Scope ARN: {arn} does not exist or is not attachable."
            return query_error("NoSuchEntity", 404, message)
        return forward(call)

    def _list_entities(self, call: Call, forward: Forward) -> Response:
        form = call.form()
        arn = form.get("PolicyArn", "")
        if not _attachable(call.account, arn):
            return query_error("NoSuchEntity", 404, f"Policy {arn} was not found.")
        usage, prefix = form.get("PolicyUsageFilter"), form.get("PathPrefix") or "/"
        kinds = _entity_kinds(form.get("EntityFilter"), arn)
        found = [
            p
            for p in moto_backends.principals(call.account)
            if p.kind in kinds and p.path.startswith(prefix) and _uses(p, arn, usage)
        ]
        return query_response("ListEntitiesForPolicy", IAM_NAMESPACE, _entities_xml(found))

    def _get_policy(self, call: Call, forward: Forward) -> Response:
        arn = call.form().get("PolicyArn", "")
        count = sum(p.boundary == arn for p in moto_backends.principals(call.account))

        def add_count(root: ET.Element) -> None:
            for policy in named(root, "Policy"):
                add_child(policy, "PermissionsBoundaryUsageCount", str(count))

        return edited(forward(call), add_count)

    def _encode_documents(self, call: Call, forward: Forward) -> Response:
        return edited(forward(call), url_encode_documents)

    def _without_documents(self, call: Call, forward: Forward) -> Response:
        # AWS returns a version's document from GetPolicyVersion only.
        return edited(forward(call), lambda root: remove_named(root, "Document"))


def url_encode_documents(root: ET.Element) -> None:
    # IAM sends policy documents URL-encoded (RFC 3986) and botocore decodes them; a plain
    # document would be decoded too, mangling any %XX it happens to contain.
    for name in _DOCUMENTS:
        for node in named(root, name):
            text = node.text or ""
            if text.lstrip().startswith("{"):
                node.text = quote(text, safe="")


def _attachable(account: str, arn: str) -> bool:
    # moto loads AWS managed policies only on request, so those are taken on trust.
    if arn.startswith("arn:aws:iam::aws:policy/"):
        return True
    return moto_backends.managed_policy(account, arn) is not None


def _uses(principal: Principal, arn: str, usage: str | None) -> bool:
    attached = usage in (None, "PermissionsPolicy") and arn in principal.attached
    bounded = usage in (None, "PermissionsBoundary") and principal.boundary == arn
    return attached or bounded


def _entity_kinds(entity_filter: str | None, arn: str) -> set[str]:
    if entity_filter in _KIND_ELEMENTS:
        return {entity_filter}
    aws_managed = arn.startswith("arn:aws:iam::aws:policy/")
    if entity_filter == "AWSManagedPolicy" and not aws_managed:
        return set()
    if entity_filter == "LocalManagedPolicy" and aws_managed:
        return set()
    return set(_KIND_ELEMENTS)


def _entities_xml(principals: list[Principal]) -> str:
    parts = []
    for kind, container in _KIND_ELEMENTS.items():
        members = "".join(
            f"<member>{element(kind + 'Name', p.name)}{element(kind + 'Id', p.id)}</member>"
            for p in principals
            if p.kind == kind
        )
        parts.append(f"<{container}>{members}</{container}>")
    return "".join(parts) + "<IsTruncated>false</IsTruncated>"
