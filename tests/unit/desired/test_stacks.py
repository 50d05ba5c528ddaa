"""The desired-state folder: only one the user named, checked before any AWS call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.desired import stacks
from reconciler.errors import InputError


def _with_stack(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.toml").write_text("")
    return folder


def test_the_flag_wins_then_the_variable_then_the_current_folder(tmp_path: Path) -> None:
    flag, variable = _with_stack(tmp_path / "flag"), _with_stack(tmp_path / "var")
    env = {stacks.VARIABLE: str(variable)}
    assert stacks.folder(flag, env, tmp_path) == flag
    assert stacks.folder(None, env, tmp_path) == variable
    here = _with_stack(tmp_path / "here")
    assert stacks.folder(None, {}, here) == here
    conventional = _with_stack(here / "desired_state")
    assert stacks.folder(None, {}, here) == conventional


def test_an_unreadable_folder_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a user without read permission sees it (the tests may run as root, whom no mode
    stops, so the operating system's answer is the one thing stood in for)."""
    folder = _with_stack(tmp_path / "locked")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: p != folder and real(p, mode))
    with pytest.raises(InputError, match=r"^--desired-dir .*locked: cannot be read"):
        stacks.folder(folder, {}, tmp_path)


def test_a_folder_whose_listing_is_refused_is_named_as_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _with_stack(tmp_path / "listing")

    def refused(self: Path, pattern: str) -> object:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "glob", refused)
    with pytest.raises(InputError, match=r"listing: cannot be read \(permission denied\)$"):
        stacks.folder(folder, {}, tmp_path)


def test_import_writes_only_where_it_is_told(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="import writes only where it is told"):
        stacks.destination(None, {})
    assert stacks.destination(tmp_path / "new", {}) == tmp_path / "new"
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="is a file, not a folder"):
        stacks.destination(tmp_path / "file", {})
