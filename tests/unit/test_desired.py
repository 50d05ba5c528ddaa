"""The desired-state loader: the shipped file, and one clear line for each bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.load import load_stack
from reconciler.desired.model import SecretRef
from reconciler.errors import InputError

SHIPPED = Path(__file__).parents[2] / "desired_state" / "transactions.toml"


def test_the_shipped_transactions_file_carries_every_required_value() -> None:
    spec = load_stack(SHIPPED)
    (fn,) = spec.functions
    assert spec.name == "transactions" and spec.region == "us-east-1"
    assert dict(spec.tags) == {
        "Environment": "production",
        "Team": "payments",
        "CostCenter": "fintech",
    }
    assert fn.name == "lambda-function-{suffix}"
    assert (fn.runtime, fn.architecture) == ("nodejs24.x", "arm64")
    assert (fn.memory_mb, fn.timeout_s, fn.tracing) == (1024, 30, "Active")
    assert (fn.reserved_concurrency, fn.log_retention_days, fn.kms_key_arn) == (100, 7, "")
    assert fn.alias is not None and fn.alias.provisioned_concurrency == 5
    (access,) = fn.role.dynamodb
    assert access.table == "ledger" and "dynamodb:PutItem" in access.actions
    assert dict(fn.secrets) == {
        "DATABASE_URL": SecretRef("env", "TRANSACTIONS_DATABASE_URL"),
        "API_KEY": SecretRef("env", "TRANSACTIONS_API_KEY"),
    }
    assert spec.tables[0].billing_mode == "PAY_PER_REQUEST"


def _edit(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text()
    assert old in text, old
    # Keep the file's relative `source` working: the same layout, handlers linked in.
    (tmp_path / "desired_state").mkdir(exist_ok=True)
    if not (tmp_path / "handlers").exists():
        (tmp_path / "handlers").symlink_to(SHIPPED.parents[1] / "handlers")
    path = tmp_path / "desired_state" / "transactions.toml"
    path.write_text(text.replace(old, new, 1))
    return path


BAD = [
    ("memory_mb = 1024", "memory_mb = 20000", "memory_mb: 20000 is out of Lambda memory"),
    ("memory_mb = 1024", "memory_mb = 64", "memory_mb: 64 is out of Lambda memory"),
    ("timeout_s = 30", "timeout_s = 901", "timeout_s: 901 is out of Lambda timeout"),
    ("timeout_s = 30", 'timeout_s = "30"', "timeout_s: expected an integer, got '30'"),
    ("timeout_s = 30", "timeout_s = true", "timeout_s: expected an integer, got True"),
    ("log_retention_days = 7", "log_retention_days = 8", "8 is not a log retention in days"),
    ('runtime = "nodejs24.x"', 'runtime = "nodejs99.x"', "runtime 'nodejs99.x' is not known"),
    ('architecture = "arm64"', 'architecture = "sparc"', "'sparc' is not a architecture"),
    ('tracing = "Active"', 'tracing = "On"', "'On' is not a tracing mode"),
    ('memory_mb = 1024', 'memory_mb = 1024\nmemory = 5', "functions.processor.memory: unknown key"),
    ('API_KEY = "env:TRANSACTIONS_API_KEY"', 'API_KEY = "hunter2-literal"',
     "secrets.API_KEY: a secret must name its source"),
    ('TABLE_NAME = "{tables.ledger}"', 'TABLE_NAME = "{tables.ledger}"\nSTRIPE_TOKEN = "sk_live"',
     "environment.STRIPE_TOKEN: looks like a secret given as a literal value"),
    ("provisioned_concurrency = 5", "provisioned_concurrency = 500",
     "provisioned_concurrency: 500 is above reserved_concurrency 100"),
    ('"dynamodb:Query",', '"dynamodb:*",', "'dynamodb:*' is not an exact DynamoDB action"),
    ('kms_key_arn = ""', 'kms_key_arn = "my-key"', "'my-key' is not a KMS key ARN"),
    ('table = "ledger"', 'table = "ledgr"', "role.dynamodb: no 'ledgr' in [tables]"),
    ('table = "ledger"', "table = 7", "role.dynamodb[0].table: expected a string, got 7"),
    ('billing_mode = "PAY_PER_REQUEST"', 'billing_mode = "PROVISIONED"', "not a billing mode"),
    ('name = "live"', 'name = "$LATEST"', "is not an alias name"),
    ('TABLE_NAME = "{tables.ledger}"', 'AWS_REGION = "us-east-1"', "Lambda reserves"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_a_bad_value_is_refused_with_one_line_naming_it(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_stack(_edit(tmp_path, old, new))
    text = str(caught.value)
    assert message in text
    assert text.startswith("transactions.toml: ")
    assert "\n" not in text


def test_malformed_toml_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "transactions.toml"
    path.write_text("[stack\nname = 1\n")
    with pytest.raises(InputError, match=r"transactions.toml: not valid TOML: .*line 1"):
        load_stack(path)


def test_a_missing_required_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"functions\.processor\.handler: required key is missing"):
        load_stack(_edit(tmp_path, 'handler = "index.handler"\n', ""))


def test_an_ssm_secret_source_is_accepted(tmp_path: Path) -> None:
    path = _edit(tmp_path, '"env:TRANSACTIONS_API_KEY"', '"ssm:/payments/api-key"')
    spec = load_stack(path)
    assert dict(spec.functions[0].secrets)["API_KEY"] == SecretRef("ssm", "/payments/api-key")
