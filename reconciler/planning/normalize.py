"""Plan stage: make equal things compare equal (policy documents, dashboard bodies) (pure)."""

from __future__ import annotations

import json
from typing import Any


def policy(document: Any) -> Any:
    """A policy as a canonical document: statement order, string-vs-list and case ignored."""
    if isinstance(document, str):
        document = json.loads(document)
    if not isinstance(document, dict):
        return document
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    canon = sorted((_statement(s) for s in statements), key=lambda s: json.dumps(s, sort_keys=True))
    return {"Version": document.get("Version", "2008-10-17"), "Statement": canon}


def _statement(statement: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key == "Sid":
            continue  # Sids are labels; they do not change what a statement allows.
        if key in ("Action", "NotAction"):
            out[key] = sorted({a.lower() for a in _as_list(value)})
        elif key in ("Resource", "NotResource"):
            out[key] = sorted(set(_as_list(value)))
        elif key == "Principal" and isinstance(value, dict):
            out[key] = {k: sorted(set(_as_list(v))) for k, v in value.items()}
        else:
            out[key] = value
    return out


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def json_body(body: Any) -> Any:
    """A JSON document given as text or data, as data."""
    return json.loads(body) if isinstance(body, str) else body
