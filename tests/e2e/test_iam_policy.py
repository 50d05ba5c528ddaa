"""The reconciler's own IAM policy: both stacks' whole life runs inside it, and it holds no more.

The local AWS enforces deploy/iam/reconciler-policy.json on the CLI's access key the way IAM
does (action and resource ARN of each call, iam:PassRole and tag-on-create included), while
the tests change things by hand with another key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.desired.packaging import package
from reconciler.sandbox import legacy
from tests.e2e.drift import CASES, S, plan_then_apply
from tests.e2e.helpers import RECONCILER_KEY, ROOT, LocalAws, reconcile, run

POLICY = ROOT / "deploy" / "iam" / "reconciler-policy.json"
ARN = "arn:aws:{}:us-east-1:123456789012:{}"
# Hand-made changes whose correction needs the update and untag actions.
DRIFT = (
    "function memory",
    "function code",
    "function tag added",
    "alias target version",
    "role trust policy",
    "role boundary",
    "boundary document",
    "role extra inline policy",
    "queue retention",
    "xray filter",
    "table billing mode",
    "provisioned concurrency count",
    "event invoke retries",
    "function reserved concurrency",
)
# In the policy but not reached by this scenario, for a reason the lock tests cover.
UNREACHED = {
    "dynamodb:DeleteItem": "`reconcile unlock` removing a lease still held (test_lock)",
    "logs:DeleteRetentionPolicy": "a stack declaring no retention over a log group that has "
    "one (tests/adapters)",
    "logs:PutLogGroupDeletionProtection": "a log group's deletion protection changed by hand "
    "or declared otherwise (tests/adapters)",
    "cloudwatch:GetMetricStatistics": "a release in steps watching the new version's errors "
    "(prod's canary; test_rollout)",
    "application-autoscaling:DescribeScheduledActions": "reading a scaled alias's target "
    "(prod's business hours; test_scaling, under its own policy)",
    "application-autoscaling:DescribeScalingPolicies": "reading a scaled alias's target "
    "(test_scaling)",
    "application-autoscaling:ListTagsForResource": "a scalable target's tags (test_scaling)",
}


def actions(policy: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in policy["Statement"]:
        listed = statement["Action"]
        found.update(listed if isinstance(listed, list) else [listed])
    return found


def both(aws: LocalAws, *args: str) -> Any:
    return run(aws, *args, "--suffix", S, "--stack", "all")


@pytest.fixture(scope="module")
def enforced(local_aws: LocalAws) -> Iterator[LocalAws]:
    policy = POLICY.read_text()
    local_aws.control.configure(enforce_policy=policy, enforce_access_key=RECONCILER_KEY)
    local_aws.control.reset_calls()
    yield local_aws
    local_aws.control.configure(enforce_policy="", enforce_access_key="")


def test_the_committed_policy_is_what_reconcile_policy_prints(local_aws: LocalAws) -> None:
    printed = reconcile(local_aws, "policy")
    assert printed.code == 0, printed.stderr
    assert printed.stdout == POLICY.read_text(), "regenerate: reconcile policy > " + str(POLICY)


def test_a_policy_for_one_suffix_names_only_that_suffix(local_aws: LocalAws) -> None:
    printed = reconcile(
        local_aws,
        "policy",
        "--suffix",
        "pr42",
        "--account",
        "123456789012",
        "--region",
        "eu-west-1",
    )
    assert printed.code == 0, printed.stderr
    resources = [
        r
        for s in json.loads(printed.stdout)["Statement"]
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    scoped = [r for r in resources if r != "*" and "lambda-reconciler-locks" not in r]
    assert scoped and all("-pr42" in r and ":123456789012:" in r for r in scoped), scoped
    assert all(":eu-west-1:" in r for r in scoped if ":iam::" not in r and ":cloudwatch::" not in r)


def decoys(aws: LocalAws) -> None:
    """Someone else's function and role whose names end with our suffix: read, never touched."""
    iam = aws.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "lambda.amazonaws.com"},
            }
        ],
    }
    role = iam.create_role(
        RoleName=f"decoy-role-{S}",
        AssumeRolePolicyDocument=json.dumps(trust),
        Tags=[{"Key": "ManagedBy", "Value": "someone-else"}],
    )
    lam = aws.client("lambda")
    time.sleep(aws.control.knobs().iam_propagation_seconds)  # until Lambda can assume it
    lam.create_function(
        FunctionName=f"decoy-{S}",
        Runtime="nodejs22.x",
        Handler="index.handler",
        Role=role["Role"]["Arn"],
        Tags={"ManagedBy": "someone-else"},
        Code={"ZipFile": package(ROOT / "handlers" / "transactions").zip_bytes},
    )


