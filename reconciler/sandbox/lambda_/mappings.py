"""SQS event source mappings as AWS keeps and runs them.

moto resolves a mapping created on an alias ARN to the version the alias points to at that
moment, and stores that version's ARN: the mapping silently stops following the alias. AWS keeps
the alias ARN in `FunctionArn` and invokes whatever version the alias points to when a batch is
delivered. moto also tries to deliver through Docker, which the local AWS does not use. Here a
mapping keeps the ARN it was created with, and Lambda's poller is played in process: a message
sent to a mapped queue is received in batches, the function invoked synchronously through the
whole layer (so it runs in the local runtime, on the qualifier's version of that moment), and
the batch deleted when the function succeeds; a failed batch becomes visible again after the
queue's visibility timeout and is polled again, so the queue's redrive policy applies.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from moto.awslambda.models import lambda_backends
from moto.sqs.models import sqs_backends

from reconciler.sandbox.lambda_.names import LATEST, FunctionKey, split_function_ref
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.routing import REST, Route
from reconciler.sandbox.wire.wsgi import Response, internal_environ

LAMBDA, SQS = "lambda", "sqs"
# A poller gives up on a queue it keeps failing on after this many rounds (AWS keeps polling;
# the local AWS must not keep a thread busy for a message nobody will ever take).
MAX_ROUNDS = 50


class EventSourceMappings:
    """CreateEventSourceMapping keeps an alias ARN; SendMessage wakes the mapped poller."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._stop = threading.Event()
        self._polling: set[str] = set()

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LAMBDA, "CreateEventSourceMapping", self._create
        yield LAMBDA, "ListEventSourceMappings", self._list
        yield SQS, "SendMessage", self._sent
        yield SQS, "SendMessageBatch", self._sent

    def reset(self) -> None:
        with self._ctx.lock:
            self._stop.set()
            self._stop = threading.Event()
            self._polling.clear()

    def close(self) -> None:
        self.reset()

    def _create(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if not response.ok:
            return response
        payload = response.json()
        esm = _backend(call)._event_source_mappings.get(payload.get("UUID"))
        if esm is None:
            return response
        _detach_moto_delivery(call, esm)
        name, qualifier = split_function_ref(str(call.json().get("FunctionName", "")))
        if qualifier and not qualifier.isdigit() and qualifier != LATEST:
            esm.function_arn = f"{FunctionKey(call.account, call.region, name).arn}:{qualifier}"
            payload["FunctionArn"] = esm.function_arn
        return response.with_json(payload)

    def _list(self, call: Call, forward: Forward) -> Response:
        """Filtered by the function as AWS reads the name: a name or unqualified ARN names the
        unqualified function, a qualified one that alias or version (moto compares the text
        as it was given)."""
        wanted = call.query("FunctionName")
        if not wanted:
            return forward(call)
        query = parse_qs(str(call.environ.get("QUERY_STRING", "")))
        query.pop("FunctionName", None)
        response = forward(call.with_path(str(call.environ["PATH_INFO"]), urlencode(query, True)))
        if not response.ok:
            return response
        payload = response.json()
        identity = split_function_ref(wanted)
        payload["EventSourceMappings"] = [
            m
            for m in payload.get("EventSourceMappings", [])
            if split_function_ref(str(m.get("FunctionArn", ""))) == identity
        ]
        return response.with_json(payload)

    def _sent(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if response.ok:
            queue = _queue(call)
            if queue is not None:
                for esm in _mappings_of(call, queue.queue_arn):
                    self._wake(call, queue.name, esm)
        return response

    def _wake(self, call: Call, queue: str, esm: Any) -> None:
        with self._ctx.lock:
            if esm.uuid in self._polling:
                return
            self._polling.add(esm.uuid)
            stop = self._stop
        worker = threading.Thread(
            target=self._poll, args=(call, queue, esm, stop), daemon=True, name="esm-poller"
        )
        worker.start()

    def _poll(self, call: Call, queue: str, esm: Any, stop: threading.Event) -> None:
        try:
            for _ in range(MAX_ROUNDS):
                if stop.is_set() or not esm.enabled or not self._round(call, queue, esm, stop):
                    return
        finally:
            with self._ctx.lock:
                if stop is self._stop:
                    self._polling.discard(esm.uuid)

    def _round(self, call: Call, queue: str, esm: Any, stop: threading.Event) -> bool:
        """One batch: received, delivered, deleted on success; False when none is visible."""
        backend = sqs_backends[call.account][call.region]
        try:
            source = backend.get_queue(queue)
        except Exception:  # the queue was deleted meanwhile: nothing left to poll
            return False
        visibility = int(getattr(source, "visibility_timeout", None) or 30)
        messages = backend.receive_message(queue, int(esm.batch_size or 10), 0, visibility)
        if not messages:
            return False
        event = {"Records": [_record(call, source, m) for m in messages]}
        answer = self._ctx.dispatch(_invoke_call(call, esm.function_arn, event))
        if answer.ok and not answer.header("X-Amz-Function-Error"):
            for message in messages:
                backend.delete_message(queue, str(message.receipt_handle))
            return True
        # Lambda leaves a failed batch on the queue: visible again after the timeout.
        return not stop.wait(visibility)


def _backend(call: Call) -> Any:
    return lambda_backends[call.account][call.region]


def _queue(call: Call) -> Any | None:
    url = str(call.json().get("QueueUrl") or call.form().get("QueueUrl") or "")
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return sqs_backends[call.account][call.region].queues.get(name)


def _mappings_of(call: Call, queue_arn: str) -> list[Any]:
    esms = _backend(call)._event_source_mappings.values()
    return [m for m in esms if m.event_source_arn == queue_arn and m.enabled]


def _detach_moto_delivery(call: Call, esm: Any) -> None:
    """moto would invoke the function through Docker on every message: this layer does."""
    for queue in sqs_backends[call.account][call.region].queues.values():
        mapped = queue.lambda_event_source_mappings
        for arn in [a for a, m in mapped.items() if m is esm]:
            del mapped[arn]


def _record(call: Call, queue: Any, message: Any) -> dict[str, Any]:
    sent = str(message.sent_timestamp or int(time.time() * 1000))
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": {
            "ApproximateReceiveCount": str(message.approximate_receive_count),
            "SentTimestamp": sent,
            "SenderId": call.account,
            "ApproximateFirstReceiveTimestamp": sent,
        },
        "messageAttributes": message.message_attributes or {},
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": call.region,
    }


def _invoke_call(call: Call, function_arn: str, event: dict[str, Any]) -> Call:
    """A synchronous Invoke of `function_arn` as Lambda's poller makes it, in the account and
    region of the queue, reaching the same local AWS as `call` did."""
    body = json.dumps(event).encode()
    name, qualifier = split_function_ref(function_arn)
    path = f"/2015-03-31/functions/{quote(name)}/invocations"
    access_key = call.route.access_key
    environ = {
        **internal_environ("POST", path, body),
        "QUERY_STRING": urlencode({"Qualifier": qualifier}) if qualifier else "",
        "HTTP_AUTHORIZATION": (
            f"AWS4-HMAC-SHA256 Credential={access_key}/20250101/{call.region}/lambda/"
            "aws4_request, SignedHeaders=host, Signature=0"
        ),
        "HTTP_X_AMZ_INVOCATION_TYPE": "RequestResponse",
    }
    for kept in ("HTTP_HOST", "SERVER_NAME", "SERVER_PORT"):
        if kept in call.environ:
            environ[kept] = call.environ[kept]
    route = Route(LAMBDA, "Invoke", call.region, access_key, REST, {"FunctionName": name})
    return Call(route, call.account, environ, body)
