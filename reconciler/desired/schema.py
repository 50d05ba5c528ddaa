"""Load stage: strict checks of TOML tables, one clear line per problem (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import InputError, did_you_mean

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Field:
    """One key of a TOML table: its type, whether it must be there, and a value check."""

    type: type | tuple[type, ...]
    required: bool = True
    default: Any = None
    check: Check | None = None

    @property
    def allows(self) -> str:
        return self.check.allows if isinstance(self.check, Rule) else ""

    @property
    def type_name(self) -> str:
        return _type_name(self.type)


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {bool: "a boolean", int: "an integer", str: "a string", list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _right_type(value: Any, kind: type | tuple[type, ...]) -> bool:
    # TOML booleans are ints to Python; an integer field must not take `true`.
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def read_table(
    where: str, table: Any, fields: Mapping[str, Field], *, open_keys: bool = False
) -> dict[str, Any]:
    """Check a TOML table against its fields; unknown keys are refused unless open."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: must be a table")
    if not open_keys:
        unknown = sorted(set(table) - set(fields))
        if unknown:
            known = ", ".join(sorted(fields))
            hint = did_you_mean(unknown[0], fields)
            raise InputError(f"{where}.{unknown[0]}: unknown key{hint} (known: {known})")
    return {key: _read_field(f"{where}.{key}", table, key, spec) for key, spec in fields.items()}


def _read_field(where: str, table: Mapping[str, Any], key: str, spec: Field) -> Any:
    if key not in table:
        if spec.required:
            raise InputError(f"{where}: required key is missing")
        return spec.default
    value = table[key]
    if not _right_type(value, spec.type):
        raise InputError(f"{where}: expected {_type_name(spec.type)}, got {value!r}")
    if spec.check is not None:
        problem = spec.check(value)
        if problem:
            raise InputError(f"{where}: {problem}")
    return value


@dataclass(frozen=True)
class Rule:
    """A value check that says in words what it allows (the format's reference shows it)."""

    allows: str
    problem: Check

    def __call__(self, value: Any) -> str | None:
        return self.problem(value)


def in_range(low: int, high: int, what: str) -> Rule:
    def check(value: int) -> str | None:
        if low <= value <= high:
            return None
        return f"{value} is out of {what}'s range {low}..{high}"

    return Rule(f"{low}..{high}", check)


def one_of(allowed: tuple[Any, ...], what: str) -> Rule:
    def check(value: Any) -> str | None:
        if value in allowed:
            return None
        return f"{value!r} is not a {what} AWS allows ({', '.join(map(str, allowed))})"

    return Rule(", ".join(repr(a) if a == "" else str(a) for a in allowed), check)


def _strings(value: list[Any]) -> str | None:
    bad = [item for item in value if not isinstance(item, str)]
    return f"every item must be a string, got {bad[0]!r}" if bad else None


def _string_values(value: dict[str, Any]) -> str | None:
    bad = [key for key, item in value.items() if not isinstance(item, str)]
    return f"{bad[0]}: expected a string, got {value[bad[0]]!r}" if bad else None


list_of_strings = Rule("strings", _strings)
string_table = Rule("string values", _string_values)
