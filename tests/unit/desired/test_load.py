"""The desired-state loader: one clear line for each bad file, naming file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.desired.compat import checked_packages
from reconciler.desired.load import load_stack
from reconciler.desired.model import SecretRef
from reconciler.errors import InputError
from tests.fixtures import small_stack


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    assert old in small_stack.TOML, old
    return small_stack.write(tmp_path, small_stack.TOML.replace(old, new, 1))


BAD = [
    ("memory_mb = 256", "memory_mb = 20000", "memory_mb: 20000 is out of Lambda memory"),
    ("memory_mb = 256", "memory_mb = 64", "memory_mb: 64 is out of Lambda memory"),
    ("timeout_s = 10", "timeout_s = 901", "timeout_s: 901 is out of Lambda timeout"),
    ("timeout_s = 10", 'timeout_s = "10"', "timeout_s: expected an integer, got '10'"),
    ("timeout_s = 10", "timeout_s = true", "timeout_s: expected an integer, got True"),
    ("log_retention_days = 7", "log_retention_days = 8", "8 is not a log retention in days"),
    ('runtime = "nodejs24.x"', 'runtime = "nodejs99.x"', "runtime 'nodejs99.x' is not known"),
    ('architecture = "arm64"', 'architecture = "sparc"', "'sparc' is not a architecture"),
    ('tracing = "Active"', 'tracing = "On"', "'On' is not a tracing mode"),
    ("memory_mb = 256", "memory_mb = 256\nmemory = 5", "functions.worker.memory: unknown key"),
    ('TOKEN = "env:SMALL_TOKEN"', 'TOKEN = "hunter2-literal"',
     "secrets.TOKEN: a secret must name its source"),
    ('TABLE = "{tables.items}"', 'TABLE = "{tables.items}"\nSTRIPE_TOKEN = "sk_live"',
     "environment.STRIPE_TOKEN: looks like a secret given as a literal value"),
    ("provisioned_concurrency = 1", "provisioned_concurrency = 50",
     "provisioned_concurrency: 50 is above reserved_concurrency 3"),
    ('"dynamodb:GetItem"', '"dynamodb:*"', "'dynamodb:*' is not an exact DynamoDB action"),
    ("reserved_concurrency = 3", 'reserved_concurrency = 3\nkms_key_arn = "my-key"',
     "'my-key' is not a KMS key ARN"),
    ('table = "items"', 'table = "itms"', "role.dynamodb: no 'itms' in [tables]"),
    ('table = "items"', "table = 7", "role.dynamodb[0].table: expected a string, got 7"),
    ('billing_mode = "PAY_PER_REQUEST"', 'billing_mode = "PROVISIONED"', "not a billing mode"),
    ('hash_key_type = "S"', 'hash_key_type = "S"\ndeletion_protection = "no"',
     "tables.items.deletion_protection: expected a boolean, got 'no'"),
    ("log_retention_days = 7", "log_retention_days = 7\nlog_deletion_protection = 0",
     "functions.worker.log_deletion_protection: expected a boolean, got 0"),
    ('name = "live"', 'name = "$LATEST"', "is not an alias name"),
    ('TABLE = "{tables.items}"', 'AWS_REGION = "us-east-1"', "Lambda reserves"),
    ('layers = ["common"]', 'layers = ["commn"]',
     "functions.worker.layers: no 'commn' in [layers]"),
    ("max_retry_attempts = 1", "max_retry_attempts = 3", "async.max_retry_attempts: 3 is out of"),
    ("[stack]", 'ignore = ["lambda.fn:tags.Owner"]\n[stack]',
     "ignore: 'lambda.fn:tags.Owner' is not `kind:field` with a known kind"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "message"), BAD, ids=[b[2][:40] for b in BAD])
def test_a_bad_value_is_refused_with_one_line_naming_it(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_stack(_edited(tmp_path, old, new))
    text = str(caught.value)
    assert message in text
    assert text.startswith("small.toml: ")
    assert "\n" not in text


def test_malformed_toml_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[stack\nname = 1\n")
    with pytest.raises(InputError, match=r"broken.toml: not valid TOML: .*line 1"):
        load_stack(path)


def test_a_missing_required_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"functions\.worker\.handler: required key is missing"):
        load_stack(_edited(tmp_path, 'handler = "index.handler"\n', ""))


def test_an_ssm_secret_source_is_accepted(tmp_path: Path) -> None:
    spec = load_stack(_edited(tmp_path, '"env:SMALL_TOKEN"', '"ssm:/small/token"'))
    assert dict(spec.functions[0].secrets)["TOKEN"] == SecretRef("ssm", "/small/token")


ENVIRONMENTS = """
[environments.dev]
log_retention_days = 7

