"""Reviewed plans: `plan --out` then `apply --plan` does exactly the plan, or refuses before
any write, naming what changed since. The file holds no secret value, nor a hash of one."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.output.plan_file import fingerprint
from reconciler.sandbox import legacy
from tests.e2e.helpers import ROOT, SECRET_DB, SECRET_KEY, LocalAws, names_ending, reconcile, run

SCHEMA = json.loads((ROOT / "docs" / "plan-file.schema.json").read_text())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A desired-state folder of our own, with its code beside it, to change on purpose."""
    for part in ("desired_state", "handlers", "layers"):
        shutil.copytree(ROOT / part, tmp_path / part)
    return tmp_path / "desired_state"


@pytest.fixture
def suffix(local_aws: LocalAws, folder: Path) -> Iterator[str]:
    yield "svp"
    gone = run(local_aws, "destroy", "--suffix", "svp", "--yes", "--desired-dir", str(folder))
    assert gone.code == 0, gone.stderr


def _plan(aws: LocalAws, folder: Path, path: Path, *args: str) -> Any:
    result = run(aws, "plan", *args, "--desired-dir", str(folder), "--out", str(path))
    assert result.code in (0, 2), result.stderr
    saved = json.loads(path.read_text())
    jsonschema.validate(saved, SCHEMA)
    return saved


def _refused(aws: LocalAws, path: Path, folder: Path, says: str, *args: str) -> None:
    aws.control.reset_calls()
    result = run(aws, "apply", "--plan", str(path), "--desired-dir", str(folder), *args)
    assert result.code == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and says in errors[0], result.stderr
    assert aws.control.writes() == []


def _apply(aws: LocalAws, path: Path, folder: Path) -> Any:
    result = run(
        aws, "apply", "--plan", str(path), "--desired-dir", str(folder), "--output", "json"
    )
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_saved_plan_is_applied_exactly_and_the_next_plan_is_empty(
    local_aws: LocalAws, folder: Path, suffix: str, tmp_path: Path
) -> None:
    path = tmp_path / "first.json"
    saved = _plan(local_aws, folder, path, "--suffix", suffix)
    assert saved["command"] == "apply" and saved["suffix"] == suffix
    assert {a["action"] for a in saved["actions"]} == {"create"}
    report = _apply(local_aws, path, folder)
    assert report["applied"] == len(saved["actions"])
    applied = {(r["kind"], r["name"]) for r in report["plan"]["resources"]}
    assert applied == {(a["kind"], a["name"]) for a in saved["actions"]}
    after = run(local_aws, "plan", "--suffix", suffix, "--desired-dir", str(folder))
    assert after.code == 0, after.stdout
    # The same plan again: nothing it lists is left to do, and the refusal says what to do.
    _refused(
        local_aws,
        path,
        folder,
        "plan file first.json: already applied (nothing it lists differs now); make a new one "
        "with `reconcile plan --out FILE` to see what differs",
    )


def test_a_saved_plan_holds_no_secret_nor_a_hash_of_one(
    local_aws: LocalAws, folder: Path, tmp_path: Path
) -> None:
    path = tmp_path / "plan.json"
    _plan(local_aws, folder, path, "--suffix", "svq")
    text = path.read_text()
    for secret in (SECRET_DB, SECRET_KEY, "Sup3r-Secret-pw"):
        raw = secret.encode()
        digests = [h(raw).hexdigest() for h in (hashlib.sha256, hashlib.sha1, hashlib.md5)]
        digests += [base64.b64encode(hashlib.sha256(raw).digest()).decode()]
        assert secret not in text and not any(d in text for d in digests)
    saved = json.loads(text)
    assert "(sensitive)" in text
    assert any("environment.API_KEY" in u for u in saved["unverifiable"])


def _lambda(aws: LocalAws) -> Any:
    return aws.client("lambda")


