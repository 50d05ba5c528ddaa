"""The ETL stack rendered for a suffix: every value of REQUIREMENTS' ETL table, as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.compat import checked_packages as packages
from reconciler.desired.load import load_stack
from reconciler.desired.names import check_names, longest_suffix
from reconciler.errors import InputError
from reconciler.expand import Target, expand, name_checks
from reconciler.expand.resources import Resource

ROOT = Path(__file__).parents[2]
ETL = ROOT / "desired_state" / "etl.toml"
TARGET = Target("qa1", "123456789012", "us-east-1")


def rendered(env: str) -> dict[str, Resource]:
    spec = load_stack(ETL, env)
    return {str(r.id): r for r in expand(spec, TARGET, {}, packages(spec))}


DEV = rendered("dev")
FUNCTIONS = {r.id.name: r for r in DEV.values() if r.id.kind == "lambda.function"}
ROLES = {r.id.name: r for r in DEV.values() if r.id.kind == "iam.role"}


def test_there_are_an_api_handler_and_two_batch_processors_sized_by_type() -> None:
    sizes = {name: (f.fields["memory_mb"], f.fields["timeout_s"]) for name, f in FUNCTIONS.items()}
    assert sizes == {
        "api-handler-qa1": (512, 30),
        "batch-transform-qa1": (1024, 300),
        "batch-load-qa1": (1024, 300),
    }


def test_every_function_has_the_runtime_tracing_json_logs_and_the_shared_layer() -> None:
    for function in FUNCTIONS.values():
        fields = function.fields
        assert (fields["runtime"], fields["architecture"]) == ("nodejs24.x", "arm64")
        assert fields["tracing"] == "Active" and fields["log_format"] == "JSON"
        (layer,) = fields["layers"]
        assert layer.startswith("etl-shared-qa1@")


def test_critical_functions_reserve_5_and_have_three_alarms_each() -> None:
    reserved = {n: f.fields["reserved_concurrency"] for n, f in FUNCTIONS.items()}
    assert reserved == {"api-handler-qa1": None, "batch-transform-qa1": 5, "batch-load-qa1": 5}
    alarms = sorted(r.id.name for r in DEV.values() if r.id.kind == "cloudwatch.alarm")
    assert alarms == sorted(
        f"{base}-{what}-qa1"
        for base in ("batch-transform", "batch-load")
        for what in ("errors", "throttles", "dlq-messages")
    )
    dlq_alarm = DEV["cloudwatch.alarm batch-load-dlq-messages-qa1"].fields
    assert dlq_alarm["dimensions"] == {"QueueName": "batch-load-dlq-qa1"}
    assert (dlq_alarm["metric"], dlq_alarm["threshold"]) == (
        "ApproximateNumberOfMessagesVisible",
        0,
    )
    errors = DEV["cloudwatch.alarm batch-load-errors-qa1"].fields
    assert (errors["period_s"], errors["comparison"]) == (300, "GreaterThanThreshold")


def test_an_alarm_action_topic_is_notified_on_alarm_and_ok(tmp_path: Path) -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:etl-pager"
    text = ETL.read_text().replace('action_arn = ""', f'action_arn = "{topic}"')
    (tmp_path / "desired_state").mkdir()
    for folder in ("handlers", "layers"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    path = tmp_path / "desired_state" / "etl.toml"
    path.write_text(text)
    spec = load_stack(path)
    alarms = [
        r for r in expand(spec, TARGET, {}, packages(spec)) if r.id.kind == "cloudwatch.alarm"
    ]
    assert alarms and all(a.fields["alarm_actions"] == (topic,) for a in alarms)
    assert all(a.fields["ok_actions"] == (topic,) for a in alarms)


def test_each_function_has_its_dlq_and_explicit_retry_settings() -> None:
    for name, function in FUNCTIONS.items():
        base = name.removesuffix("-qa1")
        queue = DEV[f"sqs.queue {base}-dlq-qa1"]
        assert queue.fields["sse"] is True and queue.fields["retention_s"] == 14 * 24 * 3600
        assert function.fields["dead_letter_target"] == (
            f"arn:aws:sqs:us-east-1:123456789012:{base}-dlq-qa1"
        )
        invoke = DEV[f"lambda.event_invoke_config {name}"].fields
        assert invoke == {"max_retry_attempts": 2, "max_event_age_s": 3600}


def test_max_connections_is_set_only_where_the_database_pool_is_used() -> None:
    env = {n: f.fields["environment"].get("MAX_CONNECTIONS") for n, f in FUNCTIONS.items()}
    assert env == {"api-handler-qa1": "10", "batch-transform-qa1": None, "batch-load-qa1": "10"}


@pytest.mark.parametrize(("env", "days"), [("dev", 7), ("prod", 30)])
def test_log_retention_follows_the_environment(env: str, days: int) -> None:
    groups = [r for r in rendered(env).values() if r.id.kind == "logs.log_group"]
    assert len(groups) == 3 and {g.fields["retention_days"] for g in groups} == {days}


def test_each_role_is_its_own_bounded_and_scoped_to_exact_arns() -> None:
    boundary = DEV["iam.policy etl-boundary-qa1"]
    arn = "arn:aws:iam::123456789012:policy/etl-boundary-qa1"
    assert len(ROLES) == 3
    for name, role in ROLES.items():
        assert role.fields["permissions_boundary"] == arn
        assert boundary.id in role.depends_on
        (document,) = role.fields["inline_policies"].values()
        for statement in document["Statement"]:
            if statement["Sid"] != "XRayWrite":
                resources = statement["Resource"]
                for item in resources if isinstance(resources, list) else [resources]:
                    assert "*" not in item.replace("/index/*", "").replace(":*", ""), (name, item)
    load = next(iter(ROLES["batch-load-role-qa1"].fields["inline_policies"].values()))
    sids = {s["Sid"]: s for s in load["Statement"]}
    assert sids["OwnDeadLetterQueue"]["Resource"] == (
        "arn:aws:sqs:us-east-1:123456789012:batch-load-dlq-qa1"
    )
    assert sids["TableRecords"]["Action"] == ["dynamodb:BatchWriteItem"]
    api = next(iter(ROLES["api-handler-role-qa1"].fields["inline_policies"].values()))
    invoke = next(s for s in api["Statement"] if s["Sid"] == "InvokeNextStep")
    assert invoke["Resource"] == [
        "arn:aws:lambda:us-east-1:123456789012:function:batch-transform-qa1"
    ]


def test_the_layer_is_published_before_the_functions_that_use_it() -> None:
    layer = DEV["lambda.layer etl-shared-qa1"]
    assert all(layer.id in f.depends_on for f in FUNCTIONS.values())


def test_cost_tags_and_ownership_tags_are_on_everything_taggable() -> None:
    for resource in DEV.values():
        if "tags" in resource.fields:
            tags = resource.fields["tags"]
            assert tags["Environment"] == "dev" and tags["CostCenter"] == "data-platform"
            assert tags["EnvironmentSuffix"] == "qa1" and tags["Stack"] == "etl"


def test_names_follow_resource_type_then_suffix_and_the_suffix_limit_is_computed() -> None:
    templates = name_checks(load_stack(ETL))
    assert all(t.template.endswith("{suffix}") for t in templates)
    check_names("a" * longest_suffix(templates), templates)
    with pytest.raises(InputError):
        check_names("a" * (longest_suffix(templates) + 1), templates)


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(InputError, match="no environment 'staging' \\(known: dev, prod\\)"):
        load_stack(ETL, "staging")
