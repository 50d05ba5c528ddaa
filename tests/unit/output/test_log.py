"""Log lines: on whatever stderr is when they are written, with secrets redacted."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from reconciler.output import log


def test_lines_go_to_the_stderr_of_the_moment_they_are_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = structlog.get_config()
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stderr", first)
    log.configure(json=True)
    monkeypatch.setattr("sys.stderr", second)
    first.close()  # a stream swapped out and closed is never written to again
    log.keep_out_of_logs(["hunter2-secret"])
    try:
        structlog.get_logger().info("action.retry", reason="token hunter2-secret refused")
    finally:
        structlog.configure(**before)
    [line] = second.getvalue().splitlines()
    assert json.loads(line)["reason"] == "token (sensitive) refused"
