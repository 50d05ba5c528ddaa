"""Output: the least-privilege IAM policy the reconciler itself runs with, derived from the
stacks and the kinds' descriptors (pure).

Every write is scoped to the ARNs of the names the stacks declare, with `*` (or one suffix) in
place of `{suffix}`. Reads that discovery makes across the whole account (listings, and tags of
any name ending `-<suffix>`, which may not be ours) are granted on `*`: they return metadata
only, and denying them would make discovery fail closed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.apply.lock import TABLE as LOCK_TABLE
from reconciler.desired import secrets
from reconciler.desired.model import StackSpec
from reconciler.expand import declared_names
from reconciler.expand.catalog import KINDS
from reconciler.expand.iam import ROLE
from reconciler.expand.kind import Kind
from reconciler.expand.targets import PLACEHOLDER, Target

VERSION = "2012-10-17"
# The lease table every run of every suffix shares (see reconciler.apply.lock).
LOCK_ACTIONS = (
    "dynamodb:CreateTable",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:TagResource",
    "dynamodb:UpdateItem",
)


@dataclass(frozen=True)
class PolicyScope:
    """Whose resources the policy covers: one suffix (or `*`), account and region (or `*`)."""

    suffix: str = "*"
    account: str = "*"
    region: str = "*"

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        # The same ARN rules as the stacks' own (partition by region), with `*` allowed.
        return Target(self.suffix, self.account, self.region).arn(service, resource, regional)


def policy(specs: Iterable[StackSpec], scope: PolicyScope) -> dict[str, object]:
    """The identity policy document a run of `specs` needs, and nothing more."""
    specs = list(specs)
    names = [(d.kind, d.template) for spec in specs for d in declared_names(spec)]
    listing = {action for kind in KINDS for action in kind.account_reads}
    statements: list[dict[str, object]] = [
        _statement("Discover", listing, ["*"]),
        _statement("Lease", LOCK_ACTIONS, [scope.arn("dynamodb", f"table/{LOCK_TABLE}")]),
    ]
    for kind in KINDS:
        arns = sorted({arn for k, t in names if k is kind for arn in arns_of(kind, t, scope)})
        if arns:
            statements.append(_statement(_sid(kind.key), _actions_scoped_by(kind), arns))
    used = {fn.role.arn for spec in specs for fn in spec.functions if fn.role.arn}
    statements.append(_pass_role(names, scope, used))
    statements += _linked_roles({kind for kind, _ in names}, scope)
    parameters = _parameters(specs, scope)
    if parameters:
        statements.append(_statement("ReadSecrets", ("ssm:GetParameters",), parameters))
    return {"Version": VERSION, "Statement": statements}


def rendered(specs: Iterable[StackSpec], scope: PolicyScope) -> str:
    return json.dumps(policy(specs, scope), indent=2) + "\n"


def _actions_scoped_by(kind: Kind) -> set[str]:
    """What the adapters call on this kind's resources, and on those named after them."""
    return {action for k in KINDS if k.scoped_by == kind.key for action in k.actions}


def arns_of(kind: Kind, template: str, scope: PolicyScope) -> list[str]:
    """The ARN patterns IAM evaluates for one declared name (with `*` for placeholders)."""
    if kind.arns is None:
        return []
    name = PLACEHOLDER.sub("*", template.replace("{suffix}", scope.suffix))
    forms = kind.arns
    return [scope.arn(forms.service, form.format(name), forms.regional) for form in forms.resources]


def _pass_role(
    names: list[tuple[Kind, str]], scope: PolicyScope, used: set[str]
) -> dict[str, object]:
    # Lambda needs iam:PassRole to give a function its role; only to Lambda, only our roles
    # and the existing ones the stacks name by ARN.
    ours = {a for k, t in names if k.key == ROLE.key for a in arns_of(k, t, scope)}
    roles = sorted(ours | used)
    statement = _statement("PassFunctionRoles", ("iam:PassRole",), roles)
    statement["Condition"] = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    return statement


def _linked_roles(kinds: set[Kind], scope: PolicyScope) -> list[dict[str, object]]:
    """The service-linked role a kind's first create makes AWS create (Application Auto
    Scaling's for Lambda): that role only, for that service only."""
    out = []
    for kind in sorted(kinds, key=lambda k: k.key):
        if kind.linked_role is None:
            continue
        service, role = kind.linked_role
        arn = scope.arn("iam", role, regional=False)
        statement = _statement(
            f"{_sid(kind.key)}LinkedRole", ("iam:CreateServiceLinkedRole",), [arn]
        )
        statement["Condition"] = {"StringEquals": {"iam:AWSServiceName": service}}
        out.append(statement)
    return out


def _parameters(specs: list[StackSpec], scope: PolicyScope) -> list[str]:
    paths = {
        ref.locator
        for spec in specs
        for ref in secrets.rendered(
            secrets.sources([spec]),
            {"suffix": scope.suffix, "env": spec.env, "account": scope.account},
        ).values()
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
    return "".join(part.capitalize() for part in re.split(r"[._-]", kind))
