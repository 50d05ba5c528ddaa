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


@pytest.fixture(autouse=True)
def _answers_keep_aws_contract(local_aws: LocalAws) -> Iterator[None]:
    """Every answer the local AWS gave during the test matches botocore's model of it."""
    local_aws.control.clear_breaches()
    yield
    breaches = local_aws.control.breaches()
    assert not breaches, "the local AWS answered what AWS never would:\n" + "\n".join(
        sorted(set(breaches))
    )
