"""Code locations lead to the code, as AWS's presigned URLs do (moto's lead nowhere)."""

from __future__ import annotations

import io
import urllib.request
import zipfile
from typing import TYPE_CHECKING

from tests.sandbox.helpers import create_function, handler_zip

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return bytes(response.read())


def test_a_functions_code_location_serves_the_uploaded_zip(
    lam: LambdaClient, role_arn: str
) -> None:
    create_function(lam, role_arn, name="fn")
    location = lam.get_function(FunctionName="fn")["Code"]["Location"]
    assert _download(location) == handler_zip()


def test_a_published_version_serves_the_code_it_froze(lam: LambdaClient, role_arn: str) -> None:
    create_function(lam, role_arn, name="fn")
    version = lam.publish_version(FunctionName="fn")["Version"]
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("index.py", "def handler(e, c):\n    return 2\n")
    lam.update_function_code(FunctionName="fn", ZipFile=other.getvalue())
    frozen = lam.get_function(FunctionName="fn", Qualifier=version)["Code"]["Location"]
    assert _download(frozen) == handler_zip()
    assert _download(lam.get_function(FunctionName="fn")["Code"]["Location"]) == other.getvalue()


def test_a_layer_versions_content_location_serves_its_zip(lam: LambdaClient) -> None:
    published = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": handler_zip()})
    got = lam.get_layer_version(LayerName="shared", VersionNumber=published["Version"])
    assert _download(got["Content"]["Location"]) == handler_zip()
    by_arn = lam.get_layer_version_by_arn(Arn=published["LayerVersionArn"])
    assert _download(by_arn["Content"]["Location"]) == handler_zip()
