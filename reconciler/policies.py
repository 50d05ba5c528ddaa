"""Desired-state stage: least-privilege IAM documents for each function's role (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.model import FunctionSpec
from reconciler.targets import Names, Target

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
        arns = [target.arn("lambda", f"function:{names.values[f'functions.{k}']}")
                for k in fn.role.invoke]  # fmt: skip
        statements.append(_allow("InvokeNextStep", ["lambda:InvokeFunction"], arns))
    return {"Version": "2012-10-17", "Statement": statements}


def boundary_policy(documents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The stack's ceiling: the union of what its roles allow, so nothing added later exceeds it."""
    seen: list[dict[str, Any]] = []
    for document in documents:
        for statement in document["Statement"]:
            bare = {k: v for k, v in statement.items() if k != "Sid"}
            if bare not in seen:
                seen.append(bare)
    statements = [{"Sid": f"Stack{i}", **s} for i, s in enumerate(seen)]
    return {"Version": "2012-10-17", "Statement": statements}


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
