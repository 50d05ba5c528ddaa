"""Log groups in the local AWS: deletion protection as AWS keeps and enforces it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import client_kwargs, error_code


@pytest.fixture
def logs(fresh: Sandbox) -> Any:
    return boto3.client("logs", **client_kwargs(fresh.url))


def _group(logs: Any, name: str) -> dict[str, Any]:
    (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return dict(group)


def test_a_protected_group_is_described_so_and_not_deleted(logs: Any) -> None:
    logs.create_log_group(logGroupName="/app/ledger", deletionProtectionEnabled=True)
    logs.create_log_group(logGroupName="/app/plain")
    assert _group(logs, "/app/ledger")["deletionProtectionEnabled"] is True
    assert _group(logs, "/app/plain")["deletionProtectionEnabled"] is False
    with pytest.raises(ClientError) as refused:
        logs.delete_log_group(logGroupName="/app/ledger")
    assert error_code(refused.value) == "ValidationException"
    assert "deletion protection enabled" in str(refused.value)
    assert _group(logs, "/app/ledger")["logGroupName"] == "/app/ledger"
    logs.delete_log_group(logGroupName="/app/plain")


def test_protection_is_set_and_lifted_on_an_existing_group(logs: Any) -> None:
    logs.create_log_group(logGroupName="/app/orders")
    logs.put_log_group_deletion_protection(
        logGroupIdentifier="/app/orders", deletionProtectionEnabled=True
    )
    assert _group(logs, "/app/orders")["deletionProtectionEnabled"] is True
    with pytest.raises(ClientError):
        logs.delete_log_group(logGroupName="/app/orders")
    logs.put_log_group_deletion_protection(
        logGroupIdentifier="/app/orders", deletionProtectionEnabled=False
    )
    logs.delete_log_group(logGroupName="/app/orders")
    with pytest.raises(ClientError) as missing:
        logs.put_log_group_deletion_protection(
            logGroupIdentifier="/app/orders", deletionProtectionEnabled=True
        )
    assert error_code(missing.value) == "ResourceNotFoundException"
