"""Metric alarms that move: evaluated on the recorded data, as CloudWatch does every minute.

moto stores alarms and never evaluates them. Here a background loop reads each metric alarm's
recent periods from the recorded metric data, decides ALARM, OK or INSUFFICIENT_DATA the way
CloudWatch does (M out of N breaching periods, missing data as the alarm says to treat it), and
on a change records the new state and runs the state's actions (SNS topics get CloudWatch's
notification). Before each evaluation SQS publishes the depth of every queue an alarm watches.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

from reconciler.sandbox.control.knobs import Knobs
from reconciler.sandbox.wire import moto_delivery
from reconciler.sandbox.wire.call import Handler, LayerContext
from reconciler.sandbox.wire.moto_delivery import Datum

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda value, limit: value > limit,
    "GreaterThanOrEqualToThreshold": lambda value, limit: value >= limit,
    "LessThanThreshold": lambda value, limit: value < limit,
    "LessThanOrEqualToThreshold": lambda value, limit: value <= limit,
}
SQS_DEPTH = ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
# How often the loop looks at its knobs, so a shortened interval takes effect promptly.
TICK_S = 0.1


@dataclass(frozen=True)
class Verdict:
    """What one evaluation decided."""

    state: str
    reason: str
    points: tuple[float | None, ...]


class AlarmEvaluation:
    """The loop; it runs from construction until close()."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="alarm-evaluation", daemon=True)
        self._thread.start()

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        return ()

    def reset(self) -> None:
        """Nothing kept: states live on moto's alarms."""

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(TICK_S):
            knobs = self._ctx.knobs()
            if time.monotonic() - last < knobs.alarm_evaluation_seconds:
                continue
            last = time.monotonic()
            try:
                evaluate_all(knobs)
            except RuntimeError:
                continue  # a backend changed under the read; the next tick sees it settled


def evaluate_all(knobs: Knobs) -> None:
    now = dt.datetime.now(dt.UTC)
    for account, region, backend in _backends():
        alarms = [a for a in list(backend.alarms.values()) if _evaluable(a)]
        _publish_queue_depths(account, region, alarms)
        for alarm in alarms:
            verdict = judge(account, region, alarm, now, knobs.metric_period_scale)
            if verdict.state != alarm.state_value:
                _change(account, region, alarm, verdict, now)


def judge(account: str, region: str, alarm: Any, now: dt.datetime, scale: float) -> Verdict:
    """The alarm's state from its newest `evaluation_periods` periods, newest first."""
    period = dt.timedelta(seconds=float(alarm.period) * scale)
    dimensions = {d.name: d.value for d in alarm.dimensions}
    recorded = moto_delivery.metric_values(
        account, region, alarm.namespace, alarm.metric_name, dimensions
    )
    points = []
    for index in range(int(alarm.evaluation_periods)):
        end = now - period * index
        values = [v for at, v in recorded if end - period <= at < end]
        points.append(_statistic(alarm, values))
    return _verdict(alarm, tuple(points))


