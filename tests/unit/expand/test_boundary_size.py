"""The boundary policy stays under IAM's managed-policy size however many functions share it."""

from __future__ import annotations

from typing import Any

from reconciler.expand import role_policies as policies

ARN = "arn:aws:{}:us-east-1:123456789012:{}"


def role_document(i: int) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": ARN.format("logs", f"log-group:/aws/lambda/step-{i}-qa1:*"),
            },
            {
                "Sid": "OwnDeadLetterQueue",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": ARN.format("sqs", f"step-{i}-dlq-qa1"),
            },
            {
                "Sid": "TableJobs",
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem"],
                "Resource": [
                    ARN.format("dynamodb", "table/etl-jobs-qa1"),
                    ARN.format("dynamodb", "table/etl-jobs-qa1/index/*"),
                ],
            },
        ],
    }


def test_statements_with_the_same_actions_merge_and_keep_exact_arns() -> None:
    boundary = policies.boundary_policy(role_document(i) for i in range(3))
    logs = boundary["Statement"][0]
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == [
        ARN.format("logs", f"log-group:/aws/lambda/step-{i}-qa1:*") for i in range(3)
    ]
    assert len(boundary["Statement"]) == 3  # not one statement per role and permission


def test_a_boundary_over_the_limit_folds_to_one_pattern_per_kind() -> None:
    boundary = policies.boundary_policy(role_document(i) for i in range(60))
    assert policies.document_chars(boundary) > policies.MANAGED_POLICY_CHARS
    wide = policies.widened(boundary, "qa1")
    assert policies.document_chars(wide) < 1000
    resources = [s["Resource"] for s in wide["Statement"]]
    assert resources == [
        ARN.format("logs", "log-group:/aws/lambda/*-qa1:*"),
        ARN.format("sqs", "*-qa1"),
        [ARN.format("dynamodb", "table/*-qa1"), ARN.format("dynamodb", "table/*-qa1/index/*")],
    ]
