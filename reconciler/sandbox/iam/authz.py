"""What IAM authorizes for one request: the actions and resource ARNs AWS would evaluate.

Follows the Service Authorization Reference for the operations the reconciler uses: most
operations are `service:Operation` on the ARN of the resource they name; listings are on `*`;
some requests imply more (CreateFunction passes a role and reads layers; creating with tags also
needs the service's TagResource). An operation not described here is evaluated on `*`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from reconciler.expand.catalog import KINDS
from reconciler.expand.kind import Kind
from reconciler.sandbox.lambda_.names import split_function_ref
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call
from reconciler.sandbox.wire.routing import QUERY


@dataclass(frozen=True)
class Authorization:
    """One action on one resource that must be allowed for a request to proceed."""

    action: str
    resource: str
    # Condition keys this request supplies (e.g. iam:PassedToService).
    context: tuple[tuple[str, str], ...] = ()


# Operations whose IAM action has another name than the operation.
_ACTION_NAMES = {
    ("lambda", "GetLayerVersionByArn"): "GetLayerVersion",
    ("lambda", "Invoke"): "InvokeFunction",
}
# Services whose IAM prefix is not their signing name.
_ACTION_PREFIXES = {"resourcegroupstaggingapi": "tag"}
# Requests that give a function its role and layers.
_CONFIGURES_FUNCTION = {("lambda", "CreateFunction"), ("lambda", "UpdateFunctionConfiguration")}
# Operations AWS authorizes without any permission.
_FREE = {("sts", "GetCallerIdentity")}


def tagged_creates(kinds: Iterable[Kind]) -> dict[tuple[str, str], tuple[str, str]]:
    """(service, create operation): (the tagging action, its tags parameter), for every kind
    whose create takes tags (its descriptor says so: `Kind.creates`, `Kind.tag_action`)."""
    found = {}
    for kind in kinds:
        if kind.creates is not None and kind.tag_action is not None:
            operation, parameter = kind.creates
            found[(kind.service.name, operation)] = (kind.tag_action, parameter)
    return found


# The tagging action a create request with tags also needs.
_TAG_ON_CREATE = tagged_creates(KINDS)


def linked_role_creates(kinds: Iterable[Kind]) -> dict[tuple[str, str], tuple[str, str]]:
    """(service, create operation): (the service-linked role's principal, its path), for every
    kind whose first create makes AWS create a service-linked role (`Kind.linked_role`)."""
    return {
        (kind.service.name, kind.creates[0]): kind.linked_role
        for kind in kinds
        if kind.creates is not None and kind.linked_role is not None
    }


_LINKED_ROLE = linked_role_creates(KINDS)


def params(call: Call) -> dict[str, Any]:
    """The request's parameters, whatever the protocol carried them in."""
    values: dict[str, Any] = {}
    query = parse_qs(str(call.environ.get("QUERY_STRING", "")))
    values.update({key: items[0] for key, items in query.items()})
    values.update(call.form() if call.route.protocol == QUERY else call.json())
    values.update({key: unquote(value) for key, value in call.route.path_params.items()})
    return values


def authorizations(call: Call) -> tuple[Authorization, ...]:
    """Every (action, resource) IAM checks before it lets `call` through."""
    key = (call.service, call.operation)
    if key in _FREE:
        return ()
    prefix = _ACTION_PREFIXES.get(call.service, call.service)
    action = f"{prefix}:{_ACTION_NAMES.get(key, call.operation)}"
    p = params(call)
    arn = _Arns(call.region, call.account)
    resolver = _RESOLVERS.get(call.service)
    resources = list(resolver(arn, call.operation, p)) if resolver else []
    found = [Authorization(action, r) for r in resources or ["*"]]
    found += _implied(call, p, resources)
    return tuple(found)


def _implied(call: Call, p: dict[str, Any], resources: list[str]) -> list[Authorization]:
    extra: list[Authorization] = []
    tagging = _TAG_ON_CREATE.get((call.service, call.operation))
    if tagging and _given(p, tagging[1]):
        extra += [Authorization(tagging[0], r) for r in resources or ["*"]]
    linked = _LINKED_ROLE.get((call.service, call.operation))
    if linked is not None and not moto_backends.role_exists(call.account, linked[1]):
        # The first one in the account makes AWS create its role: the caller may do so.
        named = (("iam:AWSServiceName", linked[0]),)
        role = f"arn:aws:iam::{call.account}:{linked[1]}"
        extra.append(Authorization("iam:CreateServiceLinkedRole", role, named))
    if (call.service, call.operation) in _CONFIGURES_FUNCTION:
        if p.get("Role"):
            passed = (("iam:PassedToService", "lambda.amazonaws.com"),)
            extra.append(Authorization("iam:PassRole", str(p["Role"]), passed))
        extra += [Authorization("lambda:GetLayerVersion", str(x)) for x in p.get("Layers") or []]
    return extra


def _given(p: dict[str, Any], name: str) -> bool:
    # The query protocol flattens lists into `Tags.member.1.Key` and so on.
    return bool(p.get(name)) or any(key.startswith(f"{name}.") for key in p)


@dataclass(frozen=True)
class _Arns:
    region: str
    account: str

    def of(self, service: str, resource: str, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:aws:{service}:{region}:{self.account}:{resource}"


Resolver = Callable[[_Arns, str, dict[str, Any]], Iterable[str]]


def _lambda(arn: _Arns, operation: str, p: dict[str, Any]) -> Iterable[str]:
    if "Resource" in p:  # tagging
        return [str(p["Resource"])]
    if operation == "GetLayerVersionByArn":
        return [str(p.get("Arn", ""))]
    if "LayerName" in p:
        layer = str(p["LayerName"]).split(":layer:")[-1]
        version = f":{p['VersionNumber']}" if "VersionNumber" in p else ""
        if operation == "ListLayerVersions":
            return []
        return [arn.of("lambda", f"layer:{layer}{version}")]
    # ListEventSourceMappings names a function but takes no resource: evaluated on "*".
    if "FunctionName" not in p or operation == "ListEventSourceMappings":
        return []
    name, qualifier = split_function_ref(str(p["FunctionName"]))
    if operation != "CreateAlias":
        qualifier = qualifier or p.get("Name") or p.get("Qualifier")
    suffix = f":{qualifier}" if qualifier else ""
    return [arn.of("lambda", f"function:{name}{suffix}")]


def _iam(arn: _Arns, operation: str, p: dict[str, Any]) -> Iterable[str]:
    if "RoleName" in p:
        return [arn.of("iam", f"role/{p['RoleName']}", regional=False)]
    if "PolicyArn" in p:
        return [str(p["PolicyArn"])]
    if operation == "CreatePolicy":
        return [arn.of("iam", f"policy/{p.get('PolicyName', '')}", regional=False)]
    return []


def _logs(arn: _Arns, operation: str, p: dict[str, Any]) -> Iterable[str]:
    if "resourceArn" in p:
        return [str(p["resourceArn"])]
    if "logGroupName" in p and operation != "DescribeLogGroups":
        return [arn.of("logs", f"log-group:{p['logGroupName']}")]
    return []


def _sqs(arn: _Arns, operation: str, p: dict[str, Any]) -> Iterable[str]:
    if "QueueUrl" in p:
        return [arn.of("sqs", urlparse(str(p["QueueUrl"])).path.rsplit("/", 1)[-1])]
    if "QueueName" in p:
        return [arn.of("sqs", str(p["QueueName"]))]
    return []


def _dynamodb(arn: _Arns, operation: str, p: dict[str, Any]) -> Iterable[str]:
    if "ResourceArn" in p:
        return [str(p["ResourceArn"])]
    if "TableName" in p:
        return [arn.of("dynamodb", f"table/{p['TableName']}")]
    return []


def _cloudwatch(arn: _Arns, operation: str, p: dict[str, Any]) -> Iterable[str]:
    if "ResourceARN" in p:
        return [str(p["ResourceARN"])]
    if operation == "DescribeAlarms":
        return []
    alarms = [p["AlarmName"]] if "AlarmName" in p else p.get("AlarmNames") or []
    dashboards = [p["DashboardName"]] if "DashboardName" in p else p.get("DashboardNames") or []
    return [arn.of("cloudwatch", f"alarm:{name}") for name in alarms] + [
        arn.of("cloudwatch", f"dashboard/{name}", regional=False) for name in dashboards
    ]


def _xray(arn: _Arns, operation: str, p: dict[str, Any]) -> Iterable[str]:
    if "ResourceARN" in p:
        return [str(p["ResourceARN"])]
    if "GroupARN" in p:
        return [str(p["GroupARN"])]
    if "GroupName" in p:
        return [arn.of("xray", f"group/{p['GroupName']}")]
    return []


def _ssm(arn: _Arns, operation: str, p: dict[str, Any]) -> Iterable[str]:
    names = [p["Name"]] if "Name" in p else p.get("Names") or []
    return [arn.of("ssm", f"parameter/{str(name).lstrip('/')}") for name in names]


def _application_autoscaling(arn: _Arns, operation: str, p: dict[str, Any]) -> Iterable[str]:
    if "ResourceARN" in p:  # tagging
        return [str(p["ResourceARN"])]
    if operation.startswith("Describe") or "ResourceId" not in p:
        return []  # its listings take no resource
    # A target's own ARN (its id AWS's); one not registered yet is evaluated as a new one.
    known = moto_backends.scalable_target_arn(arn.account, arn.region, str(p["ResourceId"]))
    return [known or arn.of("application-autoscaling", "scalable-target/new")]


_RESOLVERS: dict[str, Resolver] = {
    "application-autoscaling": _application_autoscaling,
    "lambda": _lambda,
    "iam": _iam,
    "logs": _logs,
    "sqs": _sqs,
    "dynamodb": _dynamodb,
    "cloudwatch": _cloudwatch,
    "xray": _xray,
    "ssm": _ssm,
}
