"""One invocation's log lines: the runtime's START, END and REPORT around the function's own."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping

from reconciler.sandbox.lambda_.overlay import JSON_FORMAT
from reconciler.sandbox.lambda_.runtime import Deployment, Outcome


def transcript(deployment: Deployment, outcome: Outcome) -> list[str]:
    if deployment.log_format == JSON_FORMAT:
        return _json_lines(deployment, outcome)
    return _text_lines(deployment, outcome)


def _text_lines(deployment: Deployment, outcome: Outcome) -> list[str]:
    request = outcome.request_id
    report = (
        f"REPORT RequestId: {request}\tDuration: {outcome.duration_ms:.2f} ms\t"
        f"Billed Duration: {_billed(outcome)} ms\tMemory Size: {deployment.memory_mb} MB\t"
        f"Max Memory Used: {outcome.memory_mb} MB"
    )
    if outcome.init_ms is not None:
        report += f"\tInit Duration: {outcome.init_ms:.2f} ms"
    if outcome.timed_out:
        report += "\tStatus: timeout"
    return [
        f"START RequestId: {request} Version: {deployment.version}",
        *outcome.lines,
        *_text_failure(deployment, outcome),
        f"END RequestId: {request}",
        report,
    ]


def _text_failure(deployment: Deployment, outcome: Outcome) -> list[str]:
    """What the runtime itself logs when an invocation fails (nothing when it succeeded)."""
    if outcome.ok:
        return []
    if outcome.timed_out:
        seconds = f"{deployment.timeout_s:.2f}"
        return [f"{_stamp()} {outcome.request_id} Task timed out after {seconds} seconds"]
    error = outcome.payload.decode("utf-8", "replace")
    return [f"{_stamp()}\t{outcome.request_id}\tERROR\tInvoke Error \t{error}"]


def _json_failure(outcome: Outcome) -> list[str]:
    if outcome.ok or outcome.timed_out:
        return []
    error = json.loads(outcome.payload)
    line = {"timestamp": _stamp(), "level": "ERROR", "requestId": outcome.request_id}
    return [json.dumps({**line, "message": error})]


def _json_lines(deployment: Deployment, outcome: Outcome) -> list[str]:
    request = outcome.request_id
    metrics: dict[str, object] = {
        "durationMs": round(outcome.duration_ms, 2),
        "billedDurationMs": _billed(outcome),
        "memorySizeMB": deployment.memory_mb,
        "maxMemoryUsedMB": outcome.memory_mb,
    }
    if outcome.init_ms is not None:
        metrics["initDurationMs"] = round(outcome.init_ms, 2)
    status = "timeout" if outcome.timed_out else ("success" if outcome.ok else "error")
    start = {"requestId": request, "version": deployment.version}
    report = {"requestId": request, "metrics": metrics, "status": status}
    return [
        _platform("platform.start", start),
        *outcome.lines,
        *_json_failure(outcome),
        _platform("platform.report", report),
    ]


def _platform(kind: str, record: Mapping[str, object]) -> str:
    return json.dumps({"time": _stamp(), "type": kind, "record": record})


def _stamp() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def _billed(outcome: Outcome) -> int:
    # Lambda bills by the millisecond, rounded up.
    return max(1, math.ceil(outcome.duration_ms))
