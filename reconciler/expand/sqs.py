"""Expand stage: the functions' dead-letter queues, encrypted and kept long enough (pure)."""

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
from reconciler.expand.resources import Resource, ResourceId

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext


def _names(spec: StackSpec) -> list[Named]:
    return [
        Named(
            fn.dead_letter_queue.name,
            f"{function_owner(fn.key)}.dead_letter_queue.name",
            function_owner(fn.key),
        )
        for fn in spec.functions
        if fn.dead_letter_queue
    ]


def _queues(stack: StackContext) -> list[Resource]:
    return [_queue(stack, fn) for fn in stack.spec.functions if fn.dead_letter_queue]


def _queue(stack: StackContext, fn: FunctionSpec) -> Resource:
    assert fn.dead_letter_queue is not None
    fields = {
        "retention_s": fn.dead_letter_queue.retention_s,
        "visibility_timeout_s": fn.dead_letter_queue.visibility_timeout_s,
        "sse": True,
        "fifo": False,
        "tags": stack.tags,
    }
    # SQS cannot turn a queue into a FIFO one or back: that is a new queue.
    resource_id = stack.id(QUEUE, function_owner(fn.key))
    return Resource(resource_id, fields, replace_on=frozenset({"fifo"}))


def dead_letter_queue(stack: StackContext, fn: FunctionSpec) -> ResourceId | None:
    """The function's DLQ, or None when it declares none."""
    return stack.id(QUEUE, function_owner(fn.key)) if fn.dead_letter_queue else None


def _usage(_: Resource, __: Lookup) -> tuple[str, ...]:
    return ("sqs.requests",)


SQS = Service(
    "sqs",
    (Quota("sqs", ANY, 100, ASSUMED + "; per API, SQS control plane is not rate-published"),),
)
QUEUE = Kind(
    key="sqs.queue",
    tags_listed=True,
    service=SQS,
    names=_names,
    build=_queues,
    rule=NameRule("SQS queue", 80, re.compile(r"^[A-Za-z0-9_-]+(\.fifo)?$")),
    arns=ArnForms("sqs", ("{}",)),
    actions=(
        "sqs:CreateQueue",
        "sqs:DeleteQueue",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:SetQueueAttributes",
        "sqs:TagQueue",
        "sqs:UntagQueue",
    ),
    listing=("sqs:ListQueueTags", "sqs:ListQueues"),
    creates=("CreateQueue", "tags"),
    usage=_usage,
)
