"""AWS access: the one retry policy for AWS eventual consistency (throttling is botocore's).

Every write an adapter makes goes through it: adapters only hold clients from
`Context.client`, which wraps each write operation of a boto3 client in the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from botocore.exceptions import ClientError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_random_exponential,
)

from reconciler.aws.clients import is_read

T = TypeVar("T")
log = structlog.get_logger()


@dataclass(frozen=True)
class Transient:
    """An AWS error code that clears by itself, and why it happens.

    `operations` limits it to the calls where the code means "not yet" (empty: any write);
    `permanent_if` is message text that makes the same code mean "never".
    """

    code: str
    why: str
    message_contains: str = ""
    operations: frozenset[str] = frozenset()
    permanent_if: str = ""


# Each entry is an AWS behaviour that resolves with time, not a bug to hide.
TRANSIENT = (
    # Lambda refuses a mutation while the previous update or the creation is still running;
    # on CreateFunction the same code says the function already exists, which no wait fixes.
    Transient(
        "ResourceConflictException",
        "a Lambda update is still in progress",
        permanent_if="already exist",
    ),
    # A new IAM role takes seconds to become assumable by Lambda (IAM is eventually consistent).
    Transient("InvalidParameterValueException", "the role is not yet assumable", "assumed"),
    # SQS refuses to reuse a queue name for 60 s after the queue was deleted.
    Transient("AWS.SimpleQueueService.QueueDeletedRecently", "the queue name is cooling down"),
    Transient("QueueDeletedRecently", "the queue name is cooling down"),
    # DynamoDB refuses changes while a table is CREATING/UPDATING; on CreateTable the same
    # code means the table exists.
    Transient(
        "ResourceInUseException",
        "the table is busy with another change",
        operations=frozenset({"UpdateTable", "DeleteTable"}),
    ),
)


def transient_reason(exc: BaseException, operation: str = "") -> str | None:
    """Why an error of `operation` is worth retrying, or None when it is not."""
    if not isinstance(exc, ClientError):
        return None
    code = exc.response.get("Error", {}).get("Code", "")
    message = exc.response.get("Error", {}).get("Message", "")
    for item in TRANSIENT:
        if code != item.code or item.message_contains not in message:
            continue
        if item.operations and operation not in item.operations:
            continue
        if item.permanent_if and item.permanent_if in message:
            continue
        return item.why
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """Full jitter, a deadline, every attempt logged (with the action's bound context)."""

    deadline_s: float = 180.0
    base_s: float = 0.25
    cap_s: float = 8.0

    def call(self, fn: Callable[[], T], operation: str = "") -> T:
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: transient_reason(exc, operation) is not None),
            wait=wait_random_exponential(multiplier=self.base_s, max=self.cap_s),
            stop=stop_after_delay(self.deadline_s),
            before_sleep=lambda state: _log_retry(state, operation),
            reraise=True,
        )
        return retrying(fn)


class RetryingClient:
    """A boto3 client whose write operations go through the retry policy; reads and
    everything else (paginators, `meta`) pass straight through."""

    def __init__(self, client: Any, policy: RetryPolicy) -> None:
        self._client = client
        self._policy = policy
        self._operations: dict[str, str] = client.meta.method_to_api_mapping

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        operation = self._operations.get(name)
        if operation is None or is_read(operation):
            return attr

        def write(*args: Any, **kwargs: Any) -> Any:
            return self._policy.call(lambda: attr(*args, **kwargs), operation)

        return write


def _log_retry(state: RetryCallState, operation: str) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.info(
        "action.retry",
        attempt=state.attempt_number,
        operation=operation,
        reason=transient_reason(exc, operation) if exc else None,
        code=exc.response["Error"]["Code"] if isinstance(exc, ClientError) else None,
        wait_s=round(state.upcoming_sleep, 2),
    )
