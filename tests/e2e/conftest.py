"""End-to-end fixtures: one local AWS (`python -m reconciler.sandbox`) for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.sandbox.child import SandboxProcess
from tests.e2e.helpers import LocalAws


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    with SandboxProcess() as process:
        yield LocalAws(process.url, process.control)
