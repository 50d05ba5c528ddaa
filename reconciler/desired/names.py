"""Load stage: suffix rules, and the check of every generated name against the limits
of its service (pure). Each kind declares its service's rule (`reconciler.expand`)."""

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
    """One generated name: its service's rule, its template (with `{suffix}`) and where it is
    declared."""

    rule: NameRule
    template: str
    where: str


def check_names(suffix: str, templates: Iterable[NamedTemplate]) -> None:
    """Refuse the suffix if any generated name would break its service's rules."""
    templates = list(templates)
    for item in templates:
        if not item.template.endswith("-{suffix}"):
            # Discovery (destroy, pruning) finds our resources by this ending.
            raise InputError(f"{item.where}: name {item.template!r} must end with '-{{suffix}}'")
        rule = item.rule
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
        t.rule.max_length - len(t.template.replace("{suffix}", ""))
        for t in templates
        if "{suffix}" in t.template
    ]
    return min(room, default=0)
