"""Expand stage: every kind the reconciler manages, in creation order (pure).

Creation follows this order wherever declared dependencies leave a choice, and deletion walks it
backwards: a resource found by discovery carries no dependencies, so the order is what keeps a
log group from going before its function, or a boundary before its roles.
"""

from __future__ import annotations

from reconciler.expand.application_autoscaling import TARGET
from reconciler.expand.cloudwatch import ALARM, DASHBOARD
from reconciler.expand.dynamodb import TABLE
from reconciler.expand.iam import BOUNDARY, ROLE
from reconciler.expand.kind import Kind
from reconciler.expand.lambda_ import (
    ALIAS,
    EVENT_INVOKE_CONFIG,
    FUNCTION,
    LAYER,
    LAYER_VERSIONS,
    PROVISIONED_CONCURRENCY,
)
from reconciler.expand.logs import LOG_GROUP
from reconciler.expand.sqs import QUEUE
from reconciler.expand.xray import GROUP

KINDS: tuple[Kind, ...] = (
    TABLE,
    QUEUE,
    LAYER,
    LOG_GROUP,
    BOUNDARY,
    ROLE,
    FUNCTION,
    EVENT_INVOKE_CONFIG,
    ALIAS,
    PROVISIONED_CONCURRENCY,
    # After the capacity it scales; deregistered before it, the alias and the function go.
    TARGET,
    LAYER_VERSIONS,
    ALARM,
    GROUP,
    DASHBOARD,
)
BY_KEY: dict[str, Kind] = {kind.key: kind for kind in KINDS}
KEYS: tuple[str, ...] = tuple(BY_KEY)


def rank(key: str) -> int:
    """A kind's place in the creation order."""
    return KEYS.index(key)
