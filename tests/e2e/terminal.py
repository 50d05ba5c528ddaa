"""The command run on a pseudo-terminal, as a person runs it: stdin, stdout and stderr are
one terminal; each answer is typed only once its question has appeared."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.helpers import ROOT, SECRET_DB, SECRET_KEY, Aws

ANSI = "\033["


@dataclass(frozen=True)
class Session:
    code: int
    # Everything the terminal showed: output, logs, questions, the echo of what was typed.
    screen: str

    @property
    def coloured(self) -> bool:
        return ANSI in self.screen


def on_terminal(
    aws: Aws,
    *args: str,
    answers: tuple[tuple[str, str], ...] = (),
    cwd: Path | str = ROOT,
    timeout_s: float = 300.0,
    **env: str,
) -> Session:
    """`reconcile ARGS` on a pty; `answers` are (question text, line typed) in order."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={"TERM": "xterm", **aws.env(**env)},
        cwd=cwd,
        close_fds=True,
    )
    os.close(follower)
    screen, pending, since = "", list(answers), 0
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                chunk = _read(leader)
                if chunk is None:
                    break
                screen += chunk
            # Each question is looked for only after the answer to the one before.
            if pending and pending[0][0] in screen[since:]:
                os.write(leader, f"{pending.pop(0)[1]}\n".encode())
                since = len(screen)
        else:
            raise AssertionError(f"no end within {timeout_s} s; the terminal showed:\n{screen}")
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    screen = screen.replace("\r\n", "\n")
    assert SECRET_DB not in screen and SECRET_KEY not in screen and "Traceback" not in screen
    return Session(code, screen)


def plain(screen: str) -> str:
    """The screen without its colour."""
    return re.sub(r"\033\[[0-9;]*m", "", screen)


def _read(leader: int) -> str | None:
    try:
        data = os.read(leader, 65536)
    except OSError:
        # The process ended and closed its side of the terminal.
        return None
    return data.decode(errors="replace") if data else None