def _verdict(alarm: Any, points: tuple[float | None, ...]) -> Verdict:
    treat = str(alarm.treat_missing_data or "missing")
    compare = COMPARE[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    if all(p is None for p in points):
        states = {"breaching": ALARM, "notBreaching": OK, "ignore": str(alarm.state_value)}
        return Verdict(states.get(treat, INSUFFICIENT), "no datapoints were received", points)
    breaching = sum(
        1 if p is None and treat == "breaching" else int(p is not None and compare(p, threshold))
        for p in points
    )
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    state = ALARM if breaching >= needed else OK
    return Verdict(state, _reason(alarm, points, breaching, state), points)


def _reason(alarm: Any, points: tuple[float | None, ...], breaching: int, state: str) -> str:
    seen = [p for p in points if p is not None]
    relation = _relation(alarm.comparison_operator, state == ALARM)
    listed = ", ".join(f"{p:g}" for p in seen)
    return (
        f"Threshold Crossed: {breaching} out of the last {len(points)} datapoints "
        f"[{listed}] {relation} the threshold ({float(alarm.threshold):g})."
    )


def _relation(operator: str, crossed: bool) -> str:
    words = {
        "GreaterThanThreshold": ("was greater than", "was not greater than"),
        "GreaterThanOrEqualToThreshold": ("was greater than or equal to", "was less than"),
        "LessThanThreshold": ("was less than", "was not less than"),
        "LessThanOrEqualToThreshold": ("was less than or equal to", "was greater than"),
    }[operator]
    return words[0] if crossed else words[1]


STATISTICS: dict[str, Callable[[list[float]], float]] = {
    "Sum": sum,
    "Average": lambda values: sum(values) / len(values),
    "Minimum": min,
    "Maximum": max,
    "SampleCount": lambda values: float(len(values)),
}


def _statistic(alarm: Any, values: list[float]) -> float | None:
    if not values:
        return None
    known = STATISTICS.get(str(alarm.statistic or ""))
    if known is not None:
        return known(values)
    return _percentile(str(alarm.extended_statistic or "p100"), values)


def _percentile(name: str, values: list[float]) -> float:
    share = float(name.lstrip("p") or 100) / 100
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _change(account: str, region: str, alarm: Any, verdict: Verdict, now: dt.datetime) -> None:
    before = alarm.state_value
    data = {
        "version": "1.0",
        "queryDate": now.isoformat(timespec="milliseconds"),
        "statistic": alarm.statistic,
        "period": alarm.period,
        "recentDatapoints": [p for p in verdict.points if p is not None],
        "threshold": float(alarm.threshold),
    }
    alarm.update_state(verdict.reason, json.dumps(data), verdict.state)
    if not alarm.actions_enabled:
        return
    actions = {ALARM: alarm.alarm_actions, OK: alarm.ok_actions}
    targets = actions.get(verdict.state, alarm.insufficient_data_actions) or []
    message = _notification(account, region, alarm, before=before, verdict=verdict, now=now)
    for arn in targets:
        subject = f'{verdict.state}: "{alarm.name}" in {region}'
        moto_delivery.publish_to_topic(str(arn), subject, message)


def _notification(
    account: str, region: str, alarm: Any, *, before: str, verdict: Verdict, now: dt.datetime
) -> str:
    """The message CloudWatch publishes to an alarm's SNS topics."""
    return json.dumps(
        {
            "AlarmName": alarm.name,
            "AlarmDescription": alarm.description,
            "AWSAccountId": account,
            "AlarmConfigurationUpdatedTimestamp": str(alarm.configuration_updated_timestamp),
            "NewStateValue": verdict.state,
            "NewStateReason": verdict.reason,
            "StateChangeTime": now.isoformat(timespec="milliseconds"),
            "Region": region,
            "AlarmArn": alarm.alarm_arn,
            "OldStateValue": before,
            "Trigger": {
                "MetricName": alarm.metric_name,
                "Namespace": alarm.namespace,
                "Statistic": alarm.statistic,
                "Period": alarm.period,
                "EvaluationPeriods": alarm.evaluation_periods,
                "ComparisonOperator": alarm.comparison_operator,
                "Threshold": float(alarm.threshold),
                "TreatMissingData": alarm.treat_missing_data,
                "Dimensions": [{"name": d.name, "value": d.value} for d in alarm.dimensions],
            },
        }
    )


def _publish_queue_depths(account: str, region: str, alarms: list[Any]) -> None:
    watched = {
        d.value
        for a in alarms
        if (a.namespace, a.metric_name) == SQS_DEPTH
        for d in a.dimensions
        if d.name == "QueueName"
    }
    if not watched:
        return
    depths = moto_delivery.queue_depths(account, region)
    data = [
        Datum(*SQS_DEPTH, float(depths[name]), (("QueueName", name),))
        for name in sorted(watched)
        if name in depths
    ]
    moto_delivery.put_metrics(account, region, data)


def _evaluable(alarm: Any) -> bool:
    # Metric-math and anomaly-band alarms are kept as moto keeps them, never evaluated.
    return bool(alarm.metric_name) and alarm.comparison_operator in COMPARE


def _backends() -> Iterator[tuple[str, str, Any]]:
    for account, regions in list(cloudwatch_backends.items()):
        for region, backend in list(regions.items()):
            yield account, region, backend
