"""Fixtures: one sandbox per test module, wiped and made instant before every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import INSTANT, client_kwargs, create_role

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_xray import XRayClient


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(sandbox: Sandbox) -> Sandbox:
    sandbox.fidelity.reset()
    sandbox.fidelity.configure(**INSTANT)
    return sandbox


@pytest.fixture(scope="module")
def lam(sandbox: Sandbox) -> LambdaClient:
    return boto3.client("lambda", **client_kwargs(sandbox.url))


@pytest.fixture(scope="module")
def iam(sandbox: Sandbox) -> IAMClient:
    return boto3.client("iam", **client_kwargs(sandbox.url))


@pytest.fixture(scope="module")
def xray(sandbox: Sandbox) -> XRayClient:
    return boto3.client("xray", **client_kwargs(sandbox.url))


@pytest.fixture(scope="module")
def cloudwatch(sandbox: Sandbox) -> CloudWatchClient:
    return boto3.client("cloudwatch", **client_kwargs(sandbox.url))


@pytest.fixture(scope="module")
def sqs(sandbox: Sandbox) -> SQSClient:
    return boto3.client("sqs", **client_kwargs(sandbox.url))


@pytest.fixture
def role_arn(iam: IAMClient) -> str:
    return create_role(iam)
