"""Desired-state stage: a stack spec + suffix -> the concrete resources it declares (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler import dashboards, fingerprint
from reconciler.errors import InputError
from reconciler.model import FunctionSpec, StackSpec, TableSpec
from reconciler.names import NamedTemplate
from reconciler.packaging import CodePackage
from reconciler.resources import Resource, ResourceId

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class Target:
    """Where the stack goes: suffix, account, region."""

    suffix: str
    account_id: str
    region: str

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        return "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"


def name_templates(spec: StackSpec) -> list[NamedTemplate]:
    """Every generated name of the stack, to check a suffix before any AWS call."""
    items = [NamedTemplate("dynamodb.table", t.name, f"tables.{t.key}") for t in spec.tables]
    for fn in spec.functions:
        where = f"functions.{fn.key}"
        items += [
            NamedTemplate("lambda.function", fn.name, where),
            NamedTemplate("iam.role", fn.role.name, f"{where}.role"),
            NamedTemplate("logs.log_group", f"/aws/lambda/{fn.name}", f"{where} log group"),
        ]
    if spec.xray_group:
        items.append(NamedTemplate("xray.group", spec.xray_group.name, "xray_group"))
    if spec.dashboard:
        items.append(NamedTemplate("cloudwatch.dashboard", spec.dashboard.name, "dashboard"))
    return items


class Names:
    """Rendered names of the stack, for `{suffix}`, `{tables.X}` and `{functions.X}`."""

    def __init__(self, spec: StackSpec, suffix: str) -> None:
        self.values: dict[str, str] = {"suffix": suffix}
        for table in spec.tables:
            self.values[f"tables.{table.key}"] = table.name.replace("{suffix}", suffix)
        for fn in spec.functions:
            self.values[f"functions.{fn.key}"] = fn.name.replace("{suffix}", suffix)

    def expand(self, text: str, where: str) -> str:
        def one(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in self.values:
                raise InputError(f"{where}: unknown placeholder {{{key}}}")
            return self.values[key]

        return PLACEHOLDER.sub(one, text)


@dataclass(frozen=True)
class _Ctx:
    """Everything one stack's rendering needs, passed as one value."""

    spec: StackSpec
    target: Target
    names: Names
    tags: dict[str, str]
    secrets: Mapping[tuple[str, str], str]


def render(
    spec: StackSpec,
    target: Target,
    secrets: Mapping[tuple[str, str], str],
    code: Mapping[str, CodePackage],
) -> tuple[Resource, ...]:
    """All resources of the stack for one suffix, with names, ARNs and tags filled in."""
    ctx = _Ctx(spec, target, Names(spec, target.suffix), spec.all_tags(target.suffix), secrets)
    out = [_table(ctx, t) for t in spec.tables]
    for fn in spec.functions:
        out += _function_resources(ctx, fn, code[fn.key])
    if spec.xray_group:
        out.append(_xray(ctx))
    if spec.dashboard:
        out.append(_dashboard(ctx))
    return tuple(replace(r, stack=spec.name) for r in out)


def _table(ctx: _Ctx, t: TableSpec) -> Resource:
    fields = {
        "billing_mode": t.billing_mode,
        "key_schema": f"{t.hash_key}:{t.hash_key_type}",
        "deletion_protection": False,
        "tags": ctx.tags,
    }
    name = ctx.names.expand(t.name, f"tables.{t.key}.name")
    replace_on = frozenset({"key_schema"})
    return Resource(ResourceId("dynamodb.table", name), fields, replace_on=replace_on)


def _function_resources(ctx: _Ctx, fn: FunctionSpec, code: CodePackage) -> list[Resource]:
    fn_name = ctx.names.expand(fn.name, f"functions.{fn.key}.name")
    log_group = _log_group(ctx, fn, fn_name)
    role = _role(ctx, fn, log_group.id.name)
    function = _function(ctx, fn, fn_name, code, (role, log_group))
    out = [log_group, role, function]
    if fn.alias:
        out += _alias_resources(fn, function)
    return out


def _log_group(ctx: _Ctx, fn: FunctionSpec, fn_name: str) -> Resource:
    fields = {"retention_days": fn.log_retention_days, "tags": ctx.tags}
    return Resource(ResourceId("logs.log_group", f"/aws/lambda/{fn_name}"), fields)


def _role(ctx: _Ctx, fn: FunctionSpec, log_group: str) -> Resource:
    name = ctx.names.expand(fn.role.name, f"functions.{fn.key}.role.name")
    fields = {
        "trust_policy": LAMBDA_TRUST,
        "inline_policies": {f"{name}-access": _access_policy(ctx, fn, log_group)},
        "managed_policies": (),
        "permissions_boundary": None,
        "tags": ctx.tags,
    }
    return Resource(ResourceId("iam.role", name), fields)


