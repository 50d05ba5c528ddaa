"""Load stage: what a plan was made from, part by part (the stack files and code zips).

Secrets are never in these parts: the files hold references (`env:`, `ssm:`), not values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from reconciler.desired.packaging import CodePackage


def parts(desired_dir: Path, code: Mapping[str, Mapping[str, CodePackage]]) -> dict[str, str]:
    """A fingerprint per stack file of the folder (every one: the others decide what a run
    prunes) and per code package of the stacks run, named as a person would look for it."""
    found = {
        f"stack file {path.name}": "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(desired_dir.glob("*.toml"))
    }
    found.update(
        {
            f"code of {stack}.{key}": "sha256:" + package.hex_digest
            for stack, packages in code.items()
            for key, package in packages.items()
        }
    )
    return found
