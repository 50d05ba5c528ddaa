"""Function settings moto drops (DLQ, logging, tracing, KMS) read back as AWS reports them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.helpers import create_function, error_code, handler_zip

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

DLQ = "arn:aws:sqs:us-east-1:123456789012:app-dlq"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FULL_SETTINGS: dict[str, Any] = {
    "DeadLetterConfig": {"TargetArn": DLQ},
    "LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/custom/app"},
    "TracingConfig": {"Mode": "Active"},
    "KMSKeyArn": KEY,
}
EXPECTED_LOGGING = {
    "LogFormat": "JSON",
    "LogGroup": "/custom/app",
    "ApplicationLogLevel": "INFO",
    "SystemLogLevel": "INFO",
}


def every_view(lam: LambdaClient, name: str = "app") -> list[Any]:
    """The function's configuration as each read operation returns it."""
    listed = [f for f in lam.list_functions()["Functions"] if f["FunctionName"] == name]
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    return [
        lam.get_function(FunctionName=name)["Configuration"],
        lam.get_function_configuration(FunctionName=name),
        *listed,
        *[v for v in versions if v["Version"] == "$LATEST"],
    ]


def test_unset_settings_read_back_with_aws_defaults(lam: LambdaClient, role_arn: str) -> None:
    created = create_function(lam, role_arn)

    for config in [created, *every_view(lam)]:
        assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/app"}
        assert config["TracingConfig"] == {"Mode": "PassThrough"}
        assert "KMSKeyArn" not in config
        assert "DeadLetterConfig" not in config


def test_settings_given_at_creation_are_reported_by_every_read(
    lam: LambdaClient, role_arn: str
) -> None:
    created = create_function(lam, role_arn, **FULL_SETTINGS)

    for config in [created, *every_view(lam)]:
        assert config["DeadLetterConfig"] == {"TargetArn": DLQ}
        assert config["LoggingConfig"] == EXPECTED_LOGGING
        assert config["TracingConfig"] == {"Mode": "Active"}
        assert config["KMSKeyArn"] == KEY


def test_dead_letter_queue_and_json_logging_read_back_after_an_update(
    lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn, DeadLetterConfig={"TargetArn": f"{DLQ}-old"})

    updated = lam.update_function_configuration(
        FunctionName="app",
        DeadLetterConfig={"TargetArn": DLQ},
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/custom/app"},
    )

    for config in [updated, *every_view(lam)]:
        assert config["DeadLetterConfig"] == {"TargetArn": DLQ}
        assert config["LoggingConfig"] == EXPECTED_LOGGING


def test_updates_change_tracing_and_encryption(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn)

    updated = lam.update_function_configuration(
        FunctionName="app", TracingConfig={"Mode": "Active"}, KMSKeyArn=KEY
    )

    assert updated["TracingConfig"] == {"Mode": "Active"}
    assert updated["KMSKeyArn"] == KEY
    assert lam.get_function_configuration(FunctionName="app")["KMSKeyArn"] == KEY


def test_empty_values_clear_the_key_and_the_dead_letter_queue(
    lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn, **FULL_SETTINGS)

    lam.update_function_configuration(
        FunctionName="app", KMSKeyArn="", DeadLetterConfig={"TargetArn": ""}
    )

    config = lam.get_function_configuration(FunctionName="app")
    assert "KMSKeyArn" not in config
    assert "DeadLetterConfig" not in config
    assert config["TracingConfig"] == {"Mode": "Active"}


def test_a_new_logging_config_replaces_the_old_one_whole(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn, **FULL_SETTINGS)

    lam.update_function_configuration(FunctionName="app", LoggingConfig={"LogFormat": "Text"})

    logging = lam.get_function_configuration(FunctionName="app")["LoggingConfig"]
    assert logging == {"LogFormat": "Text", "LogGroup": "/aws/lambda/app"}


def test_log_levels_with_text_format_are_refused(lam: LambdaClient, role_arn: str) -> None:
    with pytest.raises(ClientError) as caught:
        create_function(
            lam, role_arn, LoggingConfig={"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"}
        )

    assert error_code(caught.value) == "InvalidParameterValueException"


def test_an_empty_environment_clears_all_variables(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn, Environment={"Variables": {"STAGE": "prod"}})

    lam.update_function_configuration(FunctionName="app", Environment={})

    variables = lam.get_function_configuration(FunctionName="app").get("Environment", {})
    assert variables.get("Variables", {}) == {}


