"""The local AWS in a child process, `python -m reconciler.sandbox` on a free port: what the
benchmark and the end-to-end tests run the real `reconcile` command against."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
from types import TracebackType
from typing import IO

from reconciler.sandbox.control.client import SandboxControl


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SandboxProcess:
    """`python -m reconciler.sandbox` on a free port, stopped on exit."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.control = SandboxControl(self.url)
        self._proc: subprocess.Popen[str] | None = None
        self._errors: IO[str] | None = None

    @property
    def pid(self) -> int | None:
        """The local AWS's process (for measuring what it costs), None before start."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> SandboxProcess:
        # Its stderr goes to a file (read when it fails to start, never able to fill a pipe)
        # that lives as long as the process: stop() closes it.
        self._errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler.sandbox", "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if "listening" not in line:
            self._proc.wait(timeout=10)
            self._errors.seek(0)
            detail = self._errors.read()[-3000:]
            self.stop()
            raise RuntimeError(f"the local AWS did not start:\n{detail}")
        return self

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
        if self._errors is not None:
            self._errors.close()
            self._errors = None

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
