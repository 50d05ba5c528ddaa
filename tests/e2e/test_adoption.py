"""Taking over what already runs: both legacy systems adopted in place, callers unbroken."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.sandbox import legacy
from reconciler.sandbox.legacy import LEGACY_SECRETS, Legacy, on_date
from tests.e2e import requirements
from tests.e2e.helpers import LocalAws, Run, run

# After AWS stopped taking updates on nodejs14.x: only moving off it is allowed.
LATER = "2027-06-01"
# What a run writes to DynamoDB besides the stack's tables: its lease on the suffix.
LEASE = {"CreateTable", "PutItem", "UpdateItem", "DeleteItem"}


def adopt_run(aws: LocalAws, stack: str, suffix: str, *args: str) -> Run:
    result = run(aws, *args, "--suffix", suffix, "--stack", stack)
    for value in LEGACY_SECRETS.values():
        assert value not in result.stdout and value not in result.stderr
    return result


def _function(aws: LocalAws, name: str) -> Any:
    return aws.client("lambda").get_function(FunctionName=name)


def _callers_unbroken(aws: LocalAws, system: Legacy, name: str) -> None:
    lam, iam = aws.client("lambda"), aws.client("iam")
    alias = lam.get_alias(FunctionName=name, Name="prod")
    assert lam.get_function_configuration(FunctionName=name, Qualifier=alias["FunctionVersion"])
    mapping = lam.get_event_source_mapping(UUID=system.mapping)
    assert mapping["FunctionArn"].split(":")[6] == name
    policy = lam.get_policy(FunctionName=name)["Policy"]
    assert '"api-gateway"' in policy and "apigateway.amazonaws.com" in policy
    role = system.role.rsplit("/", 1)[1]
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["everything-dynamodb"]


@pytest.fixture(scope="module")
def payments(local_aws: LocalAws) -> Legacy:
    return legacy.transactions(local_aws, "bf")


def test_the_adopt_plan_shows_each_takeover_its_changes_and_what_stays(
    local_aws: LocalAws, payments: Legacy
) -> None:
    local_aws.control.reset_calls()
    plan = adopt_run(local_aws, "transactions", "bf", "plan", "--adopt")
    assert plan.code == 2, plan.stdout + plan.stderr
    assert local_aws.control.writes() == []
    out = plan.stdout
    for line in (
        "@ lambda.function lambda-function-bf (taken over: tagged and changed in place)",
        "@ dynamodb.table transactions-bf (taken over: tagged and changed in place)",
        "@ logs.log_group /aws/lambda/lambda-function-bf (taken over: tagged and changed in place)",
        '    runtime: "nodejs14.x" -> "nodejs24.x"',
        '    architecture: "x86_64" -> "arm64"',
        '    tags.ManagedBy: (none) -> "lambda-reconciler"',
        "    retention_days: (none) -> 7",
        "    environment.PAYMENTS_API_TOKEN: (sensitive) -> (none)",
        "    note: alias prod (version 1): not declared, kept",
        "    note: role payments-shared-role-bf: no longer used by this function, not ours: "
        "left in place",
    ):
        assert line in out.splitlines(), line
    assert "    note: event source mapping " in out and "    note: permission api-gateway" in out
    assert "    note: the runtime and the code change in two calls" in out
    assert "Plan: 5 to create, 3 to adopt," in out


def test_adopt_migrates_the_payments_system_in_place(local_aws: LocalAws, payments: Legacy) -> None:
    (name, arn) = next(iter(payments.functions.items()))
    with on_date(local_aws, LATER):
        result = adopt_run(local_aws, "transactions", "bf", "--adopt")
    assert result.code == 0, result.stdout + result.stderr
    requirements.transactions(local_aws, "bf")
    got = _function(local_aws, name)
    assert got["Configuration"]["FunctionArn"] == arn
    assert "PAYMENTS_API_TOKEN" not in got["Configuration"]["Environment"]["Variables"]
    item = local_aws.client("dynamodb").get_item(
        TableName="transactions-bf", Key={"transactionId": {"S": "t-1"}}
    )
    assert item["Item"]["cents"] == {"N": "1250"}
    _callers_unbroken(local_aws, payments, name)


def test_after_the_takeover_a_plan_is_quiet_and_costs_no_write(
    local_aws: LocalAws, payments: Legacy
) -> None:
    local_aws.control.reset_calls()
    again = adopt_run(local_aws, "transactions", "bf", "--adopt")
    assert again.code == 0 and "No changes" in again.stdout, again.stdout + again.stderr
    assert local_aws.control.writes() == []


def test_destroy_releases_what_was_adopted_and_keeps_the_callers(
    local_aws: LocalAws, payments: Legacy
) -> None:
    # Taken over first, as a person does before destroying (a no-op after the module's
    # earlier tests, which did it already).
    with on_date(local_aws, LATER):
        assert adopt_run(local_aws, "transactions", "bf", "--adopt").code == 0
    gone = adopt_run(local_aws, "transactions", "bf", "destroy", "--yes")
    assert gone.code == 0, gone.stdout + gone.stderr
    (name, _) = next(iter(payments.functions.items()))
    # It existed before us: handed back as it now is, with its data, never deleted.
    tags = _function(local_aws, name)["Tags"]
    assert "ManagedBy" not in tags and "Released" in tags and tags["Team"] == "payments"
    item = local_aws.client("dynamodb").get_item(
        TableName="transactions-bf", Key={"transactionId": {"S": "t-1"}}
    )
    assert item["Item"]["cents"] == {"N": "1250"}
    _callers_unbroken(local_aws, payments, name)
    # Handed back, it is its owners' again: they retire it, and its reserved concurrency
    # stops counting against the account the other tests share.
    local_aws.client("lambda").delete_function(FunctionName=name)
    iam, sqs = local_aws.client("iam"), local_aws.client("sqs")
    assert iam.get_role(RoleName="payments-shared-role-bf")["Role"]
    assert sqs.get_queue_attributes(QueueUrl=payments.queue_url, AttributeNames=["All"])


def test_the_etl_pipeline_is_taken_over_with_dlqs_alarms_and_its_own_roles(
    local_aws: LocalAws,
) -> None:
    pipeline = legacy.etl(local_aws, "bfe")
    with on_date(local_aws, LATER):
        result = adopt_run(local_aws, "etl", "bfe", "--adopt")
    assert result.code == 0, result.stdout + result.stderr
    requirements.etl(local_aws, "bfe", 7)
    lam = local_aws.client("lambda")
    for name, arn in pipeline.functions.items():
        assert lam.get_function_configuration(FunctionName=name)["FunctionArn"] == arn
    jobs = local_aws.client("dynamodb").get_item(
        TableName="etl-jobs-bfe", Key={"jobId": {"S": "j-1"}}
    )
    assert "Item" in jobs
    _callers_unbroken(local_aws, pipeline, "api-handler-bfe")
    local_aws.control.reset_calls()
    again = adopt_run(local_aws, "etl", "bfe", "--adopt")
    assert again.code == 0 and "No changes" in again.stdout, again.stdout + again.stderr
    assert local_aws.control.writes() == []
    # Asked to, destroy deletes what it took over too, and still nothing of the callers'.
    assert adopt_run(local_aws, "etl", "bfe", "destroy", "--yes", "--include-adopted").code == 0
    left = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert not set(pipeline.functions) & left
    iam, sqs = local_aws.client("iam"), local_aws.client("sqs")
    assert iam.get_role(RoleName=pipeline.role.rsplit("/", 1)[1])["Role"]
    assert sqs.get_queue_attributes(QueueUrl=pipeline.queue_url, AttributeNames=["All"])


def test_without_adopt_nothing_legacy_is_written_and_the_run_names_it(
    local_aws: LocalAws,
) -> None:
    system = legacy.transactions(local_aws, "bfn")
    (name, _) = next(iter(system.functions.items()))
    before = _function(local_aws, name)
    local_aws.control.reset_calls()
    result = adopt_run(local_aws, "transactions", "bfn")
    assert result.code == 3, result.stdout + result.stderr
    # The stack's only function, log group and table are the legacy ones: no write reaches them.
    writes = {(c.service, c.operation) for c in local_aws.control.writes()}
    assert {op for service, op in writes if service in ("lambda", "logs")} == set(), writes
    assert {op for service, op in writes if service == "dynamodb"} <= LEASE, writes
    for kind, resource in (
        ("lambda.function", name),
        ("dynamodb.table", "transactions-bfn"),
        ("logs.log_group", f"/aws/lambda/{name}"),
    ):
        assert (
            f"! {kind} {resource}: left alone, exists without this suffix's ownership tags "
            "(--adopt takes it over)"
        ) in result.stdout.splitlines()
    for part, parent in (("alias", "function"), ("provisioned_concurrency", "alias")):
        assert (
            f"! lambda.{part} {name}:live: left alone, belongs to lambda.{parent} "
            f"{name}{':live' if parent == 'alias' else ''}, which is not ours"
        ) in result.stdout.splitlines()
    assert "In sync, but for the 5 left alone above." in result.stdout.splitlines()
    after = _function(local_aws, name)
    assert after["Configuration"] == before["Configuration"] and after["Tags"] == before["Tags"]
    assert adopt_run(local_aws, "transactions", "bfn", "destroy", "--yes").code == 0


CLOUDFORMATION = {
    "aws:cloudformation:stack-name": "payments-prod",
    "aws:cloudformation:logical-id": "Processor",
}
OTHER_SUFFIX = {
    "ManagedBy": "lambda-reconciler",
    "EnvironmentSuffix": "pr7",
    "Stack": "transactions",
}


@pytest.mark.parametrize(
    ("suffix", "tags", "reason"),
    [
        (
            "bfc",
            CLOUDFORMATION,
            "managed by CloudFormation stack 'payments-prod': never taken over; release it first "
            "(DeletionPolicy: Retain on it, remove it from the template, update the stack)",
        ),
        ("bfo", OTHER_SUFFIX, "owned by suffix 'pr7': never taken over"),
    ],
    ids=["cloudformation", "another-suffix"],
)
def test_a_function_someone_else_owns_is_never_taken_over(
    local_aws: LocalAws, suffix: str, tags: dict[str, str], reason: str
) -> None:
    system = legacy.transactions(local_aws, suffix)
    (name, arn) = next(iter(system.functions.items()))
    local_aws.client("lambda").tag_resource(Resource=arn, Tags=tags)
    before = _function(local_aws, name)
    result = adopt_run(local_aws, "transactions", suffix, "--adopt")
    assert result.code == 3, result.stdout + result.stderr
    assert f"! lambda.function {name}: left alone, {reason}" in result.stdout.splitlines()
    after = _function(local_aws, name)
    assert after["Configuration"] == before["Configuration"] and after["Tags"] == before["Tags"]
    assert adopt_run(local_aws, "transactions", suffix, "destroy", "--yes").code == 0
    assert _function(local_aws, name)["Configuration"]["FunctionArn"] == arn


def test_provisioned_concurrency_left_on_a_callers_alias_is_shown_going_and_goes(
    local_aws: LocalAws,
) -> None:
    """Paid for on `prod`, which the stack does not declare: it moves to the declared alias."""
    system = legacy.transactions(local_aws, "bfp")
    (name, _) = next(iter(system.functions.items()))
    lam = local_aws.client("lambda")
    with on_date(local_aws, "2021-06-01"):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="prod", ProvisionedConcurrentExecutions=2
        )
    with on_date(local_aws, LATER):
        plan = adopt_run(local_aws, "transactions", "bfp", "plan", "--adopt")
        lines = plan.stdout.splitlines()
        start = lines.index(f"~ lambda.provisioned_concurrency {name}:live")
        assert lines[start + 1 : start + 4] == [
            "    count: (none) -> 5",
            '    status: (none) -> "READY"',
            '    elsewhere: ["prod"] -> []',
        ]
        assert adopt_run(local_aws, "transactions", "bfp", "--adopt").code == 0
    configs = lam.list_provisioned_concurrency_configs(FunctionName=name)
    assert [
        c["FunctionArn"].rsplit(":", 1)[1] for c in configs["ProvisionedConcurrencyConfigs"]
    ] == ["live"]
    _callers_unbroken(local_aws, system, name)
    local_aws.control.reset_calls()
    assert adopt_run(local_aws, "transactions", "bfp").code == 0
    assert local_aws.control.writes() == []
    # It was there before us: deleted only because the command says so.
    gone = adopt_run(local_aws, "transactions", "bfp", "destroy", "--yes", "--include-adopted")
    assert gone.code == 0, gone.stdout + gone.stderr