def extra_tags(aws: LocalAws) -> set[tuple[str, str, str]]:
    """An `Owner` tag added by hand to one resource of every other taggable kind."""
    extra = [{"Key": "Owner", "Value": "someone"}]
    role, boundary = f"lambda-function-role-{S}", f"etl-boundary-{S}"
    aws.client("iam").tag_role(RoleName=role, Tags=extra)
    policy_arn = f"arn:aws:iam::123456789012:policy/{boundary}"
    aws.client("iam").tag_policy(PolicyArn=policy_arn, Tags=extra)
    group = f"/aws/lambda/lambda-function-{S}"
    aws.client("logs").tag_resource(
        resourceArn=ARN.format("logs", f"log-group:{group}"), tags={"Owner": "someone"}
    )
    sqs = aws.client("sqs")
    queue = f"batch-load-dlq-{S}"
    sqs.tag_queue(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"], Tags={"Owner": "x"})
    table = f"transactions-{S}"
    aws.client("dynamodb").tag_resource(
        ResourceArn=ARN.format("dynamodb", f"table/{table}"), Tags=extra
    )
    alarm = f"batch-load-errors-{S}"
    aws.client("cloudwatch").tag_resource(
        ResourceARN=ARN.format("cloudwatch", f"alarm:{alarm}"), Tags=extra
    )
    xray = aws.client("xray")
    group_arn = xray.get_group(GroupName=f"transactions-{S}")["Group"]["GroupARN"]
    xray.tag_resource(ResourceARN=group_arn, Tags=extra)
    kinds = [
        ("iam.role", role),
        ("iam.policy", boundary),
        ("logs.log_group", group),
        ("sqs.queue", queue),
        ("dynamodb.table", table),
        ("cloudwatch.alarm", alarm),
        ("xray.group", f"transactions-{S}"),
    ]
    return {(kind, name, "tags.Owner") for kind, name in kinds}


def attached_policy(aws: LocalAws) -> set[tuple[str, str, str]]:
    """A managed policy attached by hand (its own name: the drift matrix leaves one behind)."""
    iam = aws.client("iam")
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    arn = iam.create_policy(PolicyName=f"by-hand-{S}", PolicyDocument=json.dumps(document))
    role = f"lambda-function-role-{S}"
    iam.attach_role_policy(RoleName=role, PolicyArn=arn["Policy"]["Arn"])
    return {("iam.role", role, "managed_policies")}


def corrected(aws: LocalAws, expected: set[tuple[str, str, str]]) -> None:
    # Unlike the drift matrix's check, recorded calls are kept: the test audits all of them.
    plan_then_apply(aws, expected, both)
    assert both(aws, "plan").code == 0


def test_both_stacks_live_and_die_inside_the_policy(enforced: LocalAws) -> None:
    aws = enforced
    decoys(aws)
    # The payments system as it ran before: taken over, inside the policy, callers kept.
    legacy.transactions(aws, S)
    first = both(aws, "--adopt")
    assert first.code == 0, first.stdout + first.stderr
    assert "@ lambda.function lambda-function-" in first.stdout
    for case in (c for c in CASES if c.id in DRIFT):
        case.mutate(aws)
        corrected(aws, {(case.kind, case.name, f) for f in case.fields})
    corrected(aws, attached_policy(aws))
    corrected(aws, extra_tags(aws))
    watched = run(aws, "watch", "--once", "--suffix", S, "--stack", "all")
    assert watched.code == 0, watched.stderr
    assert run(aws, "unlock", "--suffix", S).code == 0
    # What it took over goes too, so every delete the policy grants is exercised.
    gone = both(aws, "destroy", "--yes", "--include-adopted")
    assert gone.code == 0, gone.stdout + gone.stderr
    assert aws.client("lambda").get_function(FunctionName=f"decoy-{S}")
    ours = [c for c in aws.control.calls() if c.access_key == RECONCILER_KEY]
    assert [c for c in ours if c.status == 403] == []
    used = {action for c in ours for action in c.actions}
    granted = actions(json.loads(POLICY.read_text()))
    assert used <= granted, "called outside the policy"
    assert granted - used == set(UNREACHED), "granted but never needed"


def test_a_missing_permission_is_one_clear_error_and_no_write(enforced: LocalAws) -> None:
    policy = json.loads(POLICY.read_text())
    for statement in policy["Statement"]:
        if statement["Sid"] == "Discover":
            statement["Action"] = [a for a in statement["Action"] if a != "lambda:ListFunctions"]
    enforced.control.configure(enforce_policy=json.dumps(policy))
    enforced.control.reset_calls()
    try:
        result = run(enforced, "--suffix", "iamdeny")
    finally:
        enforced.control.configure(enforce_policy=POLICY.read_text())
    assert result.code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "AccessDenied" in errors[0], result.stderr
    assert "lambda:ListFunctions" in errors[0]
    assert enforced.control.writes() == []
