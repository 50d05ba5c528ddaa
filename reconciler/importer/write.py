"""Import: the stack's TOML and its code written beside it, nothing overwritten.

The code is downloaded from where AWS says it is (GetFunction's `Code.Location`,
GetLayerVersion's `Content.Location`: presigned URLs) and kept as the zip that runs, so that the
imported stack deploys exactly the running code.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from pathlib import Path

from reconciler.adapters.base import Context
from reconciler.errors import InputError
from reconciler.expand.ownership import MANAGED_BY, OWNER, SUFFIX, stack_of
from reconciler.importer import alarms, read
from reconciler.importer.toml import Imported, Request, imported

DOWNLOAD_TIMEOUT_S = 60


@dataclass(frozen=True)
class Choice:
    """Which functions to import and how."""

    stack: str
    desired_dir: Path
    functions: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]
    plain: frozenset[str]


def import_stack(ctx: Context, choice: Choice) -> tuple[Path, Imported]:
    """Read, render, check, download, write; refuses before writing anything."""
    target = choice.desired_dir / f"{choice.stack}.toml"
    folder = f"{choice.stack}-code"
    for path in (target, choice.desired_dir / folder):
        if path.exists():
            raise InputError(f"{path} exists: import writes a new stack and overwrites nothing")
    names = read.chosen(ctx, choice.functions, choice.tags)
    live = [read.function(ctx, name) for name in names]
    for function in live:
        _unowned(function.name, function.tags)
    request = Request(
        choice.stack,
        ctx.target.suffix,
        ctx.target.region,
        ctx.target.account_id,
        choice.plain,
        folder,
    )
    found = alarms.folded(ctx.target.suffix, live, read.metric_alarms(ctx))
    result = imported(request, live, found)
    code = {name: _download(url) for name, url in result.code}
    (choice.desired_dir / folder).mkdir(parents=True)
    for name, data in code.items():
        (choice.desired_dir / folder / name).write_bytes(data)
    target.write_text(result.text, encoding="utf-8")
    return target, result


def _unowned(name: str, tags: dict[str, str]) -> None:
    """Refuse a function a stack of ours already owns: two stack files would take it from
    each other on every run."""
    if tags.get(MANAGED_BY) != OWNER:
        return
    raise InputError(
        f"function {name} is already owned by stack {stack_of(tags)!r} of suffix "
        f"{tags.get(SUFFIX, '?')!r}: import takes in only what no stack owns "
        "(`reconcile release` hands it back first)"
    )


def _download(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise InputError(f"AWS gave no code location that can be downloaded ({url!r})")
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        return bytes(response.read())