[environments.staging]
log_retention_days = 14
"""


def _with_environments(tmp_path: Path) -> Path:
    """The small stack with its retention per environment instead of on the function."""
    toml = small_stack.TOML.replace("log_retention_days = 7\n", "", 1)
    return small_stack.write(tmp_path, ENVIRONMENTS + toml)


def test_an_environment_the_stack_declares_sets_its_values(tmp_path: Path) -> None:
    path = _with_environments(tmp_path)
    assert load_stack(path, "staging").functions[0].log_retention_days == 14
    assert load_stack(path, "dev").functions[0].log_retention_days == 7


def test_an_environment_the_stack_does_not_declare_is_named_with_the_known_ones(
    tmp_path: Path,
) -> None:
    with pytest.raises(InputError, match=r"no environment 'prod' \(known: dev, staging\)"):
        load_stack(_with_environments(tmp_path), "prod")


def test_a_stack_that_declares_no_environment_takes_only_its_default(tmp_path: Path) -> None:
    path = small_stack.write(tmp_path)
    with pytest.raises(InputError) as refused:
        load_stack(path, "qa-7")
    assert str(refused.value) == (
        "small.toml: declares no [environments]: --env qa-7 names none (only its default, "
        "dev, applies)"
    )
    # Beside a stack that declares it, the environment is no typo: its defaults apply.
    beside = load_stack(path, "qa-7", any_env=True)
    assert beside.functions == load_stack(path, "dev").functions


def test_an_environment_typo_is_named_with_the_nearest(tmp_path: Path) -> None:
    path = small_stack.write(
        tmp_path, small_stack.TOML + "\n[environments.staging]\n[environments.live]\n"
    )
    with pytest.raises(InputError) as refused:
        load_stack(path, "stagng")
    assert str(refused.value) == (
        "small.toml: environments: no environment 'stagng'; did you mean 'staging'? "
        "(known: live, staging)"
    )
    # What only removes reads no environment at all.
    assert load_stack(path, None).env == ""


SHARED = "arn:aws:iam::123456789012:role/legacy-shared"
OWN_ROLE = (
    'name = "worker-role-{suffix}"\n'
    'dynamodb = [{ table = "items", actions = ["dynamodb:GetItem"] }]'
)


@pytest.mark.parametrize(
    ("role", "message"),
    [
        (
            f'name = "worker-role-{{suffix}}"\narn = "{SHARED}"',
            "give name (a role of its own) or arn",
        ),
        ("", "give name (a role of its own) or arn"),
        ('arn = "legacy-shared"', "'legacy-shared' is not an IAM role ARN"),
        (f'arn = "{SHARED}"\ninvoke = ["worker"]', "a role given by arn is not managed here"),
    ],
)
def test_a_role_is_its_own_or_an_existing_one_by_arn(
    tmp_path: Path, role: str, message: str
) -> None:
    assert OWN_ROLE in small_stack.TOML
    with pytest.raises(InputError, match=re.escape(message)):
        load_stack(_edited(tmp_path, OWN_ROLE, role))


def test_a_role_by_arn_is_used_never_built(tmp_path: Path) -> None:
    spec = load_stack(_edited(tmp_path, OWN_ROLE, f'arn = "{SHARED}"'))
    resources = small_stack.resources(spec)
    assert "iam.role" not in {r.id.kind for r in resources}
    function = small_stack.of_kind(resources, "lambda.function")
    assert function.fields["role_arn"] == SHARED
    assert all(d.kind != "iam.role" for d in function.depends_on)


def test_a_zip_source_is_deployed_byte_for_byte(tmp_path: Path) -> None:
    spec = small_stack.load(tmp_path)
    built = checked_packages(spec)["worker"].zip_bytes
    (tmp_path / "worker.zip").write_bytes(built)
    zipped = load_stack(_edited(tmp_path, 'source = "worker"', 'source = "worker.zip"'))
    assert checked_packages(zipped)["worker"].zip_bytes == built


def test_no_retention_means_the_log_group_never_expires(tmp_path: Path) -> None:
    spec = load_stack(_edited(tmp_path, "log_retention_days = 7\n", ""))
    group = small_stack.of_kind(small_stack.resources(spec), "logs.log_group")
    assert group.fields["retention_days"] is None
