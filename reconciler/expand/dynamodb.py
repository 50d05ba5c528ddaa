"""Expand stage: DynamoDB tables, on demand, protected from deletion only as declared (pure)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reconciler.desired.model import StackSpec, TableSpec
from reconciler.desired.names import NameRule
from reconciler.expand.kind import ANY, ASSUMED, ArnForms, Kind, Lookup, Named, Quota, Service
from reconciler.expand.resources import Resource

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext


def _names(spec: StackSpec) -> list[Named]:
    return [Named(t.name, f"tables.{t.key}.name", f"tables.{t.key}") for t in spec.tables]


def _tables(stack: StackContext) -> list[Resource]:
    return [_table(stack, t) for t in stack.spec.tables]


def _table(stack: StackContext, t: TableSpec) -> Resource:
    keys = f"{t.hash_key}:{t.hash_key_type}"
    if t.range_key:
        keys += f",{t.range_key}:{t.range_key_type}"
    fields = {
        "billing_mode": t.billing_mode,
        "key_schema": keys,
        "deletion_protection": bool(t.deletion_protection),
        "tags": stack.tags,
    }
    # Undeclared, a table that exists keeps its protection: only the desired state saying
    # `false` ever turns it off.
    kept = ("deletion_protection",) if t.deletion_protection is None else ()
    # AWS cannot change a table's keys: a new key schema is a new table.
    return Resource(
        stack.id(TABLE, f"tables.{t.key}"),
        fields,
        replace_on=frozenset({"key_schema"}),
        ignore=kept,
    )


def _usage(resource: Resource, _: Lookup) -> tuple[str, ...]:
    """On demand, reads and writes are billed per request; provisioned capacity is not priced."""
    if resource.fields.get("billing_mode") != "PAY_PER_REQUEST":
        return ()
    return ("dynamodb.reads", "dynamodb.writes")


DYNAMODB = Service(
    "dynamodb",
    (Quota("dynamodb", ANY, 100, ASSUMED + "; per API (control plane and the lock item)"),),
)
TABLE = Kind(
    key="dynamodb.table",
    tags_listed=True,
    service=DYNAMODB,
    names=_names,
    build=_tables,
    rule=NameRule("DynamoDB table", 255, re.compile(r"^[A-Za-z0-9_.-]+$"), 3),
    arns=ArnForms("dynamodb", ("table/{}",)),
    actions=(
        "dynamodb:CreateTable",
        "dynamodb:DeleteTable",
        "dynamodb:DescribeTable",
        "dynamodb:TagResource",
        "dynamodb:UntagResource",
        "dynamodb:UpdateTable",
    ),
    listing=("dynamodb:ListTables", "dynamodb:ListTagsOfResource"),
    creates=("CreateTable", "Tags"),
    usage=_usage,
)
