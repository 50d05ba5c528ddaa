"""Node.js execution environments: one child process runs one version's invocations in turn.

An environment is started (cold start: the handler's module is loaded) on the first invocation
that finds no idle one, kept warm between invocations as Lambda keeps it, and thrown away when
an invocation times out or the process dies, so the next invocation starts a fresh one.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from reconciler.sandbox.lambda_ import node_sdk
from reconciler.sandbox.lambda_.node_sdk import BOOTSTRAP, RuntimeMissing

RUNTIME_DIR = node_sdk.PACKAGED
# Lambda gives a function's initialisation ten seconds, apart from its own timeout.
INIT_TIMEOUT_S = 10.0
EOF = {"k": "eof"}


@dataclass(frozen=True)
class Deployment:
    """Everything one version of a function runs with; equal deployments share environments."""

    function_name: str
    function_arn: str
    version: str
    handler: str
    memory_mb: int
    timeout_s: int
    task_root: str
    opt_root: str
    log_group: str
    log_format: str
    region: str
    environment: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Outcome:
    """What one invocation returned and printed."""

    request_id: str
    ok: bool
    payload: bytes
    error_type: str | None
    duration_ms: float
    memory_mb: int
    init_ms: float | None
    lines: tuple[str, ...]
    timed_out: bool = False


class Sdk:
    """Where this process's local AWS found its Node.js runtime's SDK, or why it has none:
    decided once, when the first local AWS starts (or the first invocation, embedded)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._modules: Path | None = None
        self._problem: str | None = None

    def prepare(self, say: Callable[[str], None] = node_sdk.say) -> None:
        with self._lock:
            if self._modules is not None or self._problem is not None:
                return
            self._problem = node_sdk.node_problem()
            if self._problem is None:
                try:
                    self._modules = node_sdk.ensure(os.environ, say).modules
                except RuntimeMissing as exc:
                    self._problem = str(exc)
            if self._problem is not None:
                say(f"local AWS: {self._problem}")

    def modules(self) -> Path:
        self.prepare()
        if self._problem is not None:
            raise RuntimeMissing(self._problem)
        assert self._modules is not None
        return self._modules


SDK = Sdk()


def check_installed() -> None:
    SDK.modules()


