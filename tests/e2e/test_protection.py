"""What existed before us outlives destroy: adopted and protected data is released, never
deleted unless the command says so, and never when it is protected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reconciler.sandbox import legacy
from tests.e2e.helpers import ROOT, LocalAws, Run, copy_tree, names_ending, run

TODAY = dt.datetime.now(dt.UTC).date().isoformat()
OURS = {"ManagedBy", "EnvironmentSuffix", "Stack", "Adopted"}
OFF = (
    "  ! deletion_protection: true -> false   "
    "(turns deletion protection OFF: it can then be deleted with its data)"
)


def _undeclared(tmp_path: Path) -> Path:
    """The shipped stacks, with the ledger's protection left undeclared (kept as it is)."""
    folder = copy_tree(tmp_path)
    path = folder / "transactions.toml"
    text = path.read_text()
    assert "\ndeletion_protection = false\n" in text
    path.write_text(text.replace("\ndeletion_protection = false\n", "\n"))
    return folder


def _reconcile(aws: LocalAws, folder: Path, suffix: str, *args: str) -> Run:
    return run(aws, *args, "--suffix", suffix, "--desired-dir", str(folder))


def _table(aws: LocalAws, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    ddb = aws.client("dynamodb")
    table = ddb.describe_table(TableName=name)["Table"]
    tags = ddb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
    return table, {t["Key"]: t["Value"] for t in tags}


def _item(aws: LocalAws, table: str) -> dict[str, Any]:
    got = aws.client("dynamodb").get_item(TableName=table, Key={"transactionId": {"S": "t-1"}})
    return dict(got["Item"])


def _function_tags(aws: LocalAws, name: str) -> dict[str, str]:
    return dict(aws.client("lambda").get_function(FunctionName=name)["Tags"])


def test_a_protected_adopted_table_outlives_destroy_with_its_items(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    system = legacy.transactions(local_aws, "pt1", protected=True)
    (function,) = system.functions
    # The shipped stack declares `false`: taking the table over would lift its protection,
    # and the plan says so on a line of its own, before anything is written.
    local_aws.control.reset_calls()
    shipped = _reconcile(local_aws, ROOT / "desired_state", "pt1", "plan", "--adopt")
    assert shipped.code == 2, shipped.stdout + shipped.stderr
    assert OFF in shipped.stdout.splitlines()
    assert local_aws.control.writes() == []
    # Undeclared, it is kept: no call ever turns it off.
    folder = _undeclared(tmp_path)
    local_aws.control.reset_calls()
    adopted = _reconcile(local_aws, folder, "pt1", "--adopt")
    assert adopted.code == 0, adopted.stdout + adopted.stderr
    assert "deletion_protection" not in adopted.stdout
    operations = {(c.service, c.operation) for c in local_aws.control.writes()}
    assert ("dynamodb", "UpdateTable") not in operations, operations
    table, tags = _table(local_aws, "transactions-pt1")
    assert table["DeletionProtectionEnabled"] is True
    assert tags["Adopted"] == TODAY and tags["ManagedBy"] == "lambda-reconciler"
    assert _function_tags(local_aws, function)["Adopted"] == TODAY

    gone = _reconcile(local_aws, folder, "pt1", "destroy", "--yes")
    assert gone.code == 0, gone.stdout + gone.stderr
    lines = gone.stdout.splitlines()
    for line in (
        "> dynamodb.table transactions-pt1 (released: kept as it is, our tags removed)",
        "    note: deletion protection is on: released, never deleted (its data and "
        "protection stay)",
        f"> lambda.function {function} (released: kept as it is, our tags removed)",
        f"    note: adopted {TODAY}, it existed before us: released, not deleted "
        "(--include-adopted deletes it)",
    ):
        assert line in lines, line
    assert lines[-2].startswith("Destroyed; ") and "released, kept as they were" in lines[-2]
    table, tags = _table(local_aws, "transactions-pt1")
    assert table["DeletionProtectionEnabled"] is True
    assert _item(local_aws, "transactions-pt1")["cents"] == {"N": "1250"}
    assert not OURS & set(tags) and tags["Released"] == TODAY
    assert not OURS & set(_function_tags(local_aws, function))
    # What the stack created for the suffix is gone; what it handed back is no longer its.
    again = _reconcile(local_aws, folder, "pt1", "destroy", "--yes")
    assert again.code == 0, again.stdout + again.stderr
    assert "Nothing owned by suffix 'pt1' was found: nothing to delete." in again.stdout
    # Handed back, it is its owners' again: they retire it, and its reserved concurrency
    # stops counting against the account the other tests share.
    local_aws.client("lambda").delete_function(FunctionName=function)


def test_include_adopted_deletes_what_was_adopted_but_never_a_protected_table(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    system = legacy.transactions(local_aws, "pt2", protected=True)
    (function,) = system.functions
    folder = _undeclared(tmp_path)
    assert _reconcile(local_aws, folder, "pt2", "--adopt").code == 0
    gone = _reconcile(local_aws, folder, "pt2", "destroy", "--yes", "--include-adopted")
    assert gone.code == 0, gone.stdout + gone.stderr
    lines = gone.stdout.splitlines()
    assert f"- lambda.function {function}" in lines
    assert (
        f"    note: adopted {TODAY}: deleted, with its data, because of --include-adopted"
    ) in lines
    assert "> dynamodb.table transactions-pt2 (released: kept as it is, our tags removed)" in lines
    table, tags = _table(local_aws, "transactions-pt2")
    assert table["DeletionProtectionEnabled"] is True and not OURS & set(tags)
    assert _item(local_aws, "transactions-pt2")["cents"] == {"N": "1250"}
    # Left: the protected table, and what the legacy system had that was never ours.
    assert names_ending(local_aws, "-pt2") == {
        "table:transactions-pt2",
        "role:payments-shared-role-pt2",
        "queue:legacy-orders-pt2",
    }


def test_the_stacks_own_table_still_goes_with_its_suffix(local_aws: LocalAws) -> None:
    """What the stack created is destroyable, as the requirements ask."""
    assert run(local_aws, "--suffix", "pt3").code == 0
    table, tags = _table(local_aws, "transactions-pt3")
    assert table["DeletionProtectionEnabled"] is False and "Adopted" not in tags
    gone = run(local_aws, "destroy", "--suffix", "pt3", "--yes")
    assert gone.code == 0, gone.stdout + gone.stderr
    assert "- dynamodb.table transactions-pt3" in gone.stdout.splitlines()
    assert names_ending(local_aws, "-pt3") == set()
