"""The local AWS's Node.js runtime outside a checkout: its SDK installed once per machine from
the package's lock file into the user's cache, checked on every start, rebuilt when it does
not match; and, without Node.js, one line at start and a clear Invoke error, nothing else lost.

npm runs for real (its own cache makes a reinstall quick); a shim on PATH in front of it only
counts how often it is called.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import reconciler
from reconciler.sandbox.control.client import SandboxControl
from reconciler.sandbox.lambda_ import node_sdk
from tests.sandbox.helpers import client_kwargs, create_role
from tests.sandbox.test_invoke import zipped

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

PROJECT_ROOT = Path(reconciler.__file__).resolve().parent.parent
READY_PREFIX = "sandbox listening on "
FAST = ("--pending-seconds", "0", "--iam-propagation-seconds", "0")


@pytest.fixture
def counted_npm(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose npm is the real one behind a shim that logs each call."""
    real = shutil.which("npm")
    assert real is not None
    shims, log = tmp_path / "bin", tmp_path / "npm-calls"
    shims.mkdir()
    (shims / "npm").write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real} "$@"\n')
    (shims / "npm").chmod(0o755)
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    env[node_sdk.VARIABLE] = str(tmp_path / "cache")
    return env, log


def _calls(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def _ensure(env: dict[str, str], lock: Path = node_sdk.LOCK_FILE) -> list[str]:
    said: list[str] = []
    old_path = os.environ["PATH"]
    os.environ["PATH"] = env["PATH"]
    try:
        node_sdk.ensure(env, said.append, lock)
    finally:
        os.environ["PATH"] = old_path
    return said


def test_the_first_start_installs_and_later_ones_reuse(
    counted_npm: tuple[dict[str, str], Path],
) -> None:
    env, log = counted_npm
    said = _ensure(env)
    assert _calls(log) == 1
    assert said[0].startswith("local AWS: installing the Node.js runtime's AWS SDK into ")
    assert said[1].startswith("local AWS: Node.js runtime's AWS SDK installed in ")
    folder = node_sdk.folder_for(env)
    assert (folder / "node_modules" / "@aws-sdk" / "client-s3").is_dir()
    assert _ensure(env) == [] and _calls(log) == 1


def test_a_changed_lock_file_installs_again_beside_the_old(
    counted_npm: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, log = counted_npm
    _ensure(env)
    changed = tmp_path / "node"
    shutil.copytree(node_sdk.PACKAGED, changed)
    for name in ("package.json", "package-lock.json"):
        data = json.loads((changed / name).read_text())
        data["name"] = "lambda-reconciler-node-runtime-next"
        (changed / name).write_text(json.dumps(data, indent=2))
    lock = changed / "package-lock.json"
    assert _ensure(env, lock) and _calls(log) == 2
    assert node_sdk.folder_for(env, lock) != node_sdk.folder_for(env)
    assert node_sdk.sound(node_sdk.folder_for(env, lock), lock)


def test_a_corrupt_cache_is_found_and_rebuilt(counted_npm: tuple[dict[str, str], Path]) -> None:
    env, log = counted_npm
    _ensure(env)
    folder = node_sdk.folder_for(env)
    manifest = folder / "node_modules" / "@aws-sdk" / "client-sqs" / "package.json"
    manifest.unlink()
    assert not node_sdk.sound(folder)
    assert _ensure(env) and _calls(log) == 2
    assert manifest.is_file() and node_sdk.sound(folder)


def _without_node(tmp_path: Path) -> dict[str, str]:
    """PATH with nothing on it but an empty folder: no node, no npm."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return {
        **os.environ,
        "PATH": str(empty),
        "PYTHONPATH": str(PROJECT_ROOT),
        node_sdk.VARIABLE: str(tmp_path / "cache"),
    }


def test_without_node_the_local_aws_says_so_and_serves_all_but_invoke(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0", *FAST],
        cwd=PROJECT_ROOT,
        env=_without_node(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        said = process.stderr.readline().strip()
        assert said.startswith("local AWS: Node.js is not on PATH: the local AWS runs Lambda ")
        assert "everything but Invoke is served" in said
        url = process.stdout.readline().strip().removeprefix(READY_PREFIX)
        # An SDK as a user has it: its default retries.
        kwargs = {**client_kwargs(url), "config": Config(retries={"mode": "standard"})}
        lam: LambdaClient = boto3.client("lambda", **kwargs)
        iam = boto3.client("iam", **kwargs)
        lam.create_function(
            FunctionName="app",
            Runtime="nodejs24.x",
            Role=create_role(iam),
            Handler="index.handler",
            Code={"ZipFile": zipped("export const handler = async () => 1;\n", "index.mjs")},
        )
        assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["app"]
        control = SandboxControl(url)
        control.reset_calls()
        with pytest.raises(ClientError) as refused:
            lam.invoke(FunctionName="app")
        error = refused.value.response["Error"]
        assert error["Code"] == "InvalidRuntimeException"
        assert "Node.js is not on PATH" in error["Message"]
        invokes = [c for c in control.calls() if c.operation == "Invoke"]
        assert len(invokes) == 1, invokes
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
