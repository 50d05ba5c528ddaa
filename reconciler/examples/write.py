"""`reconcile init`: the shipped stacks and their code written into a new folder, each code
path rewritten to point inside it, ready for `reconcile plan --desired-dir DIR`."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from reconciler.desired.load import load_stack
from reconciler.errors import InputError, did_you_mean

# The stacks' folder and the one above it, which holds their code (`../handlers`, `../layers`):
# links into the repository in a checkout, the package's own folders once installed.
STACKS = (Path(__file__).resolve().parent / "desired_state").resolve()
BESIDE = STACKS.parent
ALL = "all"
# What a stack's code folders hold for their own tests: not part of a deployment.
NOT_CODE = shutil.ignore_patterns("test", "*.test.mjs", ".gitignore", "__pycache__")


def examples() -> list[str]:
    return sorted(path.stem for path in STACKS.glob("*.toml"))


def chosen(example: str) -> list[str]:
    known = examples()
    if example == ALL:
        return known
    if example not in known:
        hint = did_you_mean(example, known)
        raise InputError(f"--example {example}: no such example{hint} (known: {', '.join(known)})")
    return [example]


def check_empty(folder: Path) -> None:
    """Only a new or empty folder: nothing of the user's is ever overwritten."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise InputError(f"{folder}: exists and is not empty; init writes only into a new folder")


def write(folder: Path, example: str) -> list[Path]:
    """The chosen stacks' TOML and code in `folder`; returns the TOML files written."""
    names = chosen(example)
    check_empty(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [_write_stack(folder, name) for name in names]


def _write_stack(folder: Path, name: str) -> Path:
    source = STACKS / f"{name}.toml"
    spec = load_stack(source, None)
    text = source.read_text(encoding="utf-8")
    code = [f.source for f in spec.functions] + [layer.source for layer in spec.layers]
    for path in dict.fromkeys(code):
        inside = path.resolve().relative_to(BESIDE)
        if not (folder / inside).exists():
            shutil.copytree(path, folder / inside, ignore=NOT_CODE)
        # The TOML names its code relative to itself: `../handlers/x` becomes `handlers/x`.
        said = os.path.relpath(path, STACKS)
        text = re.sub(rf'(source\s*=\s*)"{re.escape(said)}"', rf'\1"{inside.as_posix()}"', text)
    target = folder / source.name
    target.write_text(text, encoding="utf-8")
    return target
