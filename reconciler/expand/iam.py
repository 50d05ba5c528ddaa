"""Expand stage: one least-privilege role per function, capped by the stack's boundary (pure)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reconciler.desired.model import FunctionSpec, StackSpec
from reconciler.desired.names import NameRule
from reconciler.errors import InputError
from reconciler.expand import role_policies
from reconciler.expand.kind import (
    ANY,
    ASSUMED,
    ArnForms,
    Kind,
    Named,
    Quota,
    Service,
    function_owner,
)
from reconciler.expand.logs import LOG_GROUP
from reconciler.expand.resources import Resource, ResourceId
from reconciler.expand.sqs import dead_letter_queue

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext

IAM_NAME = re.compile(r"^[\w+=,.@-]+$")


def _role_names(spec: StackSpec) -> list[Named]:
    return [
        Named(fn.role.name, f"{function_owner(fn.key)}.role.name", function_owner(fn.key))
        for fn in spec.functions
        if not fn.role.arn
    ]


def _roles(stack: StackContext) -> list[Resource]:
    # A role given by ARN is someone else's: used, never built.
    return [_role(stack, fn) for fn in stack.spec.functions if not fn.role.arn]


def _role(stack: StackContext, fn: FunctionSpec) -> Resource:
    owner = function_owner(fn.key)
    name = stack.name(ROLE, owner)
    queue = dead_letter_queue(stack, fn)
    document = role_policies.access_policy(
        fn,
        stack.placeholders,
        stack.target,
        stack.name(LOG_GROUP, owner),
        stack.target.arn("sqs", queue.name) if queue else None,
    )
    boundary = boundary_id(stack)
    fields = {
        "trust_policy": role_policies.LAMBDA_TRUST,
        "inline_policies": {f"{name}-access": document},
        "managed_policies": (),
        "permissions_boundary": policy_arn(stack, boundary.name) if boundary else None,
        "tags": stack.tags,
    }
    needs = (boundary,) if boundary else ()
    return Resource(ResourceId(ROLE.key, name), fields, depends_on=needs)


def role_arn(stack: StackContext, fn: FunctionSpec) -> str:
    if fn.role.arn:
        return fn.role.arn
    return stack.target.arn("iam", f"role/{stack.name(ROLE, function_owner(fn.key))}", region=False)


def role_id(stack: StackContext, fn: FunctionSpec) -> ResourceId | None:
    """The function's own role, or None when it uses one the stack does not manage."""
    return None if fn.role.arn else stack.id(ROLE, function_owner(fn.key))


def policy_arn(stack: StackContext, name: str) -> str:
    return stack.target.arn("iam", f"policy/{name}", region=False)


def boundary_id(stack: StackContext) -> ResourceId | None:
    return stack.id(BOUNDARY, "stack") if stack.spec.boundary else None


def _boundary_names(spec: StackSpec) -> list[Named]:
    return [Named(spec.boundary, "boundary.name", "stack")] if spec.boundary else []


def _boundaries(stack: StackContext) -> list[Resource]:
    """The ceiling every role of the stack is capped by: the union of what they allow."""
    boundary = boundary_id(stack)
    if boundary is None:
        return []
    documents = [
        document
        for role in stack.built(ROLE)
        for document in role.fields["inline_policies"].values()
    ]
    document = role_policies.boundary_policy(documents)
    if role_policies.document_chars(document) > role_policies.MANAGED_POLICY_CHARS:
        document = role_policies.widened(document, stack.target.suffix)
    size = role_policies.document_chars(document)
    if size > role_policies.MANAGED_POLICY_CHARS:
        # AWS would refuse it midway through the first apply: refuse it before any call.
        raise InputError(
            f"{stack.spec.path.name}: boundary policy {boundary.name} would be {size} "
            f"characters, over IAM's {role_policies.MANAGED_POLICY_CHARS}; split the stack or "
            "drop the boundary"
        )
    return [Resource(boundary, {"document": document, "tags": stack.tags})]


IAM = Service(
    "iam",
    (Quota("iam", ANY, 20, ASSUMED + "; IAM publishes no rate, shared by all IAM APIs"),),
    shared=True,
)
ROLE = Kind(
    key="iam.role",
    service=IAM,
    names=_role_names,
    build=_roles,
    rule=NameRule("IAM role", 64, IAM_NAME),
    arns=ArnForms("iam", ("role/{}",), regional=False),
    actions=(
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
    ),
    # Roles are read whole from the account details when that costs fewer calls
    # (adapters/iam/roles.py).
    listing=("iam:GetAccountAuthorizationDetails", "iam:ListRoleTags", "iam:ListRoles"),
    creates=("CreateRole", "Tags"),
)
BOUNDARY = Kind(
    key="iam.policy",
    service=IAM,
    names=_boundary_names,
    build=_boundaries,
    rule=NameRule("IAM policy", 128, IAM_NAME),
    arns=ArnForms("iam", ("policy/{}",), regional=False),
    actions=(
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:GetPolicyVersion",
        "iam:ListPolicyVersions",
        "iam:TagPolicy",
        "iam:UntagPolicy",
    ),
    listing=("iam:ListPolicies", "iam:ListPolicyTags"),
    creates=("CreatePolicy", "Tags"),
)
