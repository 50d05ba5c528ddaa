"""Whether a lease's holder still lives: seen by pid and start time on this host, unknowable
elsewhere."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from reconciler.apply import holder
from reconciler.apply.holder import Process


def _ended_process() -> Process:
    """A process that ran on this host and has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    seen = Process("here", holder.machine(), child.pid, holder.stat(child.pid)[1])
    child.kill()
    child.wait()
    return seen


def test_this_process_lives() -> None:
    me = holder.current()
    assert me.pid > 0 and me.started and me.machine
    assert holder.alive(me) is True


def test_a_process_that_ended_is_gone() -> None:
    assert holder.alive(_ended_process()) is False


def test_a_pid_given_to_another_process_is_not_the_holder() -> None:
    # The same pid as a live process, started at another time: the kernel reused the pid.
    me = holder.current()
    assert holder.alive(replace(me, started=str(int(me.started) - 1))) is False


def test_a_killed_but_unreaped_process_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    seen = Process("here", holder.machine(), child.pid, holder.stat(child.pid)[1])
    child.kill()
    try:
        # Not yet waited for: a zombie whose /proc entry still exists.
        for _ in range(100):
            if holder.stat(child.pid)[0] == "Z":
                break
            subprocess.run(["sleep", "0.02"], check=True)
        assert holder.stat(child.pid)[0] == "Z"
        assert holder.alive(seen) is False
    finally:
        child.wait()


def test_a_holder_on_another_machine_cannot_be_told() -> None:
    elsewhere = replace(holder.current(), machine="another-boot/pid:[4026531836]")
    assert holder.alive(elsewhere) is None
    assert holder.alive(replace(holder.current(), machine="")) is None
