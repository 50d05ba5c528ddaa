"""Unit fixtures: the tests' own small desired state, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.model import StackSpec
from reconciler.expand.resources import Resource
from tests.fixtures import small_stack


@pytest.fixture(scope="session")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    small_stack.write(folder)
    return folder


@pytest.fixture(scope="session")
def small(small_dir: Path) -> StackSpec:
    return small_stack.load(small_dir)


@pytest.fixture(scope="session")
def resources(small: StackSpec) -> tuple[Resource, ...]:
    return small_stack.resources(small)
