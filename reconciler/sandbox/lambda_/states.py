"""Lambda's asynchronous State / LastUpdateStatus lifecycle, computed from timestamps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.control.knobs import Knobs

_STATE_DETAIL_KEYS = ("StateReason", "StateReasonCode")
_UPDATE_DETAIL_KEYS = ("LastUpdateStatusReason", "LastUpdateStatusReasonCode")


@dataclass(frozen=True)
class Timeline:
    """When the function was created and last changed (monotonic seconds)."""

    created_at: float
    updated_at: float | None = None

    def pending(self, knobs: Knobs, now: float) -> bool:
        return now - self.created_at < knobs.pending_seconds

    def updating(self, knobs: Knobs, now: float) -> bool:
        if self.updated_at is None:
            return False
        return now - self.updated_at < knobs.update_seconds


def apply_states(config: dict[str, Any], timeline: Timeline, knobs: Knobs, now: float) -> None:
    """Rewrite State and LastUpdateStatus of a $LATEST configuration in place."""
    for key in _STATE_DETAIL_KEYS:
        config.pop(key, None)
    if timeline.pending(knobs, now):
        config["State"] = "Pending"
        config["StateReason"] = "The function is being created."
        config["StateReasonCode"] = "Creating"
    else:
        config["State"] = "Active"
    if timeline.updating(knobs, now):
        for key in _UPDATE_DETAIL_KEYS:
            config.pop(key, None)
        config["LastUpdateStatus"] = "InProgress"
    elif "LastUpdateStatus" in config:
        config["LastUpdateStatus"] = "Successful"


def busy_message(timeline: Timeline, knobs: Knobs, now: float, arn: str) -> str | None:
    """The ResourceConflictException message AWS gives while the function is not settled."""
    prefix = "The operation cannot be performed at this time."
    if timeline.pending(knobs, now):
        return f"{prefix} The function is currently in the following state: Pending"
    if timeline.updating(knobs, now):
        return f"{prefix} An update is in progress for resource: {arn}"
    return None
