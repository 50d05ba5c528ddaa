"""Adapter fixtures: an in-process local AWS, the tests' small stack, and a context per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.adapters.base import Context
from reconciler.aws.clients import Clients
from reconciler.aws.retry import RetryPolicy
from reconciler.aws.waits import WaitPolicy
from reconciler.desired.model import StackSpec
from reconciler.expand import Target
from reconciler.sandbox.control.knobs import Knobs
from reconciler.sandbox.server import Sandbox
from tests.fixtures import small_stack

FAST = Knobs(
    pending_seconds=0.05, update_seconds=0.05, pc_ready_seconds=0.2, iam_propagation_seconds=0.1
)
SUFFIXES = (f"ad{n}" for n in itertools.count())


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, knobs=FAST) as running:
        yield running


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> StackSpec:
    folder: Path = tmp_path_factory.mktemp("small")
    return small_stack.load(folder)


@pytest.fixture(scope="session")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> StackSpec:
    """The small stack with its alias's capacity held by Application Auto Scaling."""
    folder: Path = tmp_path_factory.mktemp("scaled")
    return small_stack.load(folder, small_stack.SCALED)


@pytest.fixture
def ctx(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Context:
    """A context of its own suffix: what one test creates, no other test sees."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return Context(
        clients=Clients("us-east-1"),
        target=Target(next(SUFFIXES), "123456789012", "us-east-1"),
        retry=RetryPolicy(deadline_s=30),
        wait=WaitPolicy(timeout_s=30),
        pc_wait=WaitPolicy(timeout_s=30),
    )