def _access_policy(ctx: _Ctx, fn: FunctionSpec, log_group: str) -> dict[str, Any]:
    """Least privilege: its tables (and their indexes), its own log group, X-Ray write."""
    statements: list[dict[str, Any]] = []
    tables = [ctx.names.values[f"tables.{key}"] for key in fn.role.tables]
    if tables and fn.role.dynamodb_actions:
        arns = [ctx.target.arn("dynamodb", f"table/{t}") for t in tables]
        statements.append({
            "Sid": "TableItems",
            "Effect": "Allow",
            "Action": list(fn.role.dynamodb_actions),
            "Resource": arns + [f"{arn}/index/*" for arn in arns],
        })  # fmt: skip
    statements.append({
        "Sid": "OwnLogGroup",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": ctx.target.arn("logs", f"log-group:{log_group}:*"),
    })  # fmt: skip
    statements.append({
        "Sid": "XRayWrite",
        "Effect": "Allow",
        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        # X-Ray's write actions support no resource-level scoping; AWS documents "*" here.
        "Resource": "*",
    })  # fmt: skip
    return {"Version": "2012-10-17", "Statement": statements}


def _function(
    ctx: _Ctx, fn: FunctionSpec, fn_name: str, code: CodePackage, needs: tuple[Resource, Resource]
) -> Resource:
    where = f"functions.{fn.key}.environment"
    env = {k: ctx.names.expand(v, f"{where}.{k}") for k, v in fn.environment}
    env.update({key: ctx.secrets[(fn.key, key)] for key, _ in fn.secrets})
    role, log_group = needs
    versioned = {
        "runtime": fn.runtime,
        "handler": fn.handler,
        "memory_mb": fn.memory_mb,
        "timeout_s": fn.timeout_s,
        "architecture": fn.architecture,
        "tracing": fn.tracing,
        "role_arn": ctx.target.arn("iam", f"role/{role.id.name}", region=False),
        "environment": env,
        "kms_key_arn": fn.kms_key_arn or None,
        "layers": (),
        "dead_letter_target": None,
        "log_format": fn.log_format,
        "log_group": log_group.id.name,
        "code_sha256": code.sha256,
    }
    fields = {**versioned, "reserved_concurrency": fn.reserved_concurrency, "tags": ctx.tags}
    return Resource(
        ResourceId("lambda.function", fn_name),
        fields,
        depends_on=tuple(r.id for r in needs),
        sensitive=frozenset(f"environment.{key}" for key, _ in fn.secrets),
        payload={"zip": code.zip_bytes},
    )


def _alias_resources(fn: FunctionSpec, function: Resource) -> list[Resource]:
    assert fn.alias is not None
    qualified = f"{function.id.name}:{fn.alias.name}"
    alias = Resource(
        ResourceId("lambda.alias", qualified),
        {"version_fingerprint": fingerprint.of(function.fields)},
        depends_on=(function.id,),
        payload={"function": function.id.name, "alias": fn.alias.name,
                 "code_sha256": function.fields["code_sha256"]},
    )  # fmt: skip
    out = [alias]
    if fn.alias.provisioned_concurrency:
        fields = {"count": fn.alias.provisioned_concurrency, "status": "READY"}
        out.append(Resource(
            ResourceId("lambda.provisioned_concurrency", qualified),
            fields,
            depends_on=(alias.id,),
            payload={"function": function.id.name, "alias": fn.alias.name},
        ))  # fmt: skip
    return out


def _xray(ctx: _Ctx) -> Resource:
    group = ctx.spec.xray_group
    assert group is not None
    fields = {
        "filter_expression": ctx.names.expand(
            group.filter_expression, "xray_group.filter_expression"
        ),
        "insights_enabled": group.insights,
        "tags": ctx.tags,
    }
    name = ctx.names.expand(group.name, "xray_group.name")
    return Resource(ResourceId("xray.group", name), fields)


def _dashboard(ctx: _Ctx) -> Resource:
    spec = ctx.spec.dashboard
    assert spec is not None
    functions = [
        (ctx.names.values[f"functions.{fn.key}"], fn.alias.name if fn.alias else None)
        for fn in ctx.spec.functions
    ]
    body = dashboards.body(spec, functions, ctx.target.region)
    name = ctx.names.expand(spec.name, "dashboard.name")
    return Resource(ResourceId("cloudwatch.dashboard", name), {"body": body, "tags": ctx.tags})
