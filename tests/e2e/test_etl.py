"""The ETL stack end to end, for dev and prod: the real CLI, then AWS read back with boto3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e import requirements
from tests.e2e.helpers import LocalAws, Run, copy_tree, names_ending, run

FUNCTIONS = requirements.ETL_FUNCTIONS


def etl(aws: LocalAws, *args: str) -> Run:
    return run(aws, *args, "--stack", "etl")


@pytest.fixture(scope="module", params=[("dev", 7), ("prod", 30)], ids=["dev", "prod"])
def deployed(request: pytest.FixtureRequest, local_aws: LocalAws) -> Any:
    env, days = request.param
    suffix = f"etl{env}"
    result = etl(local_aws, "--suffix", suffix, "--env", env)
    assert result.code == 0, result.stdout + result.stderr
    yield suffix, days
    assert etl(local_aws, "destroy", "--suffix", suffix, "--yes", "--env", env).code == 0


def test_functions_have_every_required_value(local_aws: LocalAws, deployed: Any) -> None:
    requirements.etl_functions(local_aws, deployed[0])


def test_log_groups_dlqs_and_alarms(local_aws: LocalAws, deployed: Any) -> None:
    suffix, days = deployed
    requirements.etl_logs_and_dlqs(local_aws, suffix, days)
    requirements.etl_alarms(local_aws, suffix)


def test_roles_are_bounded_and_scoped(local_aws: LocalAws, deployed: Any) -> None:
    requirements.etl_roles(local_aws, deployed[0])


def test_a_converged_run_makes_no_writes(local_aws: LocalAws, deployed: Any) -> None:
    suffix, _ = deployed
    env = "prod" if suffix.endswith("prod") else "dev"
    local_aws.control.reset_calls()
    result = etl(local_aws, "--suffix", suffix, "--env", env)
    assert result.code == 0 and "No changes" in result.stdout
    assert local_aws.control.writes() == []


def _code_hashes(aws: LocalAws) -> dict[str, str]:
    lam = aws.client("lambda")
    return {
        b: lam.get_function(FunctionName=f"{b}-etlchg")["Configuration"]["CodeSha256"]
        for b in FUNCTIONS
    }


def _writes_after_touching(aws: LocalAws, path: Path, args: tuple[str, ...]) -> list[str]:
    """Change one source file, reconcile, and return the write operations it took."""
    path.write_text(path.read_text() + "\n// tuned\n")
    aws.control.reset_calls()
    result = run(aws, *args)
    assert result.code == 0, result.stdout + result.stderr
    return [c.operation for c in aws.control.writes()]


def test_code_and_layer_changes_publish_only_what_changed(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    desired = copy_tree(tmp_path)
    args = ("--stack", "etl", "--suffix", "etlchg", "--desired-dir", str(desired))
    assert run(local_aws, *args).code == 0
    sha = _code_hashes(local_aws)
    # Nothing changed: nothing published.
    local_aws.control.reset_calls()
    assert run(local_aws, *args).code == 0
    assert local_aws.control.writes() == []
    # One handler changed: only that function's code is updated.
    writes = _writes_after_touching(local_aws, tmp_path / "handlers/etl/batch-load/index.mjs", args)
    assert writes.count("UpdateFunctionCode") == 1 and "PublishLayerVersion" not in writes
    after = _code_hashes(local_aws)
    assert [b for b in FUNCTIONS if after[b] != sha[b]] == ["batch-load"]
    # The layer changed: one new layer version, every function moved to it, the old one gone.
    shared = tmp_path / "layers/etl-shared/nodejs/node_modules/etl-shared/index.js"
    writes = _writes_after_touching(local_aws, shared, args)
    assert writes.count("PublishLayerVersion") == 1
    assert writes.count("UpdateFunctionConfiguration") == 3
    lam = local_aws.client("lambda")
    versions = lam.list_layer_versions(LayerName="etl-shared-etlchg")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2]
    for base in FUNCTIONS:
        (layer,) = lam.get_function(FunctionName=f"{base}-etlchg")["Configuration"]["Layers"]
        assert layer["Arn"].endswith(":layer:etl-shared-etlchg:2")
    assert run(local_aws, "plan", *args).code == 0
    assert run(local_aws, "destroy", "--yes", *args).code == 0


def test_a_handler_importing_the_v2_sdk_is_refused_before_any_write(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    desired = copy_tree(tmp_path)
    handler = tmp_path / "handlers/etl/api-handler/index.mjs"
    handler.write_text('import AWS from "aws-sdk";\n' + handler.read_text())
    local_aws.control.reset_calls()
    result = run(local_aws, "--stack", "etl", "--suffix", "etlv2", "--desired-dir", str(desired))
    assert result.code == 1
    assert "functions.api: index.mjs:1 imports the v2 'aws-sdk'" in result.stderr
    assert local_aws.control.calls() == []


def test_both_stacks_and_two_suffixes_live_side_by_side(local_aws: LocalAws) -> None:
    for suffix in ("sidea", "sideb"):
        result = run(local_aws, "--suffix", suffix, "--stack", "all")
        assert result.code == 0, result.stdout + result.stderr
    before_b = names_ending(local_aws, "-sideb")
    assert run(local_aws, "destroy", "--suffix", "sidea", "--yes", "--stack", "all").code == 0
    assert names_ending(local_aws, "-sidea") == set()
    assert names_ending(local_aws, "-sideb") == before_b
    # transactions: table, log group, role, function, X-Ray group, dashboard (6); etl: 2 tables,
    # layer, boundary, X-Ray group, 3 x (function, role, log group, DLQ), 6 alarms (23).
    assert len(before_b) == 6 + 23
    assert run(local_aws, "plan", "--suffix", "sideb", "--stack", "all").code == 0
    assert run(local_aws, "destroy", "--suffix", "sideb", "--yes", "--stack", "all").code == 0
