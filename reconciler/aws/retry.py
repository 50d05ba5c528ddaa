"""Apply stage: the one retry policy for AWS eventual consistency (throttling is botocore's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog
from botocore.exceptions import ClientError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_random_exponential,
)

T = TypeVar("T")
log = structlog.get_logger()


@dataclass(frozen=True)
class Transient:
    """An AWS error code that clears by itself, and why it happens."""

    code: str
    why: str
    message_contains: str = ""


# Each entry is an AWS behaviour that resolves with time, not a bug to hide.
TRANSIENT = (
    # Lambda refuses a mutation while the previous update or the creation is still running.
    Transient("ResourceConflictException", "a Lambda update is still in progress"),
    # A new IAM role takes seconds to become assumable by Lambda (IAM is eventually consistent).
    Transient("InvalidParameterValueException", "the role is not yet assumable", "assumed"),
    # SQS refuses to reuse a queue name for 60 s after the queue was deleted.
    Transient("AWS.SimpleQueueService.QueueDeletedRecently", "the queue name is cooling down"),
    Transient("QueueDeletedRecently", "the queue name is cooling down"),
    # DynamoDB refuses changes while a table is CREATING/UPDATING.
    Transient("ResourceInUseException", "the table is busy with another change"),
)


def transient_reason(exc: BaseException) -> str | None:
    """Why an error is worth retrying, or None when it is not."""
    if not isinstance(exc, ClientError):
        return None
    code = exc.response.get("Error", {}).get("Code", "")
    message = exc.response.get("Error", {}).get("Message", "")
    for item in TRANSIENT:
        if code == item.code and item.message_contains in message:
            return item.why
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """Full jitter, a deadline, every attempt logged."""

    deadline_s: float = 180.0
    base_s: float = 0.25
    cap_s: float = 8.0

    def call(self, fn: Callable[[], T], **context: str) -> T:
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: transient_reason(exc) is not None),
            wait=wait_random_exponential(multiplier=self.base_s, max=self.cap_s),
            stop=stop_after_delay(self.deadline_s),
            before_sleep=lambda state: _log_retry(state, context),
            reraise=True,
        )
        return retrying(fn)


def _log_retry(state: RetryCallState, context: dict[str, str]) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.info(
        "action.retry",
        attempt=state.attempt_number,
        reason=transient_reason(exc) if exc else None,
        code=exc.response["Error"]["Code"] if isinstance(exc, ClientError) else None,
        wait_s=round(state.upcoming_sleep, 2),
        **context,
    )
