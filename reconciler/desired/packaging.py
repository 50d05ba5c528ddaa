"""Load stage: deterministic code zips, so the same sources give the same CodeSha256."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import InputError

# A fixed timestamp and mode for every entry: the zip depends on content and paths only.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16
SKIP_DIRS = {"test", "tests", "node_modules", "__pycache__", ".git"}
# A smoke test's event is the reconciler's, not the function's: it stays out of the zip.
SMOKE_SUFFIX = ".smoke.json"
SKIP_SUFFIXES = (".test.mjs", ".test.js", ".md", SMOKE_SUFFIX)


@dataclass(frozen=True)
class CodePackage:
    """A zip built from a source folder, with the hash Lambda will report for it."""

    source: Path
    files: tuple[str, ...]
    zip_bytes: bytes = field(repr=False)

    @property
    def hex_digest(self) -> str:
        """Hex SHA-256 of the zip: what a layer version's description records."""
        return hashlib.sha256(self.zip_bytes).hexdigest()

    @property
    def sha256(self) -> str:
        """Base64 SHA-256 of the zip, exactly as Lambda's CodeSha256."""
        return base64.b64encode(hashlib.sha256(self.zip_bytes).digest()).decode()


def is_zip(source: Path) -> bool:
    return source.is_file() and source.suffix == ".zip"


def package(source: Path, layer: bool = False) -> CodePackage:
    """Zip the deployable files of a folder deterministically (tests and docs left out), or
    take a `.zip` as it is: the code exactly as it runs (what `reconcile import` downloads).

    A layer keeps its `nodejs/node_modules` tree: that is what Lambda mounts under /opt.
    """
    if is_zip(source):
        data = source.read_bytes()
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            raise InputError(f"{source}: not a zip file") from None
        return CodePackage(source, tuple(sorted(names)), data)
    files = sorted(_deployable(source, layer))
    if not files:
        raise InputError(f"{source}: no deployable files")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel in files:
            info = zipfile.ZipInfo(rel, date_time=FIXED_TIME)
            info.external_attr = FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (source / rel).read_bytes())
    return CodePackage(source, tuple(files), buffer.getvalue())


def _deployable(source: Path, layer: bool) -> list[str]:
    skip = SKIP_DIRS - {"node_modules"} if layer else SKIP_DIRS
    found = []
    for path in source.rglob("*"):
        rel = path.relative_to(source)
        if layer and rel.parts[0] != "nodejs":
            continue  # only nodejs/ is mounted; the layer's own tests and docs stay out
        if any(part in skip or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and not path.name.endswith(SKIP_SUFFIXES):
            found.append(rel.as_posix())
    return found
