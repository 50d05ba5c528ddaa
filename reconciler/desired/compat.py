"""Load stage: refuse code a runtime cannot run, before anything is written (pure)."""

from __future__ import annotations

import io
import re
import zipfile

from reconciler.desired import runtimes
from reconciler.desired.model import StackSpec
from reconciler.desired.packaging import CodePackage, package
from reconciler.errors import InputError

# `require("aws-sdk")`, `import ... from 'aws-sdk/clients/s3'`, `import("aws-sdk")`:
# the v2 SDK, which Node.js 18+ runtimes no longer include.
SDK_V2 = re.compile(
    r"""(?:require\s*\(|import\s*\(|from\s+|import\s+)\s*["']aws-sdk(?:/[^"']*)?["']"""
)
SOURCE_SUFFIXES = (".js", ".mjs", ".cjs", ".ts")


def check_sdk_v2(package: CodePackage, runtime_ids: tuple[str, ...], what: str) -> None:
    """Refuse code importing the v2 `aws-sdk` for any Node.js 18+ runtime it targets."""
    modern = [r for r in map(runtimes.known_runtime, runtime_ids) if _node18_plus(r)]
    if not modern:
        return
    found = first_sdk_v2_import(package)
    if found:
        path, line = found
        raise InputError(
            f"{what}: {path}:{line} imports the v2 'aws-sdk', which {modern[0].identifier} "
            "does not provide; use the AWS SDK for JavaScript v3 (@aws-sdk/client-*)"
        )


def first_sdk_v2_import(package: CodePackage) -> tuple[str, int] | None:
    with zipfile.ZipFile(io.BytesIO(package.zip_bytes)) as archive:
        for name in archive.namelist():
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            text = archive.read(name).decode("utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), start=1):
                if SDK_V2.search(line):
                    return name, number
    return None


def _node18_plus(runtime: runtimes.Runtime) -> bool:
    return runtime.family == "nodejs" and runtime.major >= 18


def checked_packages(spec: StackSpec) -> dict[str, CodePackage]:
    """Every zip of the stack (functions by key, layers as `layer:<key>`), each checked for
    code its runtime cannot run."""
    code = {}
    for fn in spec.functions:
        code[fn.key] = package(fn.source)
        check_sdk_v2(code[fn.key], (fn.runtime,), f"functions.{fn.key}")
    for layer in spec.layers:
        key = f"layer:{layer.key}"
        code[key] = package(layer.source, layer=True)
        check_sdk_v2(code[key], layer.compatible_runtimes, f"layers.{layer.key}")
    return code
