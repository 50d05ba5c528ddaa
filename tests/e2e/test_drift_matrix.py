"""The drift matrix: every owned field changed out of band, seen exactly, fixed, then quiet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.drift import ARN, CASES, Case, S, both, check_drift_cycle, foreign_layer_version
from tests.e2e.helpers import LocalAws, run


@pytest.fixture(scope="module")
def deployed(local_aws: LocalAws) -> Iterator[LocalAws]:
    result = both(local_aws)
    assert result.code == 0, result.stdout + result.stderr
    yield local_aws
    assert both(local_aws, "destroy", "--yes").code == 0


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_out_of_band_change_is_reported_exactly_then_fixed(deployed: LocalAws, case: Case) -> None:
    case.mutate(deployed)
    check_drift_cycle(deployed, {(case.kind, case.name, f) for f in case.fields})


def test_a_foreign_layer_version_is_replaced_by_ours(deployed: LocalAws, tmp_path: Path) -> None:
    foreign_layer_version(deployed, tmp_path)
    # Ours is published again, and the foreign version, then unused, is planned to go too.
    check_drift_cycle(
        deployed,
        {
            ("lambda.layer", f"etl-shared-{S}", "content_hash"),
            ("lambda.layer_versions", f"etl-shared-{S}", "unused_versions"),
        },
    )
    versions = deployed.client("lambda").list_layer_versions(LayerName=f"etl-shared-{S}")
    descriptions = [v.get("Description", "") for v in versions["LayerVersions"]]
    assert "someone else's build" not in descriptions


def test_a_key_schema_change_is_replaced_only_with_allow_replace(local_aws: LocalAws) -> None:
    suffix = "rp"
    assert run(local_aws, "--suffix", suffix).code == 0
    ddb = local_aws.client("dynamodb")
    name = f"transactions-{suffix}"
    tags = ddb.list_tags_of_resource(ResourceArn=ARN.format("dynamodb", f"table/{name}"))["Tags"]
    ddb.delete_table(TableName=name)
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        Tags=tags,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    plan = run(local_aws, "plan", "--suffix", suffix)
    assert plan.code == 2
    assert f"± dynamodb.table {name}" in plan.stdout
    assert 'key_schema: "id:S" -> "transactionId:S"' in plan.stdout
    refused = run(local_aws, "--suffix", suffix)
    assert refused.code == 3
    assert "needs replacement (key_schema); re-run with --allow-replace" in refused.stdout
    assert ddb.describe_table(TableName=name)["Table"]["KeySchema"][0]["AttributeName"] == "id"
    replaced = run(local_aws, "--suffix", suffix, "--allow-replace")
    assert replaced.code == 0, replaced.stdout + replaced.stderr
    keys = ddb.describe_table(TableName=name)["Table"]["KeySchema"]
    assert keys == [{"AttributeName": "transactionId", "KeyType": "HASH"}]
    assert run(local_aws, "destroy", "--suffix", suffix, "--yes").code == 0
