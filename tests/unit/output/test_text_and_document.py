"""What people and scripts are shown: masked secrets, one line per field, the JSON report."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema

from reconciler.expand.resources import Resource, ResourceId
from reconciler.output.docdiff import diff_lines, is_document
from reconciler.output.document import action_json, document, plan_json
from reconciler.output.markdown import _block
from reconciler.output.text import change_line, plan_text, short
from reconciler.planning.diff import FieldChange
from reconciler.planning.plan import Action, Op, Plan, plan_apply
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


def _long_policy(statements: int) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"Table{i}",
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/ledger-{i}",
            }
            for i in range(statements)
        ],
    }


def _deep_change() -> FieldChange:
    old = _long_policy(12)
    new = copy.deepcopy(old)
    new["Statement"][9]["Action"].append("dynamodb:DeleteItem")
    return FieldChange("inline_policies.access", old, new)


def test_a_change_deep_in_a_long_policy_is_a_diff_with_its_statement_whole() -> None:
    change = _deep_change()
    action = Action(Op.UPDATE, Resource(ResourceId("iam.role", "r-u1"), {}), (change,))
    lines = plan_text(Plan((action,)), "h").splitlines()
    assert "…" not in "\n".join(lines)
    at = lines.index("    inline_policies.access:")
    assert lines[at + 1 : at + 3] == ["      --- live", "      +++ desired"]
    body = list(itertools.takewhile(lambda line: line.startswith("      "), lines[at + 3 :]))
    # The changed statement from its first line to its last; the other eleven are left out.
    marked = [line[6:] for line in body]
    assert '       "Sid": "Table9"' in marked and "Table8" not in "\n".join(body)
    assert '-        "dynamodb:PutItem"' in marked and '+        "dynamodb:DeleteItem"' in marked
    # The hunk opens on the statement's first line and closes on its last.
    assert marked[0].startswith("@@ -") and marked[1] == "     {" and marked[-1] == "     },"


def test_the_policy_diff_is_the_same_in_markdown_and_json() -> None:
    change = _deep_change()
    diff = diff_lines(change.old, change.new)
    action = Action(Op.UPDATE, Resource(ResourceId("iam.role", "r-u1"), {}), (change,))
    (shown,) = action_json(action)["changes"]
    assert shown["diff"] == diff and shown["old"] == change.old
    fenced = "\n".join(["```diff", *diff, "```"])
    prepared_free = "\n".join(_block(action))
    assert fenced in prepared_free and "(see the diff below)" in prepared_free
    schema = json.loads(SCHEMA.read_text())
    change_schema = {**schema["$defs"]["change"], "$defs": schema["$defs"]}
    assert list(jsonschema.Draft202012Validator(change_schema).iter_errors(shown)) == []


def test_a_short_document_and_a_secret_stay_on_one_line() -> None:
    short_doc = FieldChange("redrive_policy", {"maxReceiveCount": 3}, {"maxReceiveCount": 5})
    secret = FieldChange("environment.TOKEN", _long_policy(3), _long_policy(4), sensitive=True)
    assert not is_document(short_doc) and not is_document(secret)
    assert change_line(secret) == "    environment.TOKEN: (sensitive) -> (sensitive)"


def test_an_alias_move_reads_as_version_numbers() -> None:
    move = FieldChange("live", 3, 4)
    note = "version 4: to be published, code sha256 0123456789abcdef; new in it: memory_mb"
    action = Action(
        Op.UPDATE, Resource(ResourceId("lambda.alias", "fn-u1:live"), {}), (move,), (note,)
    )
    lines = plan_text(Plan((action,)), "h").splitlines()
    assert '    live: "3" -> "4"' not in lines and "    live: 3 -> 4" in lines
    assert f"    note: {note}" in lines
    assert "| `live` | `3` | `4` |" in _block(action)
