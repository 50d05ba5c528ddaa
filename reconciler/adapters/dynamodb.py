"""Adapter for DynamoDB tables: on demand; deletion protection as declared, never lifted to
delete (a protected table is released by the plan, not deleted)."""

from __future__ import annotations

from functools import partial
from typing import Any

from reconciler.adapters.base import (
    Context,
    DiscoveryScope,
    Found,
    changed,
    gather,
    paginate,
    sync_tags,
    tag_list,
    tag_map,
    unless_missing,
)
from reconciler.adapters.tagging import discovered, tags_of
from reconciler.expand.dynamodb import TABLE
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange

MISSING = ("ResourceNotFoundException",)


class Tables:
    kind = TABLE.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        ddb = ctx.client("dynamodb")
        name = resource.id.name
        arn = _arn(ctx, name)
        got, tags = gather(
            ctx,
            lambda: unless_missing(lambda: ddb.describe_table(TableName=name), *MISSING),
            lambda: unless_missing(
                lambda: tags_of(ctx, resource.id, arn, partial(_tags, ddb, arn)), *MISSING
            ),
        )
        if got is None:
            return None
        table = got["Table"]
        fields = {
            "billing_mode": table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
            "key_schema": _key_schema(table),
            "deletion_protection": bool(table.get("DeletionProtectionEnabled", False)),
            "tags": tags or {},
        }
        return Live(fields, {"arn": table["TableArn"], "status": table.get("TableStatus")})

    def create(self, ctx: Context, resource: Resource) -> None:
        ddb = ctx.client("dynamodb")
        keys = [part.split(":") for part in str(resource.fields["key_schema"]).split(",")]
        ddb.create_table(
            TableName=resource.id.name,
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, t in keys],
            KeySchema=[
                {"AttributeName": k, "KeyType": role}
                for (k, _), role in zip(keys, ("HASH", "RANGE"), strict=False)
            ],
            BillingMode=resource.fields["billing_mode"],
            DeletionProtectionEnabled=bool(resource.fields["deletion_protection"]),
            Tags=tag_list(resource.fields["tags"]),
        )
        self._wait_active(ctx, resource.id.name)

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        ddb = ctx.client("dynamodb")
        name = resource.id.name
        if changed(changes, "billing_mode"):
            ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
            self._wait_active(ctx, name)
        if changed(changes, "deletion_protection"):
            protect = bool(resource.fields["deletion_protection"])
            ddb.update_table(TableName=name, DeletionProtectionEnabled=protect)
            self._wait_active(ctx, name)
        sync_tags(
            changes,
            lambda tags: ddb.tag_resource(ResourceArn=live.meta["arn"], Tags=tag_list(tags)),
            lambda keys: ddb.untag_resource(ResourceArn=live.meta["arn"], TagKeys=keys),
        )

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        # Never lifts protection: the plan does not delete a protected table, and one protected
        # since the plan was made is refused by AWS itself (a failed action, data kept).
        ddb = ctx.client("dynamodb")
        unless_missing(lambda: ddb.delete_table(TableName=resource.id.name), *MISSING)

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        ddb = ctx.client("dynamodb")
        names = ctx.listed("dynamodb.tables", lambda: paginate(ddb, "list_tables", "TableNames"))
        listed = ((name, _arn(ctx, name)) for name in names)
        return discovered(ctx, self.kind, scope, listed, partial(_tags, ddb))

    def _wait_active(self, ctx: Context, name: str) -> None:
        ddb = ctx.client("dynamodb")

        def check() -> tuple[bool, str]:
            status = str(ddb.describe_table(TableName=name)["Table"].get("TableStatus"))
            return status == "ACTIVE", status

        ctx.wait.until(check, f"table {name} ACTIVE", kind=self.kind, name=name)


def _key_schema(table: dict[str, Any]) -> str:
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    parts = [f"{k['AttributeName']}:{types[k['AttributeName']]}" for k in table["KeySchema"]]
    return ",".join(parts)


def _arn(ctx: Context, name: str) -> str:
    return ctx.target.arn("dynamodb", f"table/{name}")


def _tags(ddb: Any, arn: str) -> dict[str, str]:
    return tag_map(ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", []))
