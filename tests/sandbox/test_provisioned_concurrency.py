"""Provisioned concurrency configs: validation, warm-up, failure and alias moves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.server import Sandbox
from tests.sandbox.helpers import client, create_function, error_code, wait_until

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


@pytest.fixture
def published(lam: LambdaClient, role_arn: str) -> str:
    """A function `app` with version 1 and alias `live` -> 1; returns the version."""
    create_function(lam, role_arn)
    version = lam.publish_version(FunctionName="app")["Version"]
    lam.create_alias(FunctionName="app", Name="live", FunctionVersion=version)
    return version


def status(lam: LambdaClient, qualifier: str = "live") -> str:
    config = lam.get_provisioned_concurrency_config(FunctionName="app", Qualifier=qualifier)
    return config["Status"]


def second_configured(lam: LambdaClient) -> str:
    """A second version, with a configuration of its own beside the alias's (on version 1)."""
    lam.update_function_configuration(FunctionName="app", MemorySize=256)
    second = lam.publish_version(FunctionName="app")["Version"]
    for qualifier in ("live", second):
        lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier=qualifier, ProvisionedConcurrentExecutions=1
        )
    return second


def test_provisioned_concurrency_becomes_ready_after_delay(
    sandbox: Sandbox, lam: LambdaClient, published: str
) -> None:
    sandbox.fidelity.configure(pc_ready_seconds=0.3)

    put = lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=5
    )

    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["Status"] == "IN_PROGRESS"
    assert put["AllocatedProvisionedConcurrentExecutions"] == 0
    wait_until(lambda: status(lam) == "READY")
    ready = lam.get_provisioned_concurrency_config(FunctionName="app", Qualifier="live")
    assert ready["RequestedProvisionedConcurrentExecutions"] == 5
    assert ready["AvailableProvisionedConcurrentExecutions"] == 5
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 5
    assert "LastModified" in ready


def test_provisioned_concurrency_fails_with_the_configured_reason(
    sandbox: Sandbox, lam: LambdaClient, published: str
) -> None:
    sandbox.fidelity.configure(pc_fail_reason="FUNCTION_ERROR_INIT_FAILURE")

    lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier=published, ProvisionedConcurrentExecutions=2
    )

    failed = lam.get_provisioned_concurrency_config(FunctionName="app", Qualifier=published)
    assert failed["Status"] == "FAILED"
    assert failed["StatusReason"] == "FUNCTION_ERROR_INIT_FAILURE"


def test_getting_an_absent_config_is_a_typed_not_found(lam: LambdaClient, published: str) -> None:
    with pytest.raises(ClientError) as caught:
        lam.get_provisioned_concurrency_config(FunctionName="app", Qualifier="live")

    assert error_code(caught.value) == "ProvisionedConcurrencyConfigNotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_latest_cannot_get_provisioned_concurrency(lam: LambdaClient, published: str) -> None:
    with pytest.raises(ClientError) as caught:
        lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )

    assert error_code(caught.value) == "InvalidParameterValueException"
    assert "unpublished function versions" in str(caught.value)


def test_a_missing_qualifier_is_refused_like_latest(sandbox: Sandbox, published: str) -> None:
    unchecked = client(sandbox.url, "lambda", validate=False)

    with pytest.raises(ClientError) as caught:
        unchecked.put_provisioned_concurrency_config(
            FunctionName="app", ProvisionedConcurrentExecutions=1
        )

    assert error_code(caught.value) == "InvalidParameterValueException"


def test_an_unknown_qualifier_is_not_found(lam: LambdaClient, published: str) -> None:
    with pytest.raises(ClientError) as caught:
        lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="staging", ProvisionedConcurrentExecutions=1
        )

    assert error_code(caught.value) == "ResourceNotFoundException"


