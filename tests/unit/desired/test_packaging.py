"""Deterministic zips: the same sources always give the same CodeSha256."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from reconciler.desired.packaging import package


def test_the_same_sources_always_give_the_same_code_sha256(tmp_path: Path) -> None:
    (tmp_path / "index.mjs").write_text("export const handler = async () => 1;\n")
    first = package(tmp_path)
    os.utime(tmp_path / "index.mjs", (0, 0))  # a new mtime must not change the zip
    (tmp_path / "index.mjs").chmod(0o600)
    assert package(tmp_path).sha256 == first.sha256


def test_the_zip_leaves_out_tests_and_docs_and_has_fixed_entries(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "index.test.mjs").write_text("test")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "util.mjs").write_text("export const x = 1;")
    (tmp_path / "index.mjs").write_text("export const handler = 1;")
    (tmp_path / "README.md").write_text("docs")
    (tmp_path / "index.test.mjs").write_text("test")
    archive = zipfile.ZipFile(io.BytesIO(package(tmp_path).zip_bytes))
    assert archive.namelist() == ["index.mjs", "lib/util.mjs"]
    assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_layer_keeps_its_node_modules_and_only_what_lambda_mounts(tmp_path: Path) -> None:
    modules = tmp_path / "nodejs" / "node_modules" / "shared"
    modules.mkdir(parents=True)
    (modules / "index.mjs").write_text("export const s = 1;")
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "shared.test.mjs").write_text("test")
    archive = zipfile.ZipFile(io.BytesIO(package(tmp_path, layer=True).zip_bytes))
    assert archive.namelist() == ["nodejs/node_modules/shared/index.mjs"]


def test_changing_one_byte_changes_the_hash(tmp_path: Path) -> None:
    (tmp_path / "index.mjs").write_text("a")
    before = package(tmp_path).sha256
    (tmp_path / "index.mjs").write_text("b")
    assert package(tmp_path).sha256 != before
