"""Lambda layer versions and the functions that reference them, read back as AWS reports them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.helpers import ACCOUNT, REGION, create_function, error_code, handler_zip

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

LAYER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps"


def publish(lam: LambdaClient, description: str = "v", **settings: Any) -> Any:
    return lam.publish_layer_version(
        LayerName="deps",
        Description=description,
        Content={"ZipFile": handler_zip() + description.encode()},
        **settings,
    )


def test_a_published_version_reports_its_arn_number_and_code_hash(lam: LambdaClient) -> None:
    published = publish(
        lam, "shared code", CompatibleRuntimes=["nodejs24.x"], CompatibleArchitectures=["arm64"]
    )

    assert published["Version"] == 1
    assert published["LayerVersionArn"] == f"{LAYER_ARN}:1"
    assert published["Content"]["CodeSha256"]
    assert published["CompatibleRuntimes"] == ["nodejs24.x"]
    assert published["CompatibleArchitectures"] == ["arm64"]
    # No licence was published, so AWS leaves the field out rather than sending "".
    assert "LicenseInfo" not in published


def test_versions_are_listed_newest_first_with_their_descriptions(lam: LambdaClient) -> None:
    publish(lam, "first")
    publish(lam, "second")

    listed = lam.list_layer_versions(LayerName="deps")["LayerVersions"]

    assert [(v["Version"], v["Description"]) for v in listed] == [(2, "second"), (1, "first")]
    assert lam.list_layer_versions(LayerName=LAYER_ARN)["LayerVersions"] == listed


def test_one_version_is_read_by_name_and_number_or_by_arn(lam: LambdaClient) -> None:
    publish(lam, "first")
    arn = publish(lam, "second")["LayerVersionArn"]

    by_number = lam.get_layer_version(LayerName="deps", VersionNumber=2)
    by_arn = lam.get_layer_version_by_arn(Arn=arn)

    assert by_arn["Description"] == by_number["Description"] == "second"
    assert by_arn["LayerVersionArn"] == arn
    assert by_arn["Content"]["CodeSha256"] == by_number["Content"]["CodeSha256"]


def test_a_deleted_version_is_gone_but_numbers_are_never_reused(lam: LambdaClient) -> None:
    arn = publish(lam, "first")["LayerVersionArn"]
    lam.delete_layer_version(LayerName="deps", VersionNumber=1)

    with pytest.raises(ClientError) as caught:
        lam.get_layer_version_by_arn(Arn=arn)

    assert error_code(caught.value) == "ResourceNotFoundException"
    assert lam.list_layers()["Layers"] == []
    assert publish(lam, "again")["Version"] == 2


def test_list_layers_shows_the_latest_version_matching_the_filter(lam: LambdaClient) -> None:
    publish(lam, "node", CompatibleRuntimes=["nodejs24.x"])
    publish(lam, "python", CompatibleRuntimes=["python3.12"])

    everything = lam.list_layers()["Layers"]
    for_node = lam.list_layers(CompatibleRuntime="nodejs24.x")["Layers"]

    assert [layer["LatestMatchingVersion"]["Version"] for layer in everything] == [2]
    assert [layer["LatestMatchingVersion"]["Description"] for layer in for_node] == ["node"]
    assert lam.list_layers(CompatibleRuntime="java21")["Layers"] == []


def test_functions_report_their_layers_in_every_configuration(
    lam: LambdaClient, role_arn: str
) -> None:
    first = publish(lam, "first")
    second = publish(lam, "second")
    created = create_function(lam, role_arn, Layers=[first["LayerVersionArn"]])
    published = lam.publish_version(FunctionName="app")

    updated = lam.update_function_configuration(
        FunctionName="app", Layers=[second["LayerVersionArn"]]
    )

    expected = [{"Arn": second["LayerVersionArn"], "CodeSize": second["Content"]["CodeSize"]}]
    listed = [f for f in lam.list_functions()["Functions"] if f["FunctionName"] == "app"]
    for config in [updated, lam.get_function(FunctionName="app")["Configuration"], *listed]:
        assert config["Layers"] == expected
    version_one = lam.get_function_configuration(FunctionName="app", Qualifier="1")
    assert created["Layers"] == published["Layers"] == version_one["Layers"]
    assert version_one["Layers"][0]["Arn"] == first["LayerVersionArn"]
    versions = lam.list_versions_by_function(FunctionName="app")["Versions"]
    assert [v["Layers"][0]["Arn"] for v in versions] == [
        second["LayerVersionArn"],
        first["LayerVersionArn"],
    ]


def test_a_function_without_layers_has_no_layers_field(lam: LambdaClient, role_arn: str) -> None:
    arn = publish(lam)["LayerVersionArn"]
    create_function(lam, role_arn, Layers=[arn])

    lam.update_function_configuration(FunctionName="app", Layers=[])

    assert "Layers" not in lam.get_function_configuration(FunctionName="app")


@pytest.mark.parametrize(
    ("layers", "reason"),
    [
        pytest.param([f"{LAYER_ARN}:9"], "does not exist", id="missing version"),
        pytest.param([f"{LAYER_ARN}:1", f"{LAYER_ARN}:2"], "same layer", id="one layer twice"),
        pytest.param([f"{LAYER_ARN}-{n}:1" for n in range(6)], "more than 5", id="six layers"),
    ],
)
def test_layer_references_aws_refuses_are_invalid_parameters(
    lam: LambdaClient, role_arn: str, layers: list[str], reason: str
) -> None:
    publish(lam, "first")
    publish(lam, "second")

    with pytest.raises(ClientError) as caught:
        create_function(lam, role_arn, Layers=layers)

    # AWS answers 400 here, where moto would say 404 for a missing version.
    assert error_code(caught.value) == "InvalidParameterValueException"
    assert reason in str(caught.value)
