"""What an invocation runs: a version's configuration as the API reports it, its code unpacked.

The configuration is read through the fidelity layer itself (a GetFunctionConfiguration that
is never recorded), so an invocation sees exactly what a client reading the function sees:
log format, log group, layers and environment of the version or alias invoked.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reconciler.sandbox.lambda_.names import LATEST, FunctionKey
from reconciler.sandbox.lambda_.runtime import SDK, Deployment
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call
from reconciler.sandbox.wire.wsgi import Response

LAYER_ARN_PARTS = 8


@dataclass(frozen=True)
class Target:
    """The function version an invocation resolved to."""

    key: FunctionKey
    qualifier: str
    config: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.config.get("Version", LATEST))

    @property
    def resource(self) -> str:
        """The `Resource` metric dimension: the name, with the alias or version invoked."""
        return self.key.name if self.qualifier == LATEST else f"{self.key.name}:{self.qualifier}"


# The reads an invocation makes of its function, as (operation, path under the API's root).
READS = {
    "GetFunctionConfiguration": "/2015-03-31/functions/{name}/configuration",
    "GetFunctionEventInvokeConfig": "/2019-09-25/functions/{name}/event-invoke-config",
    "GetProvisionedConcurrencyConfig": "/2019-09-30/functions/{name}/provisioned-concurrency",
}


def read_call(call: Call, operation: str, key: FunctionKey, qualifier: str) -> Call:
    """A GET of `operation` for the version or alias an Invoke names, in the Invoke's account."""
    environ = {
        **call.environ,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": READS[operation].format(name=quote(key.name)),
        "QUERY_STRING": f"Qualifier={quote(qualifier)}",
        "CONTENT_LENGTH": "0",
    }
    for stale in ("RAW_URI", "REQUEST_URI"):
        environ.pop(stale, None)
    route = replace(call.route, operation=operation, path_params={"FunctionName": key.name})
    return replace(call, route=route, environ=environ, body=b"")


def target_from(key: FunctionKey, qualifier: str, response: Response) -> Target:
    return Target(key, qualifier, json.loads(response.body or b"{}"))


class CodeCache:
    """Unpacked function and layer archives, by content, in one private directory."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._lock = threading.Lock()

    def deployment(self, target: Target) -> Deployment:
        config = target.config
        logging = config.get("LoggingConfig") or {}
        variables = (config.get("Environment") or {}).get("Variables") or {}
        return Deployment(
            function_name=target.key.name,
            function_arn=f"{target.key.arn}:{target.version}",
            version=target.version,
            handler=str(config.get("Handler") or "index.handler"),
            memory_mb=int(config.get("MemorySize") or 128),
            timeout_s=int(config.get("Timeout") or 3),
            task_root=str(self._task_root(target)),
            opt_root=str(self._opt_root(target)),
            log_group=str(logging.get("LogGroup") or f"/aws/lambda/{target.key.name}"),
            log_format=str(logging.get("LogFormat") or "Text"),
            region=target.key.region,
            environment=tuple(sorted((str(k), str(v)) for k, v in variables.items())),
        )

    def close(self) -> None:
        with self._lock:
            root, self._root = self._root, None
        if root is not None:
            _remove_tree(root)

    def _base(self) -> Path:
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="local-aws-lambda-"))
            return self._root

    def _task_root(self, target: Target) -> Path:
        key = target.key
        code = moto_backends.function_code(key.account, key.region, key.name, target.version)
        digest = hashlib.sha256(code or b"").hexdigest()
        home = self._base() / "code" / digest
        task = home / "task"
        self._unpack_once(task, [code or b""])
        self._link_sdk(home / "node_modules")
        return task

    def _link_sdk(self, link: Path) -> None:
        # ES modules ignore NODE_PATH: the runtime's SDK is found the way Lambda's is, from a
        # node_modules above the task root (a package bundled in the zip still wins). Under the
        # lock, since two first invocations of the same code (a smoke test and a queued event)
        # may race here.
        with self._lock:
            if not link.is_symlink():
                link.symlink_to(SDK.modules(), target_is_directory=True)

    def _opt_root(self, target: Target) -> Path:
        arns = [str(layer.get("Arn", "")) for layer in target.config.get("Layers") or []]
        digest = hashlib.sha256("\n".join(arns).encode()).hexdigest()
        opt = self._base() / "opt" / digest
        # Layers are extracted in order into one /opt; a later layer's file wins.
        self._unpack_once(opt, [_layer_code(arn) for arn in arns])
        return opt

    def _unpack_once(self, into: Path, archives: list[bytes]) -> None:
        with self._lock:
            if into.exists():
                return
            staging = Path(tempfile.mkdtemp(dir=self._root))
            for archive in archives:
                if archive:
                    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
                        bundle.extractall(staging)
            into.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, into)


def _layer_code(arn: str) -> bytes:
    parts = arn.split(":")
    if len(parts) != LAYER_ARN_PARTS or not parts[7].isdigit():
        return b""
    code = moto_backends.layer_code(parts[4], parts[3], parts[6], int(parts[7]))
    return code or b""


def _remove_tree(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
