"""Load stage: the stacks of a desired-state folder, by name (no AWS call)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reconciler.desired.load import load_stack
from reconciler.desired.model import StackSpec
from reconciler.errors import InputError

ALL = "all"


def available(desired_dir: Path) -> list[str]:
    """Every stack the folder declares: one `<stack>.toml` each."""
    return sorted(path.stem for path in desired_dir.glob("*.toml"))


def load_specs(desired_dir: Path, names: Sequence[str], env: str) -> list[StackSpec]:
    """The named stacks (or every one for `all`), each validated for `env`."""
    known = available(desired_dir)
    wanted = known if tuple(names) == (ALL,) else list(names)
    for name in wanted:
        if name not in known:
            raise InputError(f"unknown stack {name!r} (known: {', '.join(known) or 'none'})")
    return [load_stack(desired_dir / f"{name}.toml", env) for name in wanted]


def other_stacks(desired_dir: Path, besides: Sequence[str], env: str) -> list[StackSpec]:
    """The folder's stacks not in `besides` that load; one that does not is simply not known
    (a stack without `env` among its environments, a file being edited)."""
    others = []
    for name in available(desired_dir):
        if name in besides:
            continue
        try:
            others.append(load_stack(desired_dir / f"{name}.toml", env))
        except InputError:
            continue
    return others
