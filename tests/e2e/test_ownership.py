"""One owner per resource, a desired state only where the user points, and `release`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import LocalAws, Run, reconcile, run
from tests.e2e.test_any_stack import STACK

SUFFIX = "own1"
HANDLER = "export const handler = async (event) => ({ counted: event.sku });\n"
FUNCTION, TABLE = f"inventory-counter-{SUFFIX}", f"inventory-stock-{SUFFIX}"


def _stack_folder(folder: Path, *names: str) -> Path:
    """A folder holding the inventory stack under each of `names` (one file each)."""
    (folder / "counter").mkdir(parents=True)
    (folder / "counter" / "index.mjs").write_text(HANDLER)
    for name in names:
        text = STACK.replace('name = "inventory"', f'name = "{name}"', 1)
        (folder / f"{name}.toml").write_text(text)
    return folder


def _run(aws: LocalAws, folder: Path, stack: str, *args: str) -> Run:
    return run(aws, *args, "--suffix", SUFFIX, "--stack", stack, "--desired-dir", str(folder))


def _tags(aws: LocalAws) -> tuple[dict[str, str], dict[str, str]]:
    lam, ddb = aws.client("lambda"), aws.client("dynamodb")
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    table = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    return dict(lam.get_function(FunctionName=FUNCTION)["Tags"]), table


@pytest.fixture(scope="module")
def deployed(local_aws: LocalAws, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _stack_folder(tmp_path_factory.mktemp("owner"), "inventory")
    result = _run(local_aws, folder, "inventory")
    assert result.code == 0, result.stdout + result.stderr
    return folder


def test_two_stack_files_declaring_one_function_are_refused_at_load(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    folder = _stack_folder(tmp_path, "inventory", "warehouse")
    local_aws.control.reset_calls()
    result = _run(local_aws, folder, "inventory", "plan")
    assert result.code == 1 and result.stdout == "", result.stdout + result.stderr
    assert [line for line in result.stderr.splitlines() if not line.startswith("{")] == [
        f"error: dynamodb.table inventory-stock-{SUFFIX} is declared by both inventory.toml "
        "and warehouse.toml: one resource has one owning stack (drop it from one of them)"
    ]
    assert local_aws.control.calls() == []


def test_another_stack_never_adopts_or_retags_what_a_stack_owns(
    local_aws: LocalAws, deployed: Path, tmp_path: Path
) -> None:
    before = _tags(local_aws)
    other = _stack_folder(tmp_path / "other", "warehouse")
    local_aws.control.reset_calls()
    taken = _run(local_aws, other, "warehouse", "apply", "--adopt")
    # Declared here and left alone: work this stack cannot do (exit 3), and it says whose.
    assert taken.code == 3, taken.stdout + taken.stderr
    reason = "owned by stack 'inventory' of this suffix: never changed by stack 'warehouse'"
    for kind, name in (("lambda.function", FUNCTION), ("dynamodb.table", TABLE)):
        assert f"! {kind} {name}: left alone, {reason}" in taken.stdout.splitlines()
    tagging = [c for c in local_aws.control.writes() if "Tag" in c.operation]
    assert tagging == [] and _tags(local_aws) == before
    imported = run(
        local_aws,
        "import",
        "--suffix",
        SUFFIX,
        "--stack",
        "warehouse",
        "--function",
        FUNCTION,
        "--desired-dir",
        str(tmp_path / "imported"),
    )
    assert imported.code == 1
    assert imported.stderr.splitlines()[-1:] == [
        f"error: function {FUNCTION} is already owned by stack 'inventory' of suffix "
        f"'{SUFFIX}': import takes in only what no stack owns (`reconcile release` hands "
        "it back first)"
    ]
    assert not (tmp_path / "imported").exists()


def test_release_hands_a_table_back_and_no_later_run_touches_it(
    local_aws: LocalAws, deployed: Path
) -> None:
    local_aws.control.reset_calls()
    unknown = _run(local_aws, deployed, "inventory", "release", "nothing-by-that-name")
    assert unknown.code == 1
    assert unknown.stderr.splitlines()[-1] == (
        f"error: release nothing-by-that-name: no resource of suffix '{SUFFIX}' has that name"
    )
    assert local_aws.control.writes() == []
    released = _run(local_aws, deployed, "inventory", "release", TABLE)
    assert released.code == 0, released.stdout + released.stderr
    assert f"> dynamodb.table {TABLE} (released: kept as it is, our tags removed)" in (
        released.stdout.splitlines()
    )
    assert f"Released 1: no run of suffix '{SUFFIX}' changes them now; " in released.stdout
    _, table_tags = _tags(local_aws)
    assert {"ManagedBy", "EnvironmentSuffix", "Stack"}.isdisjoint(table_tags)
    assert table_tags["Team"] == "warehouse" and "Released" in table_tags
    # The next plan does not manage it (and, while it is still declared, says so: exit 2);
    # destroy leaves it.
    plan = _run(local_aws, deployed, "inventory", "plan")
    assert plan.code == 2, plan.stdout + plan.stderr
    assert "No changes: live state matches the desired state." in plan.stdout
    assert f"! dynamodb.table {TABLE}: left alone, released " in plan.stdout
    gone = _run(local_aws, deployed, "inventory", "destroy", "--yes")
    assert gone.code == 0, gone.stdout + gone.stderr
    ddb = local_aws.client("dynamodb")
    assert ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE"
    functions = {
        f["FunctionName"] for f in local_aws.client("lambda").list_functions()["Functions"]
    }
    assert FUNCTION not in functions
    ddb.delete_table(TableName=TABLE)


def _empty(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


def _a_file(tmp_path: Path) -> Path:
    (tmp_path / "stack.toml").write_text("")
    return tmp_path / "stack.toml"


def _no_stack_file(tmp_path: Path) -> Path:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("not a stack\n")
    return tmp_path / "notes"


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        (lambda p: p / "no-such-dir", "no such folder (it should hold the <stack>.toml files)"),
        (_empty, "holds no <stack>.toml file"),
        (_no_stack_file, "holds no <stack>.toml file"),
        (_a_file, "is a file, not a folder of <stack>.toml files"),
    ],
    ids=["missing", "empty", "no-stack-file", "a-file"],
)
@pytest.mark.parametrize("command", ["plan", "apply", "destroy"])
def test_a_desired_dir_without_stacks_is_one_line_and_no_aws_call(
    local_aws: LocalAws, tmp_path: Path, folder: object, message: str, command: str
) -> None:
    path = folder(tmp_path)  # type: ignore[operator]
    local_aws.control.reset_calls()
    yes = ("--yes",) if command == "destroy" else ()
    result = reconcile(local_aws, command, "--suffix", "dd1", "--desired-dir", str(path), *yes)
    assert result.code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [f"error: --desired-dir {path}: {message}"]
    assert local_aws.control.calls() == []


def test_without_a_desired_dir_only_the_current_folder_is_looked_in(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    local_aws.control.reset_calls()
    result = reconcile(local_aws, "plan", "--suffix", "dd2", cwd=tmp_path)
    assert result.code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: no desired state in {tmp_path}: it holds no <stack>.toml file and no "
        "desired_state/ folder with one; pass --desired-dir DIR or set RECONCILE_DESIRED_DIR"
    ]
    variable = reconcile(
        local_aws, "plan", "--suffix", "dd2", cwd=tmp_path, RECONCILE_DESIRED_DIR="nowhere"
    )
    assert variable.code == 1
    assert variable.stderr.splitlines() == [
        "error: RECONCILE_DESIRED_DIR=nowhere: no such folder (it should hold the <stack>.toml "
        "files)"
    ]
    written = reconcile(
        local_aws, "import", "--suffix", "dd2", "--stack", "mine", "--function", "x", cwd=tmp_path
    )
    assert written.code == 1
    assert written.stderr.splitlines() == [
        "error: import writes only where it is told: pass --desired-dir DIR (or set "
        "RECONCILE_DESIRED_DIR)"
    ]
    assert list(tmp_path.iterdir()) == []
    assert local_aws.control.calls() == []
