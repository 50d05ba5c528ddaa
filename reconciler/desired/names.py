"""Desired-state stage: suffix rules and the name limits of each AWS service (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.errors import InputError

SUFFIX_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class NameRule:
    """The longest name a service accepts and the characters it allows."""

    service_name: str
    max_length: int
    allowed: re.Pattern[str]
    min_length: int = 1


# Limits from each service's API reference; the tightest one decides the longest suffix.
NAME_RULES: dict[str, NameRule] = {
    "lambda.function": NameRule("Lambda function", 64, re.compile(r"^[A-Za-z0-9_-]+$")),
    "lambda.layer": NameRule("Lambda layer", 140, re.compile(r"^[A-Za-z0-9_-]+$")),
    "iam.role": NameRule("IAM role", 64, re.compile(r"^[\w+=,.@-]+$")),
    "iam.policy": NameRule("IAM policy", 128, re.compile(r"^[\w+=,.@-]+$")),
    "xray.group": NameRule("X-Ray group", 32, re.compile(r"^[A-Za-z0-9_.-]+$")),
    "sqs.queue": NameRule("SQS queue", 80, re.compile(r"^[A-Za-z0-9_-]+(\.fifo)?$")),
    "dynamodb.table": NameRule("DynamoDB table", 255, re.compile(r"^[A-Za-z0-9_.-]+$"), 3),
    "logs.log_group": NameRule("CloudWatch log group", 512, re.compile(r"^[A-Za-z0-9_./#-]+$")),
    "cloudwatch.dashboard": NameRule("CloudWatch dashboard", 255, re.compile(r"^[A-Za-z0-9_-]+$")),
    "cloudwatch.alarm": NameRule("CloudWatch alarm", 255, re.compile(r"^[^\x00-\x1f]+$")),
}


def validate_suffix(suffix: str) -> None:
    """Refuse a suffix that is not lowercase letters, digits and hyphens starting with a letter."""
    if not suffix:
        raise InputError("suffix is empty: give --suffix, e.g. --suffix pr42")
    if not SUFFIX_PATTERN.match(suffix):
        raise InputError(
            f"suffix {suffix!r} is invalid: use lowercase letters, digits and hyphens, "
            "starting with a letter"
        )
    if suffix.endswith("-") or "--" in suffix:
        raise InputError(f"suffix {suffix!r} is invalid: no trailing or doubled hyphens")


@dataclass(frozen=True)
class NamedTemplate:
    """One generated name: its kind, its template (with `{suffix}`) and where it is declared."""

    kind: str
    template: str
    where: str


def check_names(suffix: str, templates: Iterable[NamedTemplate]) -> None:
    """Refuse the suffix if any generated name would break its service's rules."""
    templates = list(templates)
    for item in templates:
        if not item.template.endswith("-{suffix}"):
            # Discovery (destroy, pruning) finds our resources by this ending.
            raise InputError(f"{item.where}: name {item.template!r} must end with '-{{suffix}}'")
        rule = NAME_RULES[item.kind]
        name = item.template.replace("{suffix}", suffix)
        if len(name) > rule.max_length:
            raise InputError(
                f"suffix {suffix!r} is too long: {rule.service_name} name {name!r} ({item.where}) "
                f"would be {len(name)} characters, limit {rule.max_length}; "
                f"the longest suffix allowed is {longest_suffix(templates)}"
            )
        if len(name) < rule.min_length or not rule.allowed.match(name):
            raise InputError(
                f"{rule.service_name} name {name!r} ({item.where}) has characters "
                f"{rule.service_name} does not allow"
            )


def longest_suffix(templates: Iterable[NamedTemplate]) -> int:
    """The longest suffix every generated name can carry."""
    room = [
        NAME_RULES[t.kind].max_length - len(t.template.replace("{suffix}", ""))
        for t in templates
        if "{suffix}" in t.template
    ]
    return min(room, default=0)
