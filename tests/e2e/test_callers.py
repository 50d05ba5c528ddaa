"""Callers on the alias `live`, the way a payments function is usually invoked: seen by the
adopt plan, kept working through the alias move, named by destroy."""

from __future__ import annotations

import json
import time
from typing import Any

from reconciler.sandbox import legacy
from tests.e2e.helpers import LocalAws, run
from tests.e2e.terminal import on_terminal, plain

SUFFIX = "qc"
FUNCTION = f"lambda-function-{SUFFIX}"
SOURCE = f"arn:aws:execute-api:us-east-1:{legacy.ACCOUNT}:payments-api/*"


def _callers_on_live(aws: LocalAws) -> tuple[str, str, str]:
    """What the payments team attached to `live`: an API Gateway permission and an SQS
    mapping on the alias ARN. Returns the mapping's UUID, the queue's URL and the alias ARN."""
    lam, sqs = aws.client("lambda"), aws.client("sqs")
    lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="1")
    lam.add_permission(
        FunctionName=FUNCTION,
        Qualifier="live",
        StatementId="payments-api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=SOURCE,
    )
    url = sqs.create_queue(QueueName=f"payments-in-{SUFFIX}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    alias_arn = f"arn:aws:lambda:us-east-1:{legacy.ACCOUNT}:function:{FUNCTION}:live"
    mapping = lam.create_event_source_mapping(
        FunctionName=alias_arn, EventSourceArn=queue_arn["Attributes"]["QueueArn"]
    )
    return str(mapping["UUID"]), str(url), alias_arn


def _ran(aws: LocalAws, since_ms: int, seconds: float = 20.0) -> set[str]:
    """The versions that wrote to the function's log since `since_ms` (its streams are named
    `<date>/[<version>]<id>`, one per execution environment)."""
    logs = aws.client("logs")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{FUNCTION}", startTime=since_ms)[
            "events"
        ]
        versions = {e["logStreamName"].split("[", 1)[1].split("]", 1)[0] for e in events}
        if versions:
            return versions
        time.sleep(0.2)
    return set()


def _policy(aws: LocalAws) -> Any:
    answer = aws.client("lambda").get_policy(FunctionName=FUNCTION, Qualifier="live")
    return json.loads(answer["Policy"])


def test_callers_on_live_are_seen_kept_through_the_move_and_named_by_destroy(
    local_aws: LocalAws,
) -> None:
    legacy.transactions(local_aws, SUFFIX)
    mapping, queue_url, alias_arn = _callers_on_live(local_aws)
    permission = (
        f"permission payments-api for apigateway.amazonaws.com from {SOURCE} to invoke it "
        "on alias live"
    )
    queue_arn = f"arn:aws:sqs:us-east-1:{legacy.ACCOUNT}:payments-in-{SUFFIX}"
    via_queue = f"event source mapping {mapping} from {queue_arn} on alias live"

    plan = run(local_aws, "plan", "--adopt", "--suffix", SUFFIX)
    assert plan.code == 2, plan.stdout + plan.stderr
    lines = plan.stdout.splitlines()
    for caller in (permission, via_queue):
        assert f"    note: {caller}: kept" in lines, caller
        # `live` is declared: it moves to the new version, and they go with it.
        assert f"    note: {caller}: follows it to the new version" in lines, caller

    applied = run(local_aws, "--adopt", "--suffix", SUFFIX)
    assert applied.code == 0, applied.stdout + applied.stderr
    lam = local_aws.client("lambda")
    serving = lam.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"]
    assert serving != "1"
    (statement,) = _policy(local_aws)["Statement"]
    assert statement["Sid"] == "payments-api" and statement["Resource"] == alias_arn
    assert lam.get_event_source_mapping(UUID=mapping)["FunctionArn"] == alias_arn
    # A message on the queue now runs the version `live` serves, not the one it served.
    since = int(time.time() * 1000)
    local_aws.client("sqs").send_message(
        QueueUrl=queue_url, MessageBody=json.dumps({"transactionId": "t-q1", "amount": 5})
    )
    assert _ran(local_aws, since) == {serving}

    # Asked twice when callers would be cut off (ours on live and the legacy ones on the
    # function): the suffix alone is not enough.
    destroy = ("destroy", "--suffix", SUFFIX, "--include-adopted", "--stack", "transactions")
    first, again = "to delete everything listed above:", "again to cut them off:"
    once = on_terminal(local_aws, *destroy, answers=((first, SUFFIX), (again, "")))
    assert once.code == 1, once.screen
    assert "4 caller(s) listed above still invoke what this deletes." in once.screen
    assert lam.get_function(FunctionName=FUNCTION)["Configuration"]["FunctionName"] == FUNCTION
    gone = on_terminal(local_aws, *destroy, answers=((first, SUFFIX), (again, SUFFIX)))
    assert gone.code == 0, gone.screen
    lines = plain(gone.screen).splitlines()
    for caller in (permission, via_queue):
        assert f"    note: {caller}: cut off by this delete" in lines, caller
