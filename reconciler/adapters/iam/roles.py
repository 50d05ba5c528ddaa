"""Adapter for IAM roles: trust policy, inline policies, attached policies, boundary, tags."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import unquote

from reconciler.adapters.base import (
    Context,
    DiscoveryScope,
    Found,
    changed,
    discovered,
    gather,
    paginate,
    sync_tags,
    tag_list,
    tag_map,
    unless_missing,
)
from reconciler.expand.iam import ROLE
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange

# The most roles one page of ListRoles or GetAccountAuthorizationDetails holds.
DETAILS_PAGE = 1000
_PAGES = {"PageSize": DETAILS_PAGE}


class Roles:
    kind = ROLE.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        iam = ctx.client("iam")
        name = resource.id.name
        if not _in_bulk(ctx):
            return _read(ctx, iam, name)
        detail = _details(ctx).get(name)
        if detail is None:
            # Not in the details is not absent: they may be older than the role.
            return _read(ctx, iam, name)
        live = _from_detail(detail)
        if ctx.listings is not None:
            # Nor are they the role now: before any write, it is read again.
            ctx.listings.answered(resource.id, lambda: _read(ctx, iam, name) == live)
        return live

    def create(self, ctx: Context, resource: Resource) -> None:
        iam = ctx.client("iam")
        fields = resource.fields
        extra: dict[str, Any] = {}
        if fields["permissions_boundary"]:
            extra["PermissionsBoundary"] = fields["permissions_boundary"]
        iam.create_role(
            RoleName=resource.id.name,
            AssumeRolePolicyDocument=json.dumps(fields["trust_policy"]),
            Description="Managed by lambda-reconciler",
            Tags=tag_list(fields["tags"]),
            **extra,
        )
        for policy_name, document in fields["inline_policies"].items():
            iam.put_role_policy(
                RoleName=resource.id.name,
                PolicyName=policy_name,
                PolicyDocument=json.dumps(document),
            )

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        iam = ctx.client("iam")
        name = resource.id.name
        if changed(changes, "trust_policy"):
            document = json.dumps(resource.fields["trust_policy"])
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=document)
        for change in changes:
            if change.path.startswith("inline_policies."):
                _put_or_delete_inline(iam, name, change)
        if changed(changes, "managed_policies"):
            # Stacks declare no managed policies: any attached one is drift to detach.
            _detach_all(iam, name, live.fields["managed_policies"])
        if changed(changes, "permissions_boundary"):
            _boundary(iam, name, resource.fields["permissions_boundary"])
        sync_tags(
            changes,
            lambda tags: iam.tag_role(RoleName=name, Tags=tag_list(tags)),
            lambda keys: iam.untag_role(RoleName=name, TagKeys=keys),
        )

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        iam = ctx.client("iam")
        listed = ((r["RoleName"], r["RoleName"]) for r in _listed(ctx))
        read_tags = partial(_role_tags, iam)
        if _in_bulk(ctx):
            # The details carry each role's tags: no tag read per candidate, but for one
            # made since they were taken.
            details = _details(ctx)
            read_tags = partial(_tags_of, details, read_tags)
        return discovered(self.kind, scope, listed, read_tags)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        iam = ctx.client("iam")
        name = resource.id.name
        unless_missing(lambda: _delete_role(iam, name), "NoSuchEntity")


def _read(ctx: Context, iam: Any, name: str) -> Live | None:
    """The role on its own: GetRole, its policies listed, each inline policy read."""
    got, names, attached = gather(
        ctx,
        lambda: unless_missing(lambda: iam.get_role(RoleName=name), "NoSuchEntity"),
        lambda: _missing_empty(iam, "list_role_policies", "PolicyNames", name),
        lambda: _missing_empty(iam, "list_attached_role_policies", "AttachedPolicies", name),
    )
    if got is None:
        return None
    role = got["Role"]
    documents = gather(ctx, *(partial(_inline, iam, name, p) for p in names))
    fields = {
        "trust_policy": document_of(role["AssumeRolePolicyDocument"]),
        "inline_policies": dict(zip(names, documents, strict=True)),
        "managed_policies": tuple(sorted(p["PolicyArn"] for p in attached)),
        "permissions_boundary": role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
        "tags": tag_map(role.get("Tags", [])),
    }
    return Live(fields, {"arn": role["Arn"]})


def _in_bulk(ctx: Context) -> bool:
    """Whether this snapshot reads roles whole from the account's details (one call a
    thousand roles) rather than each on its own (three calls, and one per inline policy)."""
    listings = ctx.listings
    if listings is None or not listings.bulk:
        return False
    if listings.shared:
        return True  # a fleet's many suffixes: the details almost always cost less
    return ctx.listed(
        "iam.bulk", lambda: pays_in_bulk(len(_listed(ctx)), listings.wanted(ROLE.key))
    )


def pays_in_bulk(account_roles: int, wanted: Sequence[Resource]) -> bool:
    """Fewer calls from the details' pages of the whole account than from the wanted roles'
    own reads (docs/performance.md has the measurement)."""
    pages = max(1, -(-account_roles // DETAILS_PAGE))
    own = sum(3 + len(r.fields.get("inline_policies") or {}) for r in wanted)
    return pages < own


def _listed(ctx: Context) -> list[Any]:
    """Every role of the account, a thousand a page (the most ListRoles gives)."""
    iam = ctx.client("iam")
    return ctx.listed(
        "iam.roles", lambda: paginate(iam, "list_roles", "Roles", PaginationConfig=_PAGES)
    )


def _details(ctx: Context) -> dict[str, Any]:
    """Every role of the account whole (trust, inline and attached policies, boundary, tags)
    in one paginated listing, instead of four reads per role."""
    iam = ctx.client("iam")
    return ctx.listed(
        "iam.role_details",
        lambda: {
            r["RoleName"]: r
            for r in paginate(
                iam,
                "get_account_authorization_details",
                "RoleDetailList",
                Filter=["Role"],
                PaginationConfig=_PAGES,
            )
        },
    )


def _from_detail(detail: Mapping[str, Any]) -> Live:
    inline = {p["PolicyName"]: document_of(p["PolicyDocument"]) for p in detail["RolePolicyList"]}
    attached = detail.get("AttachedManagedPolicies", [])
    fields = {
        "trust_policy": document_of(detail["AssumeRolePolicyDocument"]),
        "inline_policies": inline,
        "managed_policies": tuple(sorted(p["PolicyArn"] for p in attached)),
        "permissions_boundary": detail.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
        "tags": tag_map(detail.get("Tags", [])),
    }
    return Live(fields, {"arn": detail["Arn"]})


def _tags_of(
    details: Mapping[str, Any], direct: Callable[[str], dict[str, str]], name: str
) -> dict[str, str]:
    detail = details.get(name)
    return direct(name) if detail is None else tag_map(detail.get("Tags", []))


def _role_tags(iam: Any, name: str) -> dict[str, str]:
    return tag_map(paginate(iam, "list_role_tags", "Tags", RoleName=name))


def _delete_role(iam: Any, name: str) -> None:
    # IAM refuses to delete a role that still has policies; the boundary goes first too,
    # so that the boundary policy itself can be deleted right after the roles.
    if iam.get_role(RoleName=name)["Role"].get("PermissionsBoundary"):
        iam.delete_role_permissions_boundary(RoleName=name)
    for policy in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    attached = paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
    _detach_all(iam, name, tuple(p["PolicyArn"] for p in attached))
    iam.delete_role(RoleName=name)


def document_of(value: Any) -> Any:
    # IAM returns policy documents URL-encoded; boto3 decodes some and not others.
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value


def _inline(iam: Any, role: str, policy: str) -> Any:
    return document_of(iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"])


def _missing_empty(iam: Any, operation: str, key: str, role: str) -> list[Any]:
    # Asked at the same time as GetRole: a role that does not exist has nothing listed.
    found = unless_missing(lambda: paginate(iam, operation, key, RoleName=role), "NoSuchEntity")
    return found or []


def _put_or_delete_inline(iam: Any, role: str, change: FieldChange) -> None:
    policy = change.path.split(".", 1)[1]
    if change.new is None:
        iam.delete_role_policy(RoleName=role, PolicyName=policy)
    else:
        iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=json.dumps(change.new))


def _detach_all(iam: Any, role: str, attached: tuple[str, ...]) -> None:
    for arn in attached:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)


def _boundary(iam: Any, role: str, arn: str | None) -> None:
    if arn:
        iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=arn)
    else:
        iam.delete_role_permissions_boundary(RoleName=role)
