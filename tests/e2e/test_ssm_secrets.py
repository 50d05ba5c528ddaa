"""Secrets from SSM SecureString parameters: read at run time, applied, never printed."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import ROOT, LocalAws, run

SSM_KEY = "ssm-held-api-key-5a5a5a5a"


def _desired_with_ssm(tmp_path: Path, path: str) -> Path:
    folder = tmp_path / "desired_state"
    folder.mkdir()
    text = (ROOT / "desired_state" / "transactions.toml").read_text()
    text = text.replace("../handlers/transactions", str(ROOT / "handlers" / "transactions"))
    text = text.replace('"env:TRANSACTIONS_API_KEY"', f'"ssm:{path}"')
    (folder / "transactions.toml").write_text(text)
    return folder


def test_an_ssm_secret_is_applied_and_never_printed(local_aws: LocalAws, tmp_path: Path) -> None:
    ssm = local_aws.client("ssm")
    ssm.put_parameter(Name="/payments/api-key", Value=SSM_KEY, Type="SecureString")
    folder = _desired_with_ssm(tmp_path, "/payments/api-key")
    result = run(local_aws, "--suffix", "ssm", "--desired-dir", str(folder))
    assert result.code == 0, result.stdout + result.stderr
    assert SSM_KEY not in result.stdout + result.stderr
    config = local_aws.client("lambda").get_function_configuration(
        FunctionName="lambda-function-ssm"
    )
    assert config["Environment"]["Variables"]["API_KEY"] == SSM_KEY
    assert (
        run(local_aws, "destroy", "--suffix", "ssm", "--yes", "--desired-dir", str(folder)).code
        == 0
    )


def test_a_missing_ssm_parameter_is_named_and_nothing_is_written(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    folder = _desired_with_ssm(tmp_path, "/payments/missing")
    local_aws.control.reset_calls()
    result = run(local_aws, "--suffix", "ssm2", "--desired-dir", str(folder))
    assert result.code == 1
    assert (
        "error: secret API_KEY of function processor: SSM parameter /payments/missing not found"
        in (result.stderr)
    )
    assert local_aws.control.writes() == []
