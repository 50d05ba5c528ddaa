"""Adapter fixtures: an in-process local AWS and an adapter context pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.adapters.base import Context
from reconciler.aws.clients import Clients
from reconciler.aws.retry import RetryPolicy
from reconciler.aws.waits import WaitPolicy
from reconciler.expand import Target
from reconciler.sandbox.control.knobs import Knobs
from reconciler.sandbox.server import Sandbox

FAST = Knobs(
    pending_seconds=0.05, update_seconds=0.05, pc_ready_seconds=0.2, iam_propagation_seconds=0.1
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, knobs=FAST) as running:
        yield running


@pytest.fixture
def ctx(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return Context(
        clients=Clients("us-east-1"),
        target=Target("adp", "123456789012", "us-east-1"),
        retry=RetryPolicy(deadline_s=30),
        wait=WaitPolicy(timeout_s=30),
        pc_wait=WaitPolicy(timeout_s=30),
    )
