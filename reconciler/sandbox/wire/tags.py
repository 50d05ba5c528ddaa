"""AWS tag lists ([{"Key": k, "Value": v}]) to and from plain dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def tag_dict(tags: Any) -> dict[str, str]:
    """[{"Key": k, "Value": v}, ...] -> {k: v}"""
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags or [] if "Key" in t}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]