def test_more_than_the_reserved_concurrency_is_refused(lam: LambdaClient, published: str) -> None:
    lam.put_function_concurrency(FunctionName="app", ReservedConcurrentExecutions=3)

    with pytest.raises(ClientError) as caught:
        lam.put_provisioned_concurrency_config(
            FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=4
        )

    assert error_code(caught.value) == "InvalidParameterValueException"


def test_listing_returns_every_config_with_its_qualified_arn(
    lam: LambdaClient, published: str
) -> None:
    # A second version, which `live` does not point to: one configuration per version.
    second_configured(lam)

    listed = lam.list_provisioned_concurrency_configs(FunctionName="app")

    arns = sorted(c["FunctionArn"] for c in listed["ProvisionedConcurrencyConfigs"])
    base = "arn:aws:lambda:us-east-1:123456789012:function:app"
    assert arns == [f"{base}:2", f"{base}:live"]


def test_deleting_a_config_removes_it(lam: LambdaClient, published: str) -> None:
    lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=1
    )

    deleted = lam.delete_provisioned_concurrency_config(FunctionName="app", Qualifier="live")

    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert (
        lam.list_provisioned_concurrency_configs(FunctionName="app")[
            "ProvisionedConcurrencyConfigs"
        ]
        == []
    )


def test_moving_an_alias_sends_its_config_back_to_in_progress(
    sandbox: Sandbox, lam: LambdaClient, published: str
) -> None:
    lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    assert status(lam) == "READY"
    lam.update_function_configuration(FunctionName="app", Timeout=10)
    version = lam.publish_version(FunctionName="app")["Version"]
    sandbox.fidelity.configure(pc_ready_seconds=0.3)

    lam.update_alias(FunctionName="app", Name="live", FunctionVersion=version)

    assert status(lam) == "IN_PROGRESS"
    wait_until(lambda: status(lam) == "READY")


def test_an_alias_with_capacity_is_not_moved_onto_a_version_with_its_own(
    lam: LambdaClient, published: str
) -> None:
    # A release warms the new version by number while the alias serves the old one; the
    # alias may route to it by weight, but not make it primary until its own capacity goes.
    second = second_configured(lam)
    lam.update_alias(
        FunctionName="app",
        Name="live",
        RoutingConfig={"AdditionalVersionWeights": {second: 0.1}},
    )

    with pytest.raises(ClientError) as caught:
        lam.update_alias(
            FunctionName="app",
            Name="live",
            FunctionVersion=second,
            RoutingConfig={"AdditionalVersionWeights": {}},
        )

    assert error_code(caught.value) == "ResourceConflictException"
    assert "one configuration per version" in str(caught.value)
    assert lam.get_alias(FunctionName="app", Name="live")["FunctionVersion"] == published
    lam.delete_provisioned_concurrency_config(FunctionName="app", Qualifier=second)
    moved = lam.update_alias(
        FunctionName="app",
        Name="live",
        FunctionVersion=second,
        RoutingConfig={"AdditionalVersionWeights": {}},
    )
    assert moved["FunctionVersion"] == second


def test_deleting_the_alias_deletes_its_config(lam: LambdaClient, published: str) -> None:
    lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    lam.delete_alias(FunctionName="app", Name="live")
    lam.create_alias(FunctionName="app", Name="live", FunctionVersion=published)

    with pytest.raises(ClientError) as caught:
        status(lam)

    assert error_code(caught.value) == "ProvisionedConcurrencyConfigNotFoundException"


def test_deleting_the_function_deletes_its_configs(
    lam: LambdaClient, role_arn: str, published: str
) -> None:
    lam.put_provisioned_concurrency_config(
        FunctionName="app", Qualifier=published, ProvisionedConcurrentExecutions=1
    )
    lam.delete_function(FunctionName="app")
    create_function(lam, role_arn)
    lam.publish_version(FunctionName="app")

    assert (
        lam.list_provisioned_concurrency_configs(FunctionName="app")[
            "ProvisionedConcurrencyConfigs"
        ]
        == []
    )
