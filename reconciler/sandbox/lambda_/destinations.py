"""Where an asynchronous event goes when Lambda is done with it: DLQ, on-failure, on-success."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.lambda_.deployment import Target
from reconciler.sandbox.lambda_.runtime import Outcome
from reconciler.sandbox.wire import moto_delivery
from reconciler.sandbox.wire.moto_delivery import Datum

# Lambda keeps the first kilobyte of the error message on a dead-letter message.
MAX_ERROR_MESSAGE = 1024
FUNCTION_ERROR_CODE = "200"  # the Invoke succeeded; the function failed
THROTTLED_CODE = "429"


@dataclass(frozen=True)
class AsyncSettings:
    """A qualifier's event invoke configuration, with Lambda's defaults filled in."""

    retries: int = 2
    max_age_s: float = 21600.0
    on_success: str = ""
    on_failure: str = ""

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> AsyncSettings:
        destinations = body.get("DestinationConfig") or {}
        return cls(
            retries=int(body.get("MaximumRetryAttempts", cls.retries)),
            max_age_s=float(body.get("MaximumEventAgeInSeconds", cls.max_age_s)),
            on_success=str((destinations.get("OnSuccess") or {}).get("Destination") or ""),
            on_failure=str((destinations.get("OnFailure") or {}).get("Destination") or ""),
        )


@dataclass(frozen=True)
class Finished:
    """An event Lambda has stopped trying: how it went and how many attempts it took."""

    payload: str
    request_id: str
    outcome: Outcome | None
    attempts: int
    condition: str


def discard(target: Target, settings: AsyncSettings, done: Finished) -> None:
    """The event as-is to the dead-letter queue (why in its attributes), a record on failure."""
    dlq = str((target.config.get("DeadLetterConfig") or {}).get("TargetArn") or "")
    if dlq and not _deliver_dead_letter(dlq, done):
        _delivery_failed(target, "DeadLetterErrors")
    if settings.on_failure and not _send(settings.on_failure, _record(target, done)):
        _delivery_failed(target, "DestinationDeliveryFailures")


def on_success(target: Target, settings: AsyncSettings, done: Finished) -> None:
    if settings.on_success and not _send(settings.on_success, _record(target, done)):
        _delivery_failed(target, "DestinationDeliveryFailures")


def _deliver_dead_letter(arn: str, done: Finished) -> bool:
    message = _error_message(done.outcome) if done.outcome else "Rate Exceeded."
    code = FUNCTION_ERROR_CODE if done.outcome else THROTTLED_CODE
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": done.request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": code},
        "ErrorMessage": {"DataType": "String", "StringValue": message[:MAX_ERROR_MESSAGE]},
    }
    if ":sns:" in arn:
        return moto_delivery.publish_to_topic(arn, "", done.payload)
    return moto_delivery.send_to_queue(arn, done.payload, attributes)


def _send(arn: str, body: str) -> bool:
    if ":sns:" in arn:
        return moto_delivery.publish_to_topic(arn, "", body)
    return moto_delivery.send_to_queue(arn, body, {})


def _record(target: Target, done: Finished) -> str:
    """An invocation record, as Lambda sends a destination."""
    outcome = done.outcome
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": target.version}
    if outcome is not None and not outcome.ok:
        response["functionError"] = "Unhandled"
    record = {
        "version": "1.0",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "requestContext": {
            "requestId": done.request_id,
            "functionArn": f"{target.key.arn}:{target.qualifier}",
            "condition": done.condition,
            "approximateInvokeCount": done.attempts,
        },
        "requestPayload": _json_or_text(done.payload),
        "responseContext": response,
        "responsePayload": _json_or_text(outcome.payload.decode()) if outcome else None,
    }
    return json.dumps(record)


def _error_message(outcome: Outcome) -> str:
    try:
        return str(json.loads(outcome.payload).get("errorMessage", ""))
    except (ValueError, AttributeError):
        return outcome.payload.decode("utf-8", "replace")


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _delivery_failed(target: Target, metric: str) -> None:
    datum = Datum("AWS/Lambda", metric, 1.0, (("FunctionName", target.key.name),))
    moto_delivery.put_metrics(target.key.account, target.key.region, [datum])