class Environment:
    """One `node` process with one handler loaded."""

    def __init__(self, deployment: Deployment, credentials: Mapping[str, str], endpoint: str):
        check_installed()
        self.deployment = deployment
        self.log_stream = _log_stream_name(deployment.version)
        self._frames: queue.Queue[dict[str, Any]] = queue.Queue()
        self._init_ms: float | None = None
        self._initialized = False
        self._process = subprocess.Popen(
            ["node", f"--max-old-space-size={max(64, deployment.memory_mb * 9 // 10)}", BOOTSTRAP],
            cwd=deployment.task_root,
            env=_variables(deployment, credentials, endpoint, self.log_stream),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._pump(self._process.stdout, framed=True)
        self._pump(self._process.stderr, framed=False)

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        if self.alive:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()

    def invoke(self, request_id: str, event: Any, invoked_arn: str) -> Outcome:
        """Run one invocation; a timeout or a crash closes the environment."""
        lines: list[str] = []
        init_ms = None
        if not self._initialized:
            failure = self._initialize(request_id, lines)
            if failure is not None:
                return failure
            init_ms = self._init_ms
        deadline = time.monotonic() + self.deployment.timeout_s
        request = {
            "requestId": request_id,
            "event": event,
            "invokedFunctionArn": invoked_arn,
            "deadlineMs": int(time.time() * 1000) + self.deployment.timeout_s * 1000,
        }
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request).encode() + b"\n")
        self._process.stdin.flush()
        result = self._until("result", deadline, lines)
        if result is None:
            return self._timed_out(request_id, lines, init_ms)
        if result is EOF:
            return self._crashed(request_id, lines, init_ms)
        return _outcome(request_id, result, lines, init_ms)

    def _initialize(self, request_id: str, lines: list[str]) -> Outcome | None:
        init = self._until("init", time.monotonic() + INIT_TIMEOUT_S, lines)
        if init is None or init is EOF or not init.get("ok"):
            self.close()
            error = (init or {}).get("error") or {
                "errorType": "Runtime.InitError",
                "errorMessage": "the runtime did not finish initialising",
            }
            return _failed(request_id, error, lines, float((init or {}).get("durationMs", 0)))
        self._initialized = True
        self._init_ms = float(init.get("durationMs", 0))
        return None

    def _until(self, kind: str, deadline: float, lines: list[str]) -> dict[str, Any] | None:
        """Collect output until a `kind` frame (returned), EOF (returned), or the deadline."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                frame = self._frames.get(timeout=remaining)
            except queue.Empty:
                return None
            if frame is EOF or frame.get("k") == kind:
                return frame
            lines.extend(_printed(frame))

    def _timed_out(self, request_id: str, lines: list[str], init_ms: float | None) -> Outcome:
        self.close()
        seconds = f"{self.deployment.timeout_s:.2f}"
        message = f"RequestId: {request_id} Error: Task timed out after {seconds} seconds"
        error = {"errorType": "Sandbox.Timedout", "errorMessage": message}
        outcome = _failed(request_id, error, lines, init_ms)
        return _with(outcome, duration_ms=self.deployment.timeout_s * 1000.0, timed_out=True)

    def _crashed(self, request_id: str, lines: list[str], init_ms: float | None) -> Outcome:
        code = self._process.wait()
        self.close()
        error = {
            "errorType": "Runtime.ExitError",
            "errorMessage": (
                f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
            ),
        }
        return _failed(request_id, error, lines, init_ms)

    def _pump(self, stream: IO[bytes] | None, framed: bool) -> None:
        def read() -> None:
            assert stream is not None
            for raw in stream:
                self._frames.put(_frame(raw, framed))
            if framed:
                self._frames.put(EOF)

        threading.Thread(target=read, name="lambda-env-pipe", daemon=True).start()


def _frame(raw: bytes, framed: bool) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace")
    if framed:
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            return decoded
    return {"k": "out", "m": text}


def _printed(frame: dict[str, Any]) -> list[str]:
    """The log lines one output frame stands for (raw output may hold several)."""
    text = str(frame.get("m", ""))
    if frame.get("k") == "log":
        return [text]
    return [line for line in text.splitlines() if line.strip()]


def _outcome(
    request_id: str, result: dict[str, Any], lines: list[str], init_ms: float | None
) -> Outcome:
    if not result.get("ok"):
        outcome = _failed(request_id, result.get("error") or {}, lines, init_ms)
        return _with(outcome, duration_ms=float(result.get("durationMs", 0)))
    return Outcome(
        request_id=request_id,
        ok=True,
        payload=str(result.get("payload", "null")).encode(),
        error_type=None,
        duration_ms=float(result.get("durationMs", 0)),
        memory_mb=int(result.get("memoryMb", 0)),
        init_ms=init_ms,
        lines=tuple(lines),
    )


def _failed(
    request_id: str, error: Mapping[str, Any], lines: list[str], init_ms: float | None
) -> Outcome:
    body = {
        "errorType": str(error.get("errorType") or "Error"),
        "errorMessage": str(error.get("errorMessage") or ""),
    }
    if error.get("trace"):
        body["trace"] = error["trace"]
    return Outcome(
        request_id=request_id,
        ok=False,
        payload=json.dumps(body).encode(),
        error_type=body["errorType"],
        duration_ms=0.0,
        memory_mb=0,
        init_ms=init_ms,
        lines=tuple(lines),
    )


def _with(outcome: Outcome, **changes: Any) -> Outcome:
    return replace(outcome, **changes)


def _variables(
    deployment: Deployment, credentials: Mapping[str, str], endpoint: str, log_stream: str
) -> dict[str, str]:
    """The environment Lambda gives a Node.js function, pointed at the local AWS."""
    opt = Path(deployment.opt_root)
    node_path = [opt / "nodejs" / "node24" / "node_modules", opt / "nodejs" / "node_modules"]
    node_path += [SDK.modules(), Path(deployment.task_root)]
    reserved = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "NODE_PATH": os.pathsep.join(str(p) for p in node_path),
        "LAMBDA_TASK_ROOT": deployment.task_root,
        "LAMBDA_RUNTIME_DIR": str(RUNTIME_DIR),
        "_HANDLER": deployment.handler,
        "AWS_REGION": deployment.region,
        "AWS_DEFAULT_REGION": deployment.region,
        "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs",
        "AWS_LAMBDA_FUNCTION_NAME": deployment.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": deployment.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(deployment.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": deployment.log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_LOG_FORMAT": deployment.log_format,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        # The managed runtime's Node.js is newer than this machine's may be; the SDK's notice
        # about the machine's version is not the function's output.
        "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **credentials,
    }
    # The function's own variables come first; Lambda refuses to let them set reserved keys.
    return {**dict(deployment.environment), **reserved}


def _log_stream_name(version: str) -> str:
    return f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{version}]{os.urandom(16).hex()}"
