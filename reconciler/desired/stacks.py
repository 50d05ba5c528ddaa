"""Load stage: the stacks of a desired-state folder, by name (no AWS call)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.desired.load import load_stack
from reconciler.desired.model import StackSpec
from reconciler.errors import InputError, did_you_mean

ALL = "all"
# The folder a desired state conventionally sits in, below the current folder.
CONVENTIONAL = "desired_state"
VARIABLE = "RECONCILE_DESIRED_DIR"
STACK_FILES = "<stack>.toml"


def folder(given: Path | None, environ: Mapping[str, str], cwd: Path) -> Path:
    """The desired-state folder the user pointed at, checked to hold stacks; never one they
    did not name (the tool's own installation holds examples, not their system)."""
    if given is not None:
        return checked(given, f"--desired-dir {given}")
    if environ.get(VARIABLE):
        configured = Path(environ[VARIABLE])
        return checked(configured, f"{VARIABLE}={configured}")
    here = cwd / CONVENTIONAL if (cwd / CONVENTIONAL).is_dir() else cwd
    if not _stack_files(here):
        raise InputError(
            f"no desired state in {cwd}: it holds no {STACK_FILES} file and no "
            f"{CONVENTIONAL}/ folder with one; pass --desired-dir DIR or set {VARIABLE}"
        )
    return here


def destination(given: Path | None, environ: Mapping[str, str]) -> Path:
    """Where `import` writes: only a folder the user named (it may not exist yet)."""
    chosen = given or (Path(environ[VARIABLE]) if environ.get(VARIABLE) else None)
    if chosen is None:
        raise InputError(
            f"import writes only where it is told: pass --desired-dir DIR (or set {VARIABLE})"
        )
    if chosen.exists() and not chosen.is_dir():
        raise InputError(f"--desired-dir {chosen}: is a file, not a folder")
    return chosen


def checked(path: Path, named: str) -> Path:
    """`path` if it is a readable folder holding at least one stack file."""
    if not path.exists():
        raise InputError(f"{named}: no such folder (it should hold the {STACK_FILES} files)")
    if not path.is_dir():
        raise InputError(f"{named}: is a file, not a folder of {STACK_FILES} files")
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(f"{named}: cannot be read (permission denied)")
    try:
        found = _stack_files(path)
    except PermissionError:
        raise InputError(f"{named}: cannot be read (permission denied)") from None
    if not found:
        raise InputError(f"{named}: holds no {STACK_FILES} file")
    return path


def _stack_files(path: Path) -> list[Path]:
    return sorted(p for p in path.glob("*.toml") if p.is_file())


def available(desired_dir: Path) -> list[str]:
    """Every stack the folder declares: one `<stack>.toml` each."""
    return [path.stem for path in _stack_files(desired_dir)]


def load_specs(desired_dir: Path, names: Sequence[str], env: str | None) -> list[StackSpec]:
    """The named stacks (or every one for `all`), each validated for `env` (None: no
    environment's values, for what only removes)."""
    known = available(desired_dir)
    wanted = known if tuple(names) == (ALL,) else list(names)
    for name in wanted:
        if name not in known:
            hint = did_you_mean(name, known)
            raise InputError(f"unknown stack {name!r}{hint} (known: {', '.join(known) or 'none'})")
    paths = [desired_dir / f"{name}.toml" for name in wanted]
    # A stack that declares no environments runs beside one that declares `env`.
    elsewhere = any(env in declared_environments(path) for path in paths)
    return [load_stack(path, env, any_env=elsewhere) for path in paths]


def declared_environments(path: Path) -> set[str]:
    """The environments a stack file declares (none if it cannot be read: its load says why)."""
    try:
        environments = tomllib.loads(path.read_text(encoding="utf-8")).get("environments")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return set()
    return set(environments) if isinstance(environments, dict) else set()


def other_stacks(desired_dir: Path, besides: Sequence[str], env: str | None) -> list[StackSpec]:
    """The folder's stacks not in `besides` that load; one that does not is simply not known
    (a stack without `env` among its environments, a file being edited)."""
    others = []
    for name in available(desired_dir):
        if name in besides:
            continue
        try:
            others.append(load_stack(desired_dir / f"{name}.toml", env, any_env=True))
        except InputError:
            continue
    return others
