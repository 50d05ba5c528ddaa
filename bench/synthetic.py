"""A desired state with N functions shaped like the ETL stack's, for the scaling benchmark.

The ETL stack's TOML is read and its functions are repeated in groups (api, load, transform,
api, ...), each copy with its own key and names and pointing at the same handler folders, so
that everything else about the stack (tables, layer, boundary, alarms on critical functions,
dead-letter queues, async settings, X-Ray group) keeps the shape the real stack has.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.local import ROOT

ETL = ROOT / "desired_state" / "etl.toml"
STACK = "synthetic"
SUFFIX = "-{suffix}"
FUNCTION_REF = re.compile(r"\{functions\.([A-Za-z0-9_]+)\}")
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def write(folder: Path, functions: int, source: Path = ETL) -> Path:
    """`<folder>/synthetic.toml` with `functions` functions; the folder is the --desired-dir."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{STACK}.toml"
    path.write_text(dumps(stack(functions, source)), encoding="utf-8")
    return path


def stack(functions: int, source: Path = ETL) -> dict[str, Any]:
    """The ETL stack's document with its functions multiplied to `functions`."""
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    base = source.parent
    templates = data["functions"]
    order = sorted(templates)
    keys = [_key(order[i % len(order)], i // len(order)) for i in range(functions)]
    present = set(keys)
    data["stack"]["name"] = STACK
    data["functions"] = {
        key: _copy(templates[order[i % len(order)]], i // len(order), base, present)
        for i, key in enumerate(keys)
    }
    for layer in data.get("layers", {}).values():
        layer["source"] = str((base / layer["source"]).resolve())
    if "xray_group" in data:
        group = data["xray_group"]
        group["filter_expression"] = _refs(group["filter_expression"], 0, present)
    return data


def _key(template: str, group: int) -> str:
    return f"{template}_{group:03d}"


def _numbered(name: str, group: int) -> str:
    # Every generated name ends with -{suffix} (the loader insists), so the number goes
    # just before it and discovery by suffix keeps working.
    return f"{name.removesuffix(SUFFIX)}-{group:03d}{SUFFIX}"


def _target(key: str, group: int, present: set[str]) -> str:
    """A reference to another function of the same group, or of the first group when the
    last group is incomplete (N not a multiple of the template count)."""
    mine = _key(key, group)
    return mine if mine in present else _key(key, 0)


def _refs(text: str, group: int, present: set[str]) -> str:
    return FUNCTION_REF.sub(lambda m: f"{{functions.{_target(m[1], group, present)}}}", text)


def _copy(template: dict[str, Any], group: int, base: Path, present: set[str]) -> dict[str, Any]:
    fn: dict[str, Any] = json.loads(json.dumps(template))
    fn["name"] = _numbered(fn["name"], group)
    fn["source"] = str((base / fn["source"]).resolve())
    if "dead_letter_queue" in fn and "name" in fn["dead_letter_queue"]:
        fn["dead_letter_queue"]["name"] = _numbered(fn["dead_letter_queue"]["name"], group)
    role = fn.get("role", {})
    if "name" in role:
        role["name"] = _numbered(role["name"], group)
    if "invoke" in role:
        role["invoke"] = [_target(key, group, present) for key in role["invoke"]]
    env = fn.get("environment", {})
    for name, value in env.items():
        env[name] = _refs(value, group, present)
    return fn


def dumps(document: dict[str, Any]) -> str:
    """TOML text for a document of tables, arrays of tables, strings, numbers and booleans."""
    return "\n".join(_table([], document)) + "\n"


def _table(path: list[str], table: dict[str, Any]) -> Iterator[str]:
    scalars = {k: v for k, v in table.items() if not _is_table(v) and not _is_table_array(v)}
    if path and (scalars or not any(_is_table(v) for v in table.values())):
        yield f"[{'.'.join(path)}]"
    for key, value in scalars.items():
        yield f"{_bare(key)} = {_value(value)}"
    for key, value in table.items():
        if _is_table(value):
            yield ""
            yield from _table([*path, _bare(key)], value)
        elif _is_table_array(value):
            for item in value:
                yield ""
                yield f"[[{'.'.join([*path, _bare(key)])}]]"
                yield from (f"{_bare(k)} = {_value(v)}" for k, v in item.items())


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _bare(key: str) -> str:
    return key if BARE_KEY.match(key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes, \uXXXX included).
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
