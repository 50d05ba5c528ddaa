"""Expand stage: each function's log group, with its retention, created before it (pure)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reconciler.desired.model import FunctionSpec, StackSpec
from reconciler.desired.names import NameRule
from reconciler.expand.kind import (
    ANY,
    ASSUMED,
    ArnForms,
    Kind,
    Lookup,
    Named,
    Quota,
    Service,
    function_owner,
)
from reconciler.expand.resources import Resource

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext


def _names(spec: StackSpec) -> list[Named]:
    # Lambda writes to /aws/lambda/<function>; creating it first is how it gets a retention.
    return [
        Named(
            f"/aws/lambda/{fn.name}",
            f"{function_owner(fn.key)}.name (its log group)",
            function_owner(fn.key),
        )
        for fn in spec.functions
    ]


def _log_groups(stack: StackContext) -> list[Resource]:
    return [_log_group(stack, fn) for fn in stack.spec.functions]


def _log_group(stack: StackContext, fn: FunctionSpec) -> Resource:
    protected = fn.log_deletion_protection
    fields = {
        "retention_days": fn.log_retention_days,
        "deletion_protection": bool(protected),
        "tags": stack.tags,
    }
    # Undeclared, an existing group keeps its protection: only `false` ever lifts it.
    kept = ("deletion_protection",) if protected is None else ()
    return Resource(stack.id(LOG_GROUP, function_owner(fn.key)), fields, ignore=kept)


def _usage(_: Resource, __: Lookup) -> tuple[str, ...]:
    return ("logs.ingestion", "logs.storage")


LOGS = Service(
    "logs",
    (
        Quota("logs", "CreateLogGroup", 5, ASSUMED),
        Quota("logs", "PutRetentionPolicy", 5, ASSUMED),
        Quota("logs", ANY, 10, ASSUMED + "; per API"),
    ),
)
LOG_GROUP = Kind(
    key="logs.log_group",
    tags_listed=True,
    service=LOGS,
    names=_names,
    build=_log_groups,
    rule=NameRule("CloudWatch log group", 512, re.compile(r"^[A-Za-z0-9_./#-]+$")),
    arns=ArnForms("logs", ("log-group:{}", "log-group:{}:*")),
    actions=(
        "logs:CreateLogGroup",
        "logs:DeleteRetentionPolicy",
        "logs:DeleteLogGroup",
        "logs:PutLogGroupDeletionProtection",
        "logs:PutRetentionPolicy",
        "logs:TagResource",
        "logs:UntagResource",
    ),
    listing=("logs:DescribeLogGroups", "logs:ListTagsForResource"),
    creates=("CreateLogGroup", "tags"),
    usage=_usage,
)
