"""Live alarms folded back into a stack's alarm templates."""

from __future__ import annotations

from typing import Any

from reconciler.importer.alarms import folded
from reconciler.importer.read import LiveFunction

SUFFIX = "im"


def _function(base: str, queue: bool = True) -> LiveFunction:
    return LiveFunction(
        config={"FunctionName": f"{base}-{SUFFIX}"},
        tags={},
        reserved=None,
        code_location="",
        retention_days=None,
        queue={"QueueName": f"{base}-dlq-{SUFFIX}"} if queue else None,
    )


def _alarm(name: str, dimension: tuple[str, str], **changes: Any) -> dict[str, Any]:
    alarm = {
        "AlarmName": name,
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Dimensions": [{"Name": dimension[0], "Value": dimension[1]}],
        "AlarmActions": [],
        "OKActions": [],
    }
    return alarm | changes


FUNCTIONS = [_function("load"), _function("transform"), _function("api", queue=False)]


def test_one_template_per_alarm_name_and_the_functions_it_watches_become_critical() -> None:
    live = [
        _alarm(f"{base}-errors-{SUFFIX}", ("FunctionName", f"{base}-{SUFFIX}"))
        for base in ("load", "transform")
    ]
    live.append(
        _alarm(
            f"load-dlq-messages-{SUFFIX}",
            ("QueueName", f"load-dlq-{SUFFIX}"),
            Namespace="AWS/SQS",
            MetricName="ApproximateNumberOfMessagesVisible",
            Statistic="Maximum",
        )
    )
    got = folded(SUFFIX, FUNCTIONS, live)
    assert [(t.key, t.settings["name"], t.settings["source"]) for t in got.templates] == [
        ("dlq_messages", "{function}-dlq-messages-{suffix}", "dlq"),
        ("errors", "{function}-errors-{suffix}", "function"),
    ]
    assert got.critical == {f"load-{SUFFIX}", f"transform-{SUFFIX}"}
    assert got.notes == (
        f"alarm transform-dlq-messages-{SUFFIX}: declared for transform-{SUFFIX} by "
        "[alarms.dlq_messages]; plan --adopt will create it",
    )
    assert got.action_arn == ""


def test_what_the_format_cannot_say_is_left_out_with_its_reason() -> None:
    live = [
        _alarm(f"load-errors-{SUFFIX}", ("FunctionName", f"load-{SUFFIX}")),
        _alarm(
            f"transform-errors-{SUFFIX}", ("FunctionName", f"transform-{SUFFIX}"), Threshold=5.0
        ),
        _alarm(f"api-errors-{SUFFIX}", ("FunctionName", f"api-{SUFFIX}"), Period=120),
        _alarm(f"pager-{SUFFIX}", ("FunctionName", f"load-{SUFFIX}"), MetricName="Throttles"),
    ]
    got = folded(SUFFIX, FUNCTIONS, live)
    assert [t.key for t in got.templates] == ["errors"]
    assert got.critical == {f"load-{SUFFIX}"}
    assert got.notes == (
        f"alarm api-errors-{SUFFIX}: not taken in: alarms.errors.period_s: 120 is not a period "
        "AWS allows (10, 30, 60, 300, 900, 3600, 21600, 86400)",
        f"alarm pager-{SUFFIX}: not taken in: its name does not hold 'load' and end with -{SUFFIX}",
        f"alarm transform-errors-{SUFFIX}: not taken in: its threshold differs from "
        "[alarms.errors], which every critical function shares",
    )


def test_a_topic_every_alarm_shares_becomes_the_action() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:pager"
    live = [
        _alarm(
            f"load-errors-{SUFFIX}",
            ("FunctionName", f"load-{SUFFIX}"),
            AlarmActions=[topic],
            OKActions=[topic],
        )
    ]
    assert folded(SUFFIX, FUNCTIONS, live).action_arn == topic
    live.append(_alarm(f"transform-errors-{SUFFIX}", ("FunctionName", f"transform-{SUFFIX}")))
    assert folded(SUFFIX, FUNCTIONS, live).action_arn == ""


def test_alarms_on_anything_else_are_not_taken_in() -> None:
    both = _alarm(f"load-errors-{SUFFIX}", ("FunctionName", f"load-{SUFFIX}"))
    both["Dimensions"].append({"Name": "Resource", "Value": f"load-{SUFFIX}:live"})
    live = [both, _alarm(f"other-errors-{SUFFIX}", ("FunctionName", f"other-{SUFFIX}"))]
    got = folded(SUFFIX, FUNCTIONS, live)
    assert (got.templates, got.critical, got.notes) == ((), frozenset(), ())
