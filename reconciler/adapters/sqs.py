"""Adapter for SQS queues (the dead-letter queues: SSE on, long retention)."""

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
    unless_missing,
)
from reconciler.adapters.tagging import discovered, tags_of
from reconciler.expand.resources import Live, Resource
from reconciler.expand.sqs import QUEUE
from reconciler.planning.diff import FieldChange

# boto3 surfaces a missing queue under either name, depending on the protocol in use.
MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def _attributes(fields: Any) -> dict[str, str]:
    return {
        "MessageRetentionPeriod": str(fields["retention_s"]),
        "VisibilityTimeout": str(fields["visibility_timeout_s"]),
        "SqsManagedSseEnabled": "true" if fields["sse"] else "false",
    }


def _urls(ctx: Context) -> dict[str, str]:
    """Every queue's URL by name: one listing instead of a GetQueueUrl per queue."""
    sqs = ctx.client("sqs")
    return ctx.listed(
        "sqs.queues",
        lambda: {url.rsplit("/", 1)[1]: url for url in paginate(sqs, "list_queues", "QueueUrls")},
    )


def _url(ctx: Context, name: str) -> str | None:
    listed = _urls(ctx).get(name) if ctx.listings is not None else None
    if listed is not None:
        return listed
    # ListQueues can lag a queue created moments ago: absent from it is not proof.
    sqs = ctx.client("sqs")
    got = unless_missing(lambda: sqs.get_queue_url(QueueName=name), *MISSING)
    return None if got is None else str(got["QueueUrl"])


class Queues:
    kind = QUEUE.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        sqs = ctx.client("sqs")
        url = _url(ctx, resource.id.name)
        if url is None:
            return None
        got, tags = gather(
            ctx,
            lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
            lambda: tags_of(
                ctx,
                resource.id,
                ctx.target.arn("sqs", resource.id.name),
                partial(_tags, sqs, url),
            ),
        )
        attrs = got["Attributes"]
        fields = {
            "retention_s": int(attrs.get("MessageRetentionPeriod", 345600)),
            "visibility_timeout_s": int(attrs.get("VisibilityTimeout", 30)),
            "sse": attrs.get("SqsManagedSseEnabled") == "true" or "KmsMasterKeyId" in attrs,
            "fifo": attrs.get("FifoQueue") == "true",
            "tags": tags,
        }
        return Live(fields, {"url": url, "arn": attrs.get("QueueArn")})

    def create(self, ctx: Context, resource: Resource) -> None:
        sqs = ctx.client("sqs")
        # A name deleted less than 60 s ago is refused for a while: the retry policy waits.
        sqs.create_queue(
            QueueName=resource.id.name,
            Attributes=_attributes(resource.fields),
            tags=dict(resource.fields["tags"]),
        )

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        sqs = ctx.client("sqs")
        url = live.meta["url"]
        if changed(changes, "retention_s", "visibility_timeout_s", "sse"):
            sqs.set_queue_attributes(QueueUrl=url, Attributes=_attributes(resource.fields))
        sync_tags(
            changes,
            lambda tags: sqs.tag_queue(QueueUrl=url, Tags=tags),
            lambda keys: sqs.untag_queue(QueueUrl=url, TagKeys=keys),
        )

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        arn = partial(_arn, ctx)
        read = partial(_tags, ctx.client("sqs"))
        return discovered(ctx, self.kind, scope, _urls(ctx).items(), read, arn_of=arn)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        sqs = ctx.client("sqs")
        got = unless_missing(lambda: sqs.get_queue_url(QueueName=resource.id.name), *MISSING)
        if got is not None:
            unless_missing(lambda: sqs.delete_queue(QueueUrl=got["QueueUrl"]), *MISSING)


def _arn(ctx: Context, name: str, _url: str) -> str:
    return ctx.target.arn("sqs", name)


def _tags(sqs: Any, url: str) -> dict[str, str]:
    return dict(sqs.list_queue_tags(QueueUrl=url).get("Tags", {}))
