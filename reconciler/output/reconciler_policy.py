"""The least-privilege IAM policy the reconciler itself runs with, derived from the stacks (pure).

Every write is scoped to the ARNs of the names the stacks declare, with `*` (or one suffix) in
place of `{suffix}`. Reads that discovery makes across the whole account (listings, and tags of
any name ending `-<suffix>`, which may not be ours) are granted on `*`: they return metadata
only, and denying them would make discovery fail closed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.apply.lock import TABLE as LOCK_TABLE
from reconciler.desired.model import StackSpec
from reconciler.desired.names import NamedTemplate
from reconciler.expand.builders import name_templates
from reconciler.expand.targets import PLACEHOLDER, Target

VERSION = "2012-10-17"

# Calls that list or describe a whole service, or read tags during discovery.
ANYWHERE = (
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListDashboards",
    "cloudwatch:ListTagsForResource",
    "dynamodb:ListTables",
    "dynamodb:ListTagsOfResource",
    "iam:ListPolicies",
    "iam:ListPolicyTags",
    "iam:ListRoleTags",
    "iam:ListRoles",
    "lambda:GetAccountSettings",
    "lambda:ListFunctions",
    "lambda:ListLayerVersions",
    "lambda:ListTags",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "sqs:ListQueueTags",
    "sqs:ListQueues",
    "xray:GetGroups",
    "xray:ListTagsForResource",
)

# What the adapters call on each kind of resource, by the kind whose ARN scopes it.
BY_KIND: dict[str, tuple[str, ...]] = {
    "lambda.function": (
        "lambda:CreateAlias", "lambda:CreateFunction", "lambda:DeleteAlias",
        "lambda:DeleteFunction", "lambda:DeleteFunctionConcurrency",
        "lambda:DeleteFunctionEventInvokeConfig", "lambda:DeleteProvisionedConcurrencyConfig",
        "lambda:GetAlias", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
        "lambda:GetFunctionEventInvokeConfig", "lambda:GetProvisionedConcurrencyConfig",
        "lambda:ListAliases", "lambda:ListProvisionedConcurrencyConfigs",
        "lambda:ListVersionsByFunction", "lambda:PublishVersion", "lambda:PutFunctionConcurrency",
        "lambda:PutFunctionEventInvokeConfig", "lambda:PutProvisionedConcurrencyConfig",
        "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateAlias",
        "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    ),
    "lambda.layer": (
        "lambda:DeleteLayerVersion", "lambda:GetLayerVersion", "lambda:PublishLayerVersion",
    ),
    "iam.role": (
        "iam:CreateRole", "iam:DeleteRole",
        "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
        "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
        "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy",
    ),
    "iam.policy": (
        "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy",
        "iam:DeletePolicyVersion", "iam:GetPolicyVersion",
        "iam:ListPolicyVersions", "iam:TagPolicy", "iam:UntagPolicy",
    ),
    "logs.log_group": (
        "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
        "logs:TagResource", "logs:UntagResource",
    ),
    "sqs.queue": (
        "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
        "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue",
    ),
    "dynamodb.table": (
        "dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable",
        "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:UpdateTable",
    ),
    "cloudwatch.alarm": (
        "cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource",
        "cloudwatch:UntagResource",
    ),
    "cloudwatch.dashboard": (
        "cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard",
        "cloudwatch:TagResource", "cloudwatch:UntagResource",
    ),
    "xray.group": (
        "xray:CreateGroup", "xray:DeleteGroup", "xray:TagResource",
        "xray:UntagResource", "xray:UpdateGroup",
    ),
}  # fmt: skip

# The lease table every run of every suffix shares (see reconciler.apply.lock).
LOCK_ACTIONS = (
    "dynamodb:CreateTable", "dynamodb:DeleteItem", "dynamodb:DescribeTable",
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:TagResource", "dynamodb:UpdateItem",
)  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """Whose resources the policy covers: one suffix (or `*`), account and region (or `*`)."""

    suffix: str = "*"
    account: str = "*"
    region: str = "*"

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        # The same ARN rules as the stacks' own (partition by region), with `*` allowed.
        return Target(self.suffix, self.account, self.region).arn(service, resource, regional)


def policy(specs: Iterable[StackSpec], scope: Scope) -> dict[str, object]:
    """The identity policy document a run of `specs` needs, and nothing more."""
    specs = list(specs)
    names = [t for spec in specs for t in name_templates(spec)]
    statements: list[dict[str, object]] = [
        _statement("Discover", ANYWHERE, ["*"]),
        _statement("Lease", LOCK_ACTIONS, [scope.arn("dynamodb", f"table/{LOCK_TABLE}")]),
    ]
    for kind, actions in BY_KIND.items():
        arns = sorted({arn for t in names if t.kind == kind for arn in arns_of(t, scope)})
        if arns:
            statements.append(_statement(_sid(kind), actions, arns))
    statements.append(_pass_role(names, scope))
    parameters = _parameters(specs, scope)
    if parameters:
        statements.append(_statement("ReadSecrets", ("ssm:GetParameters",), parameters))
    return {"Version": VERSION, "Statement": statements}


def render(specs: Iterable[StackSpec], scope: Scope) -> str:
    return json.dumps(policy(specs, scope), indent=2) + "\n"


# Per kind: service, the resource part(s) of its ARN patterns, and whether it is regional.
# Functions and layers add `:*` for versions and aliases; log groups for their streams; an
# X-Ray group's ARN ends with an id X-Ray assigns, so by name alone it has none.
_ARN_FORMS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "lambda.function": ("lambda", ("function:{}", "function:{}:*"), True),
    "lambda.layer": ("lambda", ("layer:{}", "layer:{}:*"), True),
    "iam.role": ("iam", ("role/{}",), False),
    "iam.policy": ("iam", ("policy/{}",), False),
    "logs.log_group": ("logs", ("log-group:{}", "log-group:{}:*"), True),
    "xray.group": ("xray", ("group/{}", "group/{}/*"), True),
    "sqs.queue": ("sqs", ("{}",), True),
    "dynamodb.table": ("dynamodb", ("table/{}",), True),
    "cloudwatch.alarm": ("cloudwatch", ("alarm:{}",), True),
    "cloudwatch.dashboard": ("cloudwatch", ("dashboard/{}",), False),
}


def arns_of(template: NamedTemplate, scope: Scope) -> list[str]:
    """The ARN patterns IAM evaluates for one declared name (with `*` for placeholders)."""
    name = _pattern(template.template, scope.suffix)
    service, forms, regional = _ARN_FORMS[template.kind]
    return [scope.arn(service, form.format(name), regional) for form in forms]


def _pattern(template: str, suffix: str) -> str:
    """A name template as an IAM pattern: the suffix given, any other placeholder `*`."""
    return PLACEHOLDER.sub("*", template.replace("{suffix}", suffix))


def _pass_role(names: list[NamedTemplate], scope: Scope) -> dict[str, object]:
    # Lambda needs iam:PassRole to give a function its role; only to Lambda, only our roles.
    roles = sorted({a for t in names if t.kind == "iam.role" for a in arns_of(t, scope)})
    statement = _statement("PassFunctionRoles", ("iam:PassRole",), roles)
    statement["Condition"] = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    return statement


def _parameters(specs: list[StackSpec], scope: Scope) -> list[str]:
    paths = {
        ref.locator
        for spec in specs
        for fn in spec.functions
        for _, ref in fn.secrets
        if ref.scheme == "ssm"
    }
    return sorted(scope.arn("ssm", f"parameter/{p.lstrip('/')}") for p in paths)


def _statement(sid: str, actions: Iterable[str], resources: list[str]) -> dict[str, object]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": resources if len(resources) > 1 else resources[0],
    }


def _sid(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.replace("_", ".").split("."))
