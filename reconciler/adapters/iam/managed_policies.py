"""Adapter for customer managed IAM policies (the stack's permissions boundary)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

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
from reconciler.adapters.iam.roles import document_of
from reconciler.expand.iam import BOUNDARY
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange

# IAM keeps at most five versions of a managed policy.
MAX_VERSIONS = 5


def _policies(ctx: Context) -> dict[str, Any]:
    """The account's own managed policies by ARN, with their default version: one listing."""
    iam = ctx.client("iam")
    return ctx.listed(
        "iam.policies",
        lambda: {p["Arn"]: p for p in paginate(iam, "list_policies", "Policies", Scope="Local")},
    )


class Policies:
    kind = BOUNDARY.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        iam = ctx.client("iam")
        arn = _arn(ctx, resource)
        policy = _policies(ctx).get(arn)
        if policy is None:
            return None
        version = policy["DefaultVersionId"]
        document, tags = gather(
            ctx,
            lambda: iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"],
            lambda: _tags(iam, arn),
        )
        fields = {"document": document_of(document["Document"]), "tags": tags}
        return Live(fields, {"arn": arn})

    def create(self, ctx: Context, resource: Resource) -> None:
        ctx.client("iam").create_policy(
            PolicyName=resource.id.name,
            PolicyDocument=json.dumps(resource.fields["document"]),
            Description="Permissions boundary managed by lambda-reconciler",
            Tags=tag_list(resource.fields["tags"]),
        )

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        iam = ctx.client("iam")
        arn = live.meta["arn"]
        if changed(changes, "document"):
            _make_room(iam, arn)
            iam.create_policy_version(
                PolicyArn=arn,
                PolicyDocument=json.dumps(resource.fields["document"]),
                SetAsDefault=True,
            )
        sync_tags(
            changes,
            lambda tags: iam.tag_policy(PolicyArn=arn, Tags=tag_list(tags)),
            lambda keys: iam.untag_policy(PolicyArn=arn, TagKeys=keys),
        )

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        listed = ((p["PolicyName"], arn) for arn, p in _policies(ctx).items())
        return discovered(self.kind, scope, listed, partial(_tags, ctx.client("iam")))

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        iam = ctx.client("iam")
        arn = _arn(ctx, resource)
        unless_missing(lambda: _delete(iam, arn), "NoSuchEntity")


def _arn(ctx: Context, resource: Resource) -> str:
    return ctx.target.arn("iam", f"policy/{resource.id.name}", region=False)


def _versions(iam: Any, arn: str) -> list[dict[str, Any]]:
    return paginate(iam, "list_policy_versions", "Versions", PolicyArn=arn)


def _make_room(iam: Any, arn: str) -> None:
    """Delete the oldest non-default version when IAM's limit of five is reached."""
    versions = _versions(iam, arn)
    if len(versions) < MAX_VERSIONS:
        return
    old = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
    iam.delete_policy_version(PolicyArn=arn, VersionId=old[0]["VersionId"])


def _delete(iam: Any, arn: str) -> None:
    # IAM refuses to delete a policy that still has non-default versions.
    for version in _versions(iam, arn):
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)


def _tags(iam: Any, arn: str) -> dict[str, str]:
    return tag_map(paginate(iam, "list_policy_tags", "Tags", PolicyArn=arn))
