"""Import: live alarms -> the stack's `[alarms]` templates and which functions are critical
(pure).

A stack declares each alarm once, as a template every critical function gets (`{function}` is
the function's name without its suffix). Live alarms are folded back into those templates; one
the format cannot say (a name without the function in it, a period or statistic the loader
refuses, settings that differ from its siblings') is left out, and the note says why, so the
plan that follows shows no surprise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.desired.fields import ALARM
from reconciler.desired.schema import read_table
from reconciler.errors import InputError
from reconciler.importer.read import LiveFunction

NOT_KEY = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class Template:
    key: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class Alarms:
    templates: tuple[Template, ...]
    critical: frozenset[str]  # function names
    action_arn: str
    notes: tuple[str, ...]


def folded(
    suffix: str, functions: Sequence[LiveFunction], live: Sequence[Mapping[str, Any]]
) -> Alarms:
    """The templates the alarms watching the functions make (any others are skipped)."""
    watched = _watched(functions)
    templates: dict[str, Template] = {}
    critical: set[str] = set()
    notes: list[str] = []
    for alarm in sorted(live, key=lambda a: str(a["AlarmName"])):
        if _dimension(alarm) not in watched:
            continue  # someone else's alarm, or one on several dimensions
        function, source = watched[_dimension(alarm)]
        try:
            settings = _settings(suffix, function, source, alarm)
        except InputError as why:
            notes.append(f"alarm {alarm['AlarmName']}: not taken in: {why}")
            continue
        template = templates.setdefault(
            settings["name"], Template(_key(settings["name"]), settings)
        )
        if template.settings != settings:
            notes.append(_differs(alarm, template, settings))
            continue
        critical.add(function)
    notes += _missing(suffix, templates.values(), critical, {str(a["AlarmName"]) for a in live})
    return Alarms(tuple(templates.values()), frozenset(critical), _action(live), tuple(notes))


def _watched(functions: Sequence[LiveFunction]) -> dict[tuple[str, str], tuple[str, str]]:
    """(dimension, value) -> (function name, alarm source)."""
    watched = {("FunctionName", f.name): (f.name, "function") for f in functions}
    for f in functions:
        if f.queue:
            watched[("QueueName", f.queue["QueueName"])] = (f.name, "dlq")
    return watched


def _dimension(alarm: Mapping[str, Any]) -> tuple[str, str]:
    dimensions = alarm.get("Dimensions", [])
    if len(dimensions) != 1:
        return ("", "")
    return (str(dimensions[0]["Name"]), str(dimensions[0]["Value"]))


def _settings(suffix: str, function: str, source: str, alarm: Mapping[str, Any]) -> dict[str, Any]:
    name = _name(suffix, function, str(alarm["AlarmName"]))
    raw = {
        "name": name,
        "source": source,
        "namespace": alarm.get("Namespace", ""),
        "metric": alarm.get("MetricName", ""),
        "statistic": alarm.get("Statistic", alarm.get("ExtendedStatistic", "")),
        "period_s": alarm.get("Period", 0),
        "evaluation_periods": alarm.get("EvaluationPeriods", 0),
        "threshold": alarm.get("Threshold", 0.0),
        "comparison": alarm.get("ComparisonOperator", ""),
    }
    # The loader's own checks, under the table it would be: what passes here loads.
    read_table(f"alarms.{_key(name)}", raw, ALARM)
    return raw


def _name(suffix: str, function: str, alarm: str) -> str:
    base = function.removesuffix(f"-{suffix}")
    if not alarm.endswith(f"-{suffix}") or base not in alarm.removesuffix(f"-{suffix}"):
        raise InputError(f"its name does not hold {base!r} and end with -{suffix}")
    return alarm.removesuffix(suffix).replace(base, "{function}", 1) + "{suffix}"


def _key(name: str) -> str:
    middle = name.replace("{function}", "").replace("{suffix}", "")
    key = NOT_KEY.sub("_", middle).strip("_")
    return key if key and key[0].isalpha() else f"alarm_{key}"


def _differs(alarm: Mapping[str, Any], template: Template, settings: Mapping[str, Any]) -> str:
    fields = sorted(k for k in settings if settings[k] != template.settings[k])
    verb = "differs" if len(fields) == 1 else "differ"
    return (
        f"alarm {alarm['AlarmName']}: not taken in: its {', '.join(fields)} {verb} from "
        f"[alarms.{template.key}], which every critical function shares"
    )


def _missing(suffix: str, templates: Any, critical: set[str], existing: set[str]) -> list[str]:
    """Alarms the templates declare that do not exist yet: the adopt plan creates them."""
    notes = []
    for function in sorted(critical):
        base = function.removesuffix(f"-{suffix}")
        for template in templates:
            name = str(template.settings["name"]).replace("{function}", base)
            name = name.replace("{suffix}", suffix)
            if name not in existing:
                notes.append(
                    f"alarm {name}: declared for {function} by [alarms.{template.key}]; "
                    "plan --adopt will create it"
                )
    return notes


def _action(live: Sequence[Mapping[str, Any]]) -> str:
    """The one SNS topic every alarm notifies on ALARM and OK, if they share one."""
    actions = {tuple(a.get("AlarmActions", [])) for a in live}
    actions |= {tuple(a.get("OKActions", [])) for a in live}
    if len(actions) == 1:
        (only,) = actions
        if len(only) == 1:
            return str(only[0])
    return ""