def test_what_changed_between_plan_and_apply_is_named_and_nothing_is_written(
    local_aws: LocalAws, folder: Path, suffix: str, tmp_path: Path
) -> None:
    assert run(local_aws, "apply", "--suffix", suffix, "--desired-dir", str(folder)).code == 0
    function, role = f"lambda-function-{suffix}", f"lambda-function-role-{suffix}"
    lam, iam = _lambda(local_aws), local_aws.client("iam")
    # Drift the plan will correct: the function's memory, an inline policy on its role.
    lam.update_function_configuration(FunctionName=function, MemorySize=256)
    wide = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    iam.put_role_policy(RoleName=role, PolicyName="by-hand", PolicyDocument=wide)
    path = tmp_path / "fix.json"
    saved = _plan(local_aws, folder, path, "--suffix", suffix)
    assert {(a["kind"], a["action"]) for a in saved["actions"]} == {
        ("lambda.function", "update"),
        ("iam.role", "update"),
    }
    arn = lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    # Then, one at a time, something changes before the apply: each is refused, named.
    lam.update_function_configuration(FunctionName=function, Timeout=5)
    _refused(local_aws, path, folder, f"lambda.function {function} changed in AWS")
    lam.update_function_configuration(FunctionName=function, Timeout=30)
    iam.put_role_policy(RoleName=role, PolicyName="another", PolicyDocument=wide)
    _refused(local_aws, path, folder, f"iam.role {role} changed in AWS")
    iam.delete_role_policy(RoleName=role, PolicyName="another")
    lam.tag_resource(Resource=arn, Tags={"Owner": "someone"})
    _refused(local_aws, path, folder, f"lambda.function {function} changed in AWS")
    lam.untag_resource(Resource=arn, TagKeys=["Owner"])
    handler = folder.parent / "handlers" / "transactions" / "index.mjs"
    original = handler.read_text()
    handler.write_text(original + "\n// changed after review\n")
    _refused(local_aws, path, folder, "desired state changed since the plan: code of transactions")
    handler.write_text(original)
    # Everything back as reviewed: the plan applies, and only its two actions.
    report = _apply(local_aws, path, folder)
    assert report["applied"] == 2
    config = lam.get_function_configuration(FunctionName=function)
    assert config["MemorySize"] == 1024
    assert "by-hand" not in iam.list_role_policies(RoleName=role)["PolicyNames"]


def _rewritten(path: Path, target: Path, **changes: Any) -> Path:
    """The plan as if made elsewhere or earlier: changed, with a digest made again (a file
    whose digest was not made again is refused as edited, before these checks)."""
    data = json.loads(path.read_text())
    data.update(changes)
    body = {k: v for k, v in data.items() if k != "digest"}
    target.write_text(json.dumps({**body, "digest": fingerprint(body)}))
    return target


def test_bad_plan_files_are_one_line_exit_1_and_no_write(
    local_aws: LocalAws, folder: Path, tmp_path: Path
) -> None:
    path = tmp_path / "plan.json"
    _plan(local_aws, folder, path, "--suffix", "svr")
    text = path.read_text()
    (tmp_path / "truncated.json").write_text(text[: len(text) // 2])
    (tmp_path / "edited.json").write_text(text.replace('"svr"', '"svs"'))
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)).isoformat(timespec="seconds")
    cases = [
        (tmp_path / "absent.json", "No such file"),
        (tmp_path / "truncated.json", "not a whole plan"),
        (tmp_path / "edited.json", "changed after it was written"),
        (_rewritten(path, tmp_path / "v2.json", plan_version=2), "plan version 2"),
        (_rewritten(path, tmp_path / "old.json", created_at=old), "older than --max-age 24 h"),
        (
            _rewritten(path, tmp_path / "foreign.json", account="222222222222"),
            "account 222222222222",
        ),
    ]
    for bad, says in cases:
        _refused(local_aws, bad, folder, says)
    _refused(local_aws, path, folder, "--suffix svx disagrees", "--suffix", "svx")
    _refused(local_aws, path, folder, "--region us-west-2 disagrees", "--region", "us-west-2")
    _refused(local_aws, path, folder, "older than --max-age", "--max-age", "0.00001")
    # A file refused before any AWS call makes none at all.
    local_aws.control.reset_calls()
    assert run(local_aws, "apply", "--plan", str(tmp_path / "edited.json")).code == 1
    assert local_aws.control.calls() == []


