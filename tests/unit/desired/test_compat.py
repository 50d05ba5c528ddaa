"""Code a runtime cannot run is refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.compat import check_sdk_v2
from reconciler.desired.packaging import package
from reconciler.errors import InputError


@pytest.mark.parametrize(
    "line",
    [
        'const AWS = require("aws-sdk");',
        "import AWS from 'aws-sdk';",
        "import { S3 } from 'aws-sdk/clients/s3';",
        'const sdk = await import("aws-sdk");',
    ],
)
def test_code_importing_the_v2_sdk_is_refused_for_node_18_and_later(
    tmp_path: Path, line: str
) -> None:
    (tmp_path / "index.mjs").write_text(f"// handler\n{line}\nexport const handler = 1;\n")
    with pytest.raises(InputError, match=r"functions.x: index.mjs:2 imports the v2 'aws-sdk'"):
        check_sdk_v2(package(tmp_path), ("nodejs24.x",), "functions.x")


def test_v3_clients_and_lookalike_names_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "index.mjs").write_text(
        'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\n'
        'const name = "aws-sdk-v2-is-gone";\n'
    )
    check_sdk_v2(package(tmp_path), ("nodejs24.x",), "functions.x")
