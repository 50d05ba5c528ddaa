"""Diff stage: a short, stable fingerprint of what a published Lambda version freezes (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# The fields a version snapshot carries (tags and concurrency belong to the function, not it).
VERSIONED = frozenset({
    "runtime", "handler", "memory_mb", "timeout_s", "architecture", "tracing", "role_arn",
    "environment", "kms_key_arn", "layers", "dead_letter_target", "log_format", "log_group",
    "code_sha256",
})  # fmt: skip


def of(fields: Mapping[str, Any]) -> str:
    """12 hex characters of SHA-256 over the canonical JSON of the versioned fields."""
    picked = {k: v for k, v in fields.items() if k in VERSIONED}
    canonical = json.dumps(picked, sort_keys=True, default=list, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
