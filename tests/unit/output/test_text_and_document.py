"""What people and scripts are shown: masked secrets, one line per field, the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reconciler.expand.resources import Resource
from reconciler.output.document import document, plan_json
from reconciler.output.text import plan_text, short
from reconciler.planning.plan import plan_apply
from tests.fixtures.small_stack import SECRET, live_of, of_kind

SCHEMA = Path(__file__).parents[3] / "docs" / "report.schema.json"


def test_plan_text_and_json_never_carry_secret_values(resources: tuple[Resource, ...]) -> None:
    function = of_kind(resources, "lambda.function")
    env = {**function.fields["environment"], "TOKEN": "previous-token-999"}
    plans = [
        plan_apply(resources, {}, "u1"),
        plan_apply([function], {function.id: live_of(function, environment=env)}, "u1"),
    ]
    for plan in plans:
        text = plan_text(plan, "header") + document(plan=plan_json(plan))
        assert SECRET not in text and "previous-token-999" not in text
        assert "(sensitive)" in text


def test_a_changed_secret_reads_as_sensitive_to_sensitive(resources: tuple[Resource, ...]) -> None:
    function = of_kind(resources, "lambda.function")
    env = {**function.fields["environment"], "TOKEN": "previous"}
    plan = plan_apply([function], {function.id: live_of(function, environment=env)}, "u1")
    assert "    environment.TOKEN: (sensitive) -> (sensitive)" in plan_text(plan, "h").splitlines()


def test_a_create_lists_its_fields_and_its_tags_on_one_line(
    resources: tuple[Resource, ...],
) -> None:
    lines = plan_text(plan_apply([of_kind(resources, "sqs.queue")], {}, "u1"), "h").splitlines()
    assert lines[2:8] == [
        "+ sqs.queue worker-dlq-u1",
        "    retention_s: 86400",
        "    visibility_timeout_s: 30",
        "    sse: true",
        "    fifo: false",
        "    tags: EnvironmentSuffix=u1, ManagedBy=lambda-reconciler, Stack=small, Team=unit",
    ]
    assert lines[-1] == "Plan: 1 to create, 0 to update, 0 to replace, 0 to delete."


def test_values_stay_on_one_line() -> None:
    assert short(None) == "(none)" and short("x") == '"x"' and short(3) == "3"
    long = short({"key": "v" * 200})
    assert len(long) == 96 and long.endswith("…") and "\n" not in long


def test_the_plan_document_validates_against_the_published_schema(
    resources: tuple[Resource, ...],
) -> None:
    schema = json.loads(SCHEMA.read_text())
    plan = plan_json(plan_apply(resources, {}, "u1"))
    report = json.loads(
        document(
            command="plan",
            suffix="u1",
            env="dev",
            stacks=["small"],
            account="123456789012",
            region="us-east-1",
            plan=plan,
            applied=0,
            failed=[],
            remaining=None,
            api_calls={"total": 0, "reads": 0, "writes": 0, "retries": 0, "by_operation": {}},
            duration_s=0.1,
            warnings=[],
            exit_code=2,
        )
    )
    jsonschema.validate(report, schema)
