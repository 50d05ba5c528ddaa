"""Expand stage: least-privilege IAM documents for each function's role (pure)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from reconciler.desired.model import FunctionSpec
from reconciler.expand.targets import Names, Target

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def access_policy(
    fn: FunctionSpec, names: Names, target: Target, log_group: str, dlq_arn: str | None
) -> dict[str, Any]:
    """Only what the function needs: its tables, its log group, X-Ray, its DLQ, its callees."""
    statements = [*_tables(fn, names, target), _log_group(target, log_group), XRAY]
    if dlq_arn:
        statements.append(_allow("OwnDeadLetterQueue", ["sqs:SendMessage"], dlq_arn))
    if fn.role.invoke:
        arns = [
            target.arn("lambda", f"function:{names.values[f'functions.{k}']}")
            for k in fn.role.invoke
        ]
        statements.append(_allow("InvokeNextStep", ["lambda:InvokeFunction"], arns))
    return {"Version": "2012-10-17", "Statement": statements}


# IAM's limit for a managed policy document, counted without whitespace.
MANAGED_POLICY_CHARS = 6144


def boundary_policy(documents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The stack's ceiling: the union of what its roles allow, so nothing added later exceeds it.

    Statements granting the same actions are merged into one with all their resources: the
    document then grows by an ARN per function, not by a statement, under IAM's size limit.
    """
    merged: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for document in documents:
        for statement in document["Statement"]:
            actions = statement["Action"]
            key = (statement["Effect"], tuple(actions if isinstance(actions, list) else [actions]))
            resources = merged.setdefault(key, [])
            for arn in _listed(statement["Resource"]):
                if arn not in resources:
                    resources.append(arn)
    statements = [
        {
            "Sid": f"Stack{i}",
            "Effect": effect,
            "Action": list(actions),
            "Resource": resources[0] if len(resources) == 1 else resources,
        }
        for i, ((effect, actions), resources) in enumerate(merged.items())
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def widened(document: dict[str, Any], suffix: str) -> dict[str, Any]:
    """The same boundary with each resource list folded to one pattern per kind and suffix
    (`.../batch-load-qa1:*` -> `.../*-qa1:*`): constant size whatever the number of functions.

    Only for a boundary over IAM's limit. It is a ceiling, not a grant: every role still names
    exact ARNs, and the ceiling still stops at this suffix's names.
    """
    pattern = re.compile(rf"^(.*[:/])[^:/]+-{re.escape(suffix)}((?::\*|/index/\*)?)$")
    statements = []
    for statement in document["Statement"]:
        folded: list[str] = []
        for arn in _listed(statement["Resource"]):
            wide = pattern.sub(rf"\1*-{suffix}\2", arn)
            if wide not in folded:
                folded.append(wide)
        statements.append({**statement, "Resource": folded[0] if len(folded) == 1 else folded})
    return {**document, "Statement": statements}


def document_chars(document: dict[str, Any]) -> int:
    """A policy's size as IAM counts it: the JSON without whitespace."""
    return len(json.dumps(document, separators=(",", ":")))


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _tables(fn: FunctionSpec, names: Names, target: Target) -> list[dict[str, Any]]:
    out = []
    for access in fn.role.dynamodb:
        arn = target.arn("dynamodb", f"table/{names.values[f'tables.{access.table}']}")
        sid = "Table" + "".join(part.title() for part in access.table.split("_"))
        out.append(_allow(sid, list(access.actions), [arn, f"{arn}/index/*"]))
    return out


def _log_group(target: Target, log_group: str) -> dict[str, Any]:
    arn = target.arn("logs", f"log-group:{log_group}:*")
    return _allow("OwnLogGroup", ["logs:CreateLogStream", "logs:PutLogEvents"], arn)


def _allow(sid: str, actions: list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}


# X-Ray's write actions support no resource-level scoping; AWS documents "*" for them.
XRAY = _allow("XRayWrite", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*")
