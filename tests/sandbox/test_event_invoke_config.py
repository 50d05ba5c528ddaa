"""Asynchronous invocation configs: Put replaces, Update merges, each qualifier has its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.helpers import client, create_function, error_code

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.type_defs import DestinationConfigTypeDef

    from reconciler.sandbox.server import Sandbox

DLQ = "arn:aws:sqs:us-east-1:123456789012:app-dlq"
ON_FAILURE: DestinationConfigTypeDef = {"OnFailure": {"Destination": DLQ}}
NO_DESTINATIONS: dict[str, Any] = {"OnSuccess": {}, "OnFailure": {}}


def settings(config: Any) -> dict[str, Any]:
    """What a reconciler compares: the settings, without LastModified."""
    return {k: v for k, v in config.items() if k not in ("LastModified", "ResponseMetadata")}


def test_put_then_get_returns_the_config_with_its_qualified_arn(
    lam: LambdaClient, role_arn: str
) -> None:
    arn = create_function(lam, role_arn)["FunctionArn"]

    put = lam.put_function_event_invoke_config(
        FunctionName="app", MaximumRetryAttempts=1, DestinationConfig=ON_FAILURE
    )

    got = lam.get_function_event_invoke_config(FunctionName="app")
    assert settings(got) == settings(put)
    assert settings(got) == {
        "FunctionArn": f"{arn}:$LATEST",
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {"OnSuccess": {}, **ON_FAILURE},
    }


def test_a_second_put_replaces_the_whole_config(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn)
    lam.put_function_event_invoke_config(
        FunctionName="app", MaximumRetryAttempts=0, DestinationConfig=ON_FAILURE
    )

    lam.put_function_event_invoke_config(FunctionName="app", MaximumEventAgeInSeconds=600)

    got = lam.get_function_event_invoke_config(FunctionName="app")
    # Settings the second Put left out are back to Lambda's defaults (2 retries, six
    # hours, no destination), which AWS reports by leaving them out.
    assert "MaximumRetryAttempts" not in got
    assert got["MaximumEventAgeInSeconds"] == 600
    assert got["DestinationConfig"] == NO_DESTINATIONS


def test_update_changes_only_the_given_settings(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn)
    lam.put_function_event_invoke_config(
        FunctionName="app", MaximumRetryAttempts=0, DestinationConfig=ON_FAILURE
    )

    updated = lam.update_function_event_invoke_config(
        FunctionName="app", MaximumEventAgeInSeconds=3600
    )

    got = lam.get_function_event_invoke_config(FunctionName="app")
    assert settings(updated) == settings(got)
    assert (got["MaximumRetryAttempts"], got["MaximumEventAgeInSeconds"]) == (0, 3600)
    assert got["DestinationConfig"]["OnFailure"] == {"Destination": DLQ}


def test_versions_and_aliases_each_have_their_own_config(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn)
    lam.publish_version(FunctionName="app")
    lam.create_alias(FunctionName="app", Name="live", FunctionVersion="1")
    lam.put_function_event_invoke_config(FunctionName="app", MaximumRetryAttempts=2)
    lam.put_function_event_invoke_config(
        FunctionName="app", Qualifier="live", MaximumRetryAttempts=0
    )

    listed = lam.list_function_event_invoke_configs(FunctionName="app")

    retries = {
        c["FunctionArn"].rsplit(":", 1)[-1]: c["MaximumRetryAttempts"]
        for c in listed["FunctionEventInvokeConfigs"]
    }
    assert retries == {"$LATEST": 2, "live": 0}
    alias_config = lam.get_function_event_invoke_config(FunctionName="app:live")
    assert alias_config["MaximumRetryAttempts"] == 0


@pytest.mark.parametrize(
    "call",
    ["get_function_event_invoke_config", "delete_function_event_invoke_config"],
)
def test_reading_or_deleting_a_missing_config_is_not_found(
    lam: LambdaClient, role_arn: str, call: str
) -> None:
    create_function(lam, role_arn)

    with pytest.raises(ClientError) as caught:
        getattr(lam, call)(FunctionName="app")

    assert error_code(caught.value) == "ResourceNotFoundException"


def test_update_without_a_config_is_not_found(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn)

    with pytest.raises(ClientError) as caught:
        lam.update_function_event_invoke_config(FunctionName="app", MaximumRetryAttempts=1)

    assert error_code(caught.value) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "setting",
    [
        pytest.param({"MaximumRetryAttempts": 3}, id="retries above 2"),
        pytest.param({"MaximumRetryAttempts": -1}, id="retries below 0"),
        pytest.param({"MaximumEventAgeInSeconds": 59}, id="age below 60"),
        pytest.param({"MaximumEventAgeInSeconds": 21601}, id="age above 21600"),
    ],
)
def test_values_outside_the_model_s_ranges_are_refused(
    sandbox: Sandbox, lam: LambdaClient, role_arn: str, setting: dict[str, int]
) -> None:
    create_function(lam, role_arn)
    # botocore checks only the lower bounds; without it the server must refuse all four.
    unchecked = client(sandbox.url, "lambda", validate=False)

    with pytest.raises(ClientError) as caught:
        unchecked.put_function_event_invoke_config(FunctionName="app", **setting)

    # The ranges are constraints of the API model, which AWS enforces with a
    # ValidationException (400) before Lambda's own InvalidParameterValueException checks.
    assert error_code(caught.value) == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_configs_go_away_with_their_function(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn)
    lam.put_function_event_invoke_config(FunctionName="app", MaximumRetryAttempts=1)

    lam.delete_function(FunctionName="app")
    create_function(lam, role_arn)

    assert (
        lam.list_function_event_invoke_configs(FunctionName="app")["FunctionEventInvokeConfigs"]
        == []
    )
