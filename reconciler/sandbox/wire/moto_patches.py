"""The few in-process writes into moto's state, where AWS keeps what moto's API resets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends


@dataclass(frozen=True)
class AlarmState:
    """An alarm's state and why it is in it."""

    value: str
    reason: str
    reason_data: str
    updated: Any


def alarm_state(account: str, region: str, name: str) -> AlarmState | None:
    alarm = cloudwatch_backends[account][region].alarms.get(name)
    if alarm is None:
        return None
    return AlarmState(
        alarm.state_value,
        alarm.state_reason,
        alarm.state_reason_data,
        alarm.state_updated_timestamp,
    )


def set_alarm_state(account: str, region: str, name: str, state: AlarmState) -> None:
    alarm = cloudwatch_backends[account][region].alarms.get(name)
    if alarm is None:
        return
    alarm.state_value = state.value
    alarm.state_reason = state.reason
    alarm.state_reason_data = state.reason_data
    alarm.state_updated_timestamp = state.updated
