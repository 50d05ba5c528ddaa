"""Apply stage: who holds a lease, and whether that process still lives.

A lease names its holder by host, process id and the process's start time. A pid alone is not
enough: after a crash the kernel may give the same pid to another process, which must not keep
the lease alive. Whether a holder lives can be told only where its pids can be seen: the same
boot of the same machine and the same pid namespace (two containers on one node share the
boot but not the pids). Anywhere else the answer is "cannot tell", and the lease's expiry
decides.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROC = Path("/proc")
# /proc/<pid>/stat states of a process that has ended (zombie, dead) but is not yet reaped.
ENDED_STATES = {"Z", "X", "x"}


@dataclass(frozen=True)
class Process:
    host: str  # for people: the hostname
    machine: str  # equal only where pids mean the same process; "" where unknown
    pid: int
    started: str  # the process's start, in clock ticks since boot; "" where unknown

    def describe(self) -> str:
        return f"{self.host}:{self.pid}"


@cache
def current() -> Process:
    pid = os.getpid()
    return Process(socket.gethostname(), machine(), pid, stat(pid)[1])


def machine() -> str:
    """This boot of this machine and this pid namespace, or the hostname where /proc is not
    there (then pids are checked only for existence, never for reuse)."""
    try:
        boot = (PROC / "sys/kernel/random/boot_id").read_text().strip()
        return f"{boot}/{os.readlink(PROC / 'self/ns/pid')}"
    except OSError:
        return f"host:{socket.gethostname()}"


def alive(holder: Process) -> bool | None:
    """True or False for a process this one can see; None for one elsewhere."""
    if not holder.machine or holder.machine != current().machine or holder.pid <= 0:
        return None
    if holder.started and current().started:
        state, started = stat(holder.pid)
        return bool(state) and state not in ENDED_STATES and started == holder.started
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but it exists
    return True


def stat(pid: int) -> tuple[str, str]:
    """(state, start time) of a process, or ("", "") when there is no such process or no /proc."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return "", ""
    # The command name, in parentheses, may hold spaces; the fields after it are fixed:
    # state is field 3 and starttime field 22 of proc(5).
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], fields[19]