def test_a_saved_destroy_removes_what_it_listed(
    local_aws: LocalAws, folder: Path, tmp_path: Path
) -> None:
    assert run(local_aws, "apply", "--suffix", "svd", "--desired-dir", str(folder)).code == 0
    path = tmp_path / "destroy.json"
    listed = run(
        local_aws, "destroy", "--suffix", "svd", "--desired-dir", str(folder), "--out", str(path)
    )
    assert listed.code == 0, listed.stderr
    saved = json.loads(path.read_text())
    jsonschema.validate(saved, SCHEMA)
    assert saved["command"] == "destroy" and {a["action"] for a in saved["actions"]} == {"delete"}
    assert names_ending(local_aws, "-svd")  # --out only lists
    result = run(local_aws, "destroy", "--plan", str(path), "--desired-dir", str(folder))
    assert result.code == 0, result.stderr
    assert names_ending(local_aws, "-svd") == set()
    # A destroy plan is not an apply plan.
    _refused(local_aws, path, folder, "made for command destroy, not apply")


def test_a_markdown_plan_reads_as_a_review_comment(local_aws: LocalAws, folder: Path) -> None:
    result = run(
        local_aws, "plan", "--suffix", "svm", "--desired-dir", str(folder), "--output", "markdown"
    )
    assert result.code == 2, result.stderr
    text = result.stdout
    lines = text.splitlines()
    assert lines[0] == "### `reconcile plan`: suffix `svm`, account `123456789012`, `us-east-1`"
    assert lines[2] == (
        "**Plan: 8 to create, 0 to update, 0 to replace, 0 to delete.** "
        "Fixed cost per month: $0.00 → $46.80 (+$46.80)."
    )
    assert text.count("<details>") == text.count("</details>") == 8
    assert "<summary><code>+ lambda.function lambda-function-svm</code> (create)</summary>" in text
    assert "| `environment.API_KEY` |  | `(sensitive)` |" in lines
    for secret in (SECRET_DB, SECRET_KEY, "Sup3r-Secret-pw"):
        assert secret not in text
    assert (
        "| provisioned concurrency | `lambda-function-svm:live` | fintech | none | "
        "5 x 1 GB x 730 h, arm64: $43.80 | +$43.80 |"
    ) in lines
    assert "| **fintech** | | | $0.00 | $46.80 | +$46.80 |" in lines
    fleet = reconcile(local_aws, "plan", "--fleet", str(folder / "x.toml"), "--output", "markdown")
    assert fleet.code == 1 and "--output markdown is one suffix's plan" in fleet.stderr


def test_a_reviewed_takeover_is_applied_as_a_takeover(local_aws: LocalAws, tmp_path: Path) -> None:
    legacy.transactions(local_aws, "sva")
    path = tmp_path / "adopt.json"
    made = run(local_aws, "plan", "--suffix", "sva", "--adopt", "--out", str(path))
    assert made.code == 2, made.stderr
    saved = json.loads(path.read_text())
    jsonschema.validate(saved, SCHEMA)
    assert saved["adopt"] is True and "adopt" in {a["action"] for a in saved["actions"]}
    applied = run(local_aws, "apply", "--plan", str(path))
    assert applied.code == 0, applied.stdout + applied.stderr
    assert run(local_aws, "plan", "--suffix", "sva").code == 0
    # What it took over goes only because the command says so.
    gone = run(local_aws, "destroy", "--suffix", "sva", "--yes", "--include-adopted")
    assert gone.code == 0, gone.stdout + gone.stderr