def test_published_versions_keep_the_settings_they_were_published_with(
    lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn, **FULL_SETTINGS)
    published = lam.publish_version(FunctionName="app")
    lam.create_alias(FunctionName="app", Name="live", FunctionVersion=published["Version"])

    lam.update_function_configuration(
        FunctionName="app", TracingConfig={"Mode": "PassThrough"}, KMSKeyArn=""
    )

    assert published["TracingConfig"] == {"Mode": "Active"}
    for qualifier in ("1", "live"):
        config = lam.get_function_configuration(FunctionName="app", Qualifier=qualifier)
        assert config["TracingConfig"] == {"Mode": "Active"}
        assert config["KMSKeyArn"] == KEY
    latest = lam.get_function_configuration(FunctionName="app")
    assert latest["TracingConfig"] == {"Mode": "PassThrough"}
    assert "KMSKeyArn" not in latest


def test_listing_versions_reports_each_version_s_own_settings(
    lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn, TracingConfig={"Mode": "Active"})
    lam.publish_version(FunctionName="app")
    lam.update_function_configuration(FunctionName="app", TracingConfig={"Mode": "PassThrough"})

    versions = lam.list_versions_by_function(FunctionName="app")["Versions"]

    modes = {v["Version"]: v["TracingConfig"]["Mode"] for v in versions}
    assert modes == {"$LATEST": "PassThrough", "1": "Active"}


def test_a_recreated_function_starts_from_defaults(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn, **FULL_SETTINGS)
    lam.delete_function(FunctionName="app")

    recreated = create_function(lam, role_arn)

    assert recreated["TracingConfig"] == {"Mode": "PassThrough"}
    assert "DeadLetterConfig" not in lam.get_function_configuration(FunctionName="app")


def test_functions_addressed_by_arn_report_the_same_settings(
    lam: LambdaClient, role_arn: str
) -> None:
    arn = create_function(lam, role_arn, TracingConfig={"Mode": "Active"})["FunctionArn"]
    lam.publish_version(FunctionName=arn)

    versions = lam.list_versions_by_function(FunctionName=arn)["Versions"]

    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert lam.get_function_configuration(FunctionName=f"{arn}:1")["TracingConfig"] == {
        "Mode": "Active"
    }


def test_publishing_at_creation_freezes_version_one(lam: LambdaClient, role_arn: str) -> None:
    created = create_function(lam, role_arn, Publish=True, KMSKeyArn=KEY)
    lam.update_function_configuration(FunctionName="app", KMSKeyArn="")

    version_one = lam.get_function_configuration(FunctionName="app", Qualifier="1")

    assert created["Version"] == "1"
    assert version_one["KMSKeyArn"] == KEY


def test_a_code_update_can_change_the_architecture(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn, Architectures=["x86_64"])
    lam.update_function_code(FunctionName="app", ZipFile=handler_zip(), Architectures=["arm64"])
    for view in every_view(lam):
        assert view["Architectures"] == ["arm64"]


def _new_code(lam: LambdaClient, marker: str, publish: bool = False) -> str:
    """Change the code (so there is something to publish); the version published, if asked."""
    zipped = handler_zip(f"# {marker}\n")
    answer = lam.update_function_code(FunctionName="app", ZipFile=zipped, Publish=publish)
    return str(answer["Version"])


def test_version_numbers_are_never_given_twice(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn, Publish=True)  # version 1
    _new_code(lam, "two")
    assert lam.publish_version(FunctionName="app")["Version"] == "2"
    _new_code(lam, "three")
    lam.publish_version(FunctionName="app")
    # Versions 1 and 2 deleted: AWS counts on (moto alone gave 2 again, then 3 twice).
    lam.delete_function(FunctionName="app", Qualifier="1")
    lam.delete_function(FunctionName="app", Qualifier="2")
    _new_code(lam, "four")
    fourth = lam.publish_version(FunctionName="app")
    assert fourth["Version"] == "4"
    assert fourth["FunctionArn"].endswith(":function:app:4")
    assert _new_code(lam, "five", publish=True) == "5"
    listed = lam.list_versions_by_function(FunctionName="app")["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "3", "4", "5"]
    # Each number still answers for its own code.
    shas = {
        v: lam.get_function(FunctionName="app", Qualifier=v)["Configuration"]["CodeSha256"]
        for v in ("3", "4", "5")
    }
    assert len(set(shas.values())) == 3
    # Publishing with nothing changed hands back the newest version, as before.
    assert lam.publish_version(FunctionName="app")["Version"] == "5"


def test_a_function_created_again_numbers_from_one(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn, Publish=True)
    _new_code(lam, "two", publish=True)
    lam.delete_function(FunctionName="app")
    assert create_function(lam, role_arn, Publish=True)["Version"] == "1"
