"""Expand stage: each function's log group, with its retention, created before it (pure)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reconciler.desired.model import StackSpec
from reconciler.desired.names import NameRule
from reconciler.expand.kind import ArnForms, Kind, Named, function_owner
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
    return [
        Resource(
            stack.id(LOG_GROUP, function_owner(fn.key)),
            {"retention_days": fn.log_retention_days, "tags": stack.tags},
        )
        for fn in stack.spec.functions
    ]


LOG_GROUP = Kind(
    key="logs.log_group",
    service="logs",
    names=_names,
    build=_log_groups,
    rule=NameRule("CloudWatch log group", 512, re.compile(r"^[A-Za-z0-9_./#-]+$")),
    arns=ArnForms("logs", ("log-group:{}", "log-group:{}:*")),
    actions=(
        "logs:CreateLogGroup",
        "logs:DeleteRetentionPolicy",
        "logs:DeleteLogGroup",
        "logs:PutRetentionPolicy",
        "logs:TagResource",
        "logs:UntagResource",
    ),
    listing=("logs:DescribeLogGroups", "logs:ListTagsForResource"),
)
