"""Deterministic zips, runtime dates, and secret-free reports."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import pytest

from reconciler.desired import runtimes
from reconciler.desired.packaging import package
from reconciler.output.document import document, plan_json
from reconciler.output.text import plan_text
from reconciler.planning.plan import Op, plan_apply
from reconciler.planning.preflight import runtime_problems
from tests.unit.helpers import ROOT, SECRETS, by_kind, live_of, rendered


def test_the_same_sources_always_give_the_same_code_sha256(tmp_path: Path) -> None:
    (tmp_path / "index.mjs").write_text("export const handler = async () => 1;\n")
    first = package(tmp_path)
    os.utime(tmp_path / "index.mjs", (0, 0))  # a new mtime must not change the zip
    (tmp_path / "index.mjs").chmod(0o600)
    assert package(tmp_path).sha256 == first.sha256


def test_the_zip_leaves_out_tests_and_docs_and_has_fixed_entries() -> None:
    pkg = package(ROOT / "handlers" / "transactions")
    names = zipfile.ZipFile(io.BytesIO(pkg.zip_bytes)).namelist()
    assert "index.mjs" in names
    assert not any(n.startswith("test/") or n.endswith(".md") for n in names)
    infos = zipfile.ZipFile(io.BytesIO(pkg.zip_bytes)).infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert names == sorted(names)


def test_changing_one_byte_changes_the_hash(tmp_path: Path) -> None:
    (tmp_path / "index.mjs").write_text("a")
    before = package(tmp_path).sha256
    (tmp_path / "index.mjs").write_text("b")
    assert package(tmp_path).sha256 != before


@pytest.mark.parametrize(
    ("runtime", "today", "creating", "blocked"),
    [
        ("nodejs24.x", dt.date(2026, 11, 23), True, False),
        ("nodejs18.x", dt.date(2026, 11, 23), True, False),
        ("nodejs18.x", dt.date(2027, 2, 1), True, True),
        ("nodejs18.x", dt.date(2027, 2, 1), False, False),
        ("nodejs18.x", dt.date(2027, 3, 3), False, True),
        ("nodejs20.x", dt.date(2026, 11, 23), False, True),
    ],
)
def test_runtime_block_dates_decide_create_and_update(
    runtime: str, today: dt.date, creating: bool, blocked: bool
) -> None:
    record = runtimes.known_runtime(runtime)
    assert (runtimes.blocked_reason(record, today, creating) is not None) is blocked


def test_a_deprecated_runtime_warns_and_a_blocked_one_is_refused_before_any_write() -> None:
    function = by_kind(rendered(), "lambda.function")
    old = live_of(function, runtime="nodejs18.x", memory_mb=512)
    stale = type(function)(function.id, {**function.fields, "runtime": "nodejs18.x"},
                           function.depends_on, function.sensitive, function.payload)  # fmt: skip
    plan = plan_apply([stale], {stale.id: old}, "pr42")
    assert plan.actions[0].op is Op.UPDATE
    refusals, warnings = runtime_problems(plan, dt.date(2026, 11, 23))
    assert refusals == [] and "deprecated since 2025-09-01" in warnings[0]
    refusals, _ = runtime_problems(plan, dt.date(2027, 3, 3))
    assert "AWS blocks updating nodejs18.x functions since 2027-03-03" in refusals[0]


def test_plan_text_and_json_never_carry_secret_values() -> None:
    resources = rendered()
    function = by_kind(resources, "lambda.function")
    env = {**function.fields["environment"], "API_KEY": "previous-key-999"}
    plans = [
        plan_apply(resources, {}, "pr42"),
        plan_apply([function], {function.id: live_of(function, environment=env)}, "pr42"),
    ]
    for plan in plans:
        text = plan_text(plan, "header") + document(plan=plan_json(plan))
        for secret in [*SECRETS.values(), "previous-key-999"]:
            assert secret not in text
        assert "(sensitive)" in text
