"""SQS queue names stay taken for a while after deletion; queue attributes keep AWS's ranges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import json_error
from reconciler.sandbox.wire.wsgi import Response

SQS = "sqs"
# The numeric attributes a queue takes and the values AWS accepts for each.
ATTRIBUTE_RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43200),
}
QueueKey = tuple[str, str, str]


class QueueNames:
    """When each queue name was last deleted, per account and region."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._deleted: dict[QueueKey, float] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield SQS, "CreateQueue", self._create
        yield SQS, "DeleteQueue", self._delete
        yield SQS, "SetQueueAttributes", self._set_attributes

    def reset(self) -> None:
        with self._ctx.lock:
            self._deleted.clear()

    def _create(self, call: Call, forward: Forward) -> Response:
        request = call.json()
        key = (call.account, call.region, str(request.get("QueueName", "")))
        refusal = _attribute_refusal(request.get("Attributes")) or self._reuse_refusal(key)
        return refusal if refusal is not None else forward(call)

    def _reuse_refusal(self, key: QueueKey) -> Response | None:
        # AWS keeps a deleted queue's name for 60 seconds; creating it again sooner fails.
        with self._ctx.lock:
            deleted_at = self._deleted.get(key)
        if deleted_at is None:
            return None
        if self._ctx.now() - deleted_at >= self._ctx.knobs().queue_reuse_seconds:
            return None
        return json_error(
            "QueueDeletedRecently",
            400,
            "You must wait 60 seconds after deleting a queue before you can create another "
            "queue with the same name.",
            query_code="AWS.SimpleQueueService.QueueDeletedRecently",
        )

    def _delete(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if response.ok:
            name = str(call.json().get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
            with self._ctx.lock:
                self._deleted[(call.account, call.region, name)] = self._ctx.now()
        return response

    def _set_attributes(self, call: Call, forward: Forward) -> Response:
        refusal = _attribute_refusal(call.json().get("Attributes"))
        return refusal if refusal is not None else forward(call)


def _attribute_refusal(attributes: Any) -> Response | None:
    if not isinstance(attributes, Mapping):
        return None
    for name, (low, high) in ATTRIBUTE_RANGES.items():
        if name in attributes and not _within(attributes[name], low, high):
            return json_error(
                "InvalidAttributeValue",
                400,
                f"Invalid value for the parameter {name}.",
                query_code="InvalidAttributeValue",
            )
    return None


def _within(value: Any, low: int, high: int) -> bool:
    try:
        number = int(str(value))
    except ValueError:
        return False
    return low <= number <= high
