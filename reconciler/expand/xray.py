"""Expand stage: the stack's X-Ray group (the account's Default one is never ours) (pure)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reconciler.desired.model import StackSpec
from reconciler.desired.names import NameRule
from reconciler.expand.kind import ANY, ASSUMED, ArnForms, Kind, Named, Quota, Service
from reconciler.expand.resources import Resource

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext


def _names(spec: StackSpec) -> list[Named]:
    return [Named(spec.xray_group.name, "xray_group.name", "stack")] if spec.xray_group else []


def _groups(stack: StackContext) -> list[Resource]:
    group = stack.spec.xray_group
    if group is None:
        return []
    expression = stack.placeholders.expand(group.filter_expression, "xray_group.filter_expression")
    fields = {
        "filter_expression": expression,
        "insights_enabled": group.insights,
        "tags": stack.tags,
    }
    return [Resource(stack.id(GROUP, "stack"), fields)]


XRAY = Service(
    "xray",
    (Quota("xray", ANY, 5, ASSUMED + "; per API"),),
)
GROUP = Kind(
    key="xray.group",
    tags_listed=True,
    service=XRAY,
    names=_names,
    build=_groups,
    rule=NameRule("X-Ray group", 32, re.compile(r"^[A-Za-z0-9_.-]+$")),
    # A group's ARN ends with an id X-Ray assigns: by name alone, only a pattern names it.
    arns=ArnForms("xray", ("group/{}", "group/{}/*")),
    actions=(
        "xray:CreateGroup",
        "xray:DeleteGroup",
        "xray:TagResource",
        "xray:UntagResource",
        "xray:UpdateGroup",
    ),
    listing=("xray:GetGroups", "xray:ListTagsForResource"),
    creates=("CreateGroup", "Tags"),
)
