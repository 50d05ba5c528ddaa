"""Desired-state stage: a stack spec + suffix -> the concrete resources it declares (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.desired.model import AlarmSpec, FunctionSpec, LayerSpec, StackSpec, TableSpec
from reconciler.desired.names import NamedTemplate
from reconciler.desired.packaging import CodePackage
from reconciler.errors import InputError
from reconciler.expand import dashboards, fingerprint
from reconciler.expand import role_policies as policies
from reconciler.expand.resources import Resource, ResourceId
from reconciler.expand.targets import Names, Target, base_name

__all__ = ["Names", "Target", "name_templates", "render"]


def name_templates(spec: StackSpec) -> list[NamedTemplate]:
    """Every generated name of the stack, to check a suffix before any AWS call."""
    items = [NamedTemplate("dynamodb.table", t.name, f"tables.{t.key}") for t in spec.tables]
    items += [NamedTemplate("lambda.layer", x.name, f"layers.{x.key}") for x in spec.layers]
    for fn in spec.functions:
        items += _function_templates(spec, fn)
    if spec.boundary:
        items.append(NamedTemplate("iam.policy", spec.boundary, "boundary"))
    if spec.xray_group:
        items.append(NamedTemplate("xray.group", spec.xray_group.name, "xray_group"))
    if spec.dashboard:
        items.append(NamedTemplate("cloudwatch.dashboard", spec.dashboard.name, "dashboard"))
    return items


def _function_templates(spec: StackSpec, fn: FunctionSpec) -> list[NamedTemplate]:
    where = f"functions.{fn.key}"
    items = [
        NamedTemplate("lambda.function", fn.name, where),
        NamedTemplate("iam.role", fn.role.name, f"{where}.role"),
        NamedTemplate("logs.log_group", f"/aws/lambda/{fn.name}", f"{where} log group"),
    ]
    if fn.dead_letter_queue:
        items.append(NamedTemplate("sqs.queue", fn.dead_letter_queue.name, f"{where} DLQ"))
    if fn.critical:
        items += [
            NamedTemplate("cloudwatch.alarm", a.name.replace("{function}", base_name(fn)),
                          f"alarms.{a.key} of {where}")
            for a in spec.alarms
        ]  # fmt: skip
    return items


@dataclass(frozen=True)
class _Ctx:
    """Everything one stack's rendering needs, passed as one value."""

    spec: StackSpec
    target: Target
    names: Names
    tags: dict[str, str]
    secrets: Mapping[tuple[str, str, str], str]
    layer_refs: Mapping[str, str]


def render(
    spec: StackSpec,
    target: Target,
    secrets: Mapping[tuple[str, str, str], str],
    code: Mapping[str, CodePackage],
) -> tuple[Resource, ...]:
    """All resources of the stack for one suffix, with names, ARNs and tags filled in.

    `code` holds a package per function key and per `layer:<key>`.
    """
    names = Names(spec, target.suffix)
    tags = {k: names.expand(v, f"tags.{k}") for k, v in spec.all_tags(target.suffix).items()}
    layers = [_layer(names, x, code[f"layer:{x.key}"]) for x in spec.layers]
    refs = {
        x.key: f"{r.id.name}@{r.fields['content_hash']}"
        for x, r in zip(spec.layers, layers, strict=True)
    }
    ctx = _Ctx(spec, target, names, tags, secrets, refs)
    out = [_table(ctx, t) for t in spec.tables] + layers
    per_function = [_function_resources(ctx, fn, code[fn.key]) for fn in spec.functions]
    out += [r for group in per_function for r in group]
    out += _boundary(ctx, out)
    out += _layer_pruning(layers, out)
    if spec.xray_group:
        out.append(_xray(ctx))
    if spec.dashboard:
        out.append(_dashboard(ctx))
    return tuple(
        replace(r, stack=spec.name, ignore=_ignored(spec, r.id.kind)) for r in _bound(ctx, out)
    )


def _ignored(spec: StackSpec, kind: str) -> tuple[str, ...]:
    return tuple(item.split(":", 1)[1] for item in spec.ignore if item.split(":", 1)[0] == kind)


def _table(ctx: _Ctx, t: TableSpec) -> Resource:
    keys = f"{t.hash_key}:{t.hash_key_type}"
    if t.range_key:
        keys += f",{t.range_key}:{t.range_key_type}"
    fields = {
        "billing_mode": t.billing_mode,
        "key_schema": keys,
        "deletion_protection": False,
        "tags": ctx.tags,
    }
    name = ctx.names.expand(t.name, f"tables.{t.key}.name")
    replace_on = frozenset({"key_schema"})
    return Resource(ResourceId("dynamodb.table", name), fields, replace_on=replace_on)


def _layer(names: Names, layer: LayerSpec, code: CodePackage) -> Resource:
    """Layers take no tags: they are ours by exact name `<layer>-<suffix>`."""
    fields = {
        "content_hash": code.hex_digest[:16],
        "compatible_runtimes": tuple(layer.compatible_runtimes),
        "compatible_architectures": tuple(layer.compatible_architectures),
    }
    name = names.expand(layer.name, f"layers.{layer.key}.name")
    payload = {"zip": code.zip_bytes, "hex_digest": code.hex_digest}
    return Resource(ResourceId("lambda.layer", name), fields, payload=payload)


def _layer_pruning(layers: list[Resource], resources: list[Resource]) -> list[Resource]:
    """After every function moved to the new layer version, older unused versions go."""
    out = []
    for layer in layers:
        users = tuple(
            r.id for r in resources
            if r.id.kind == "lambda.function" and any(
                ref.startswith(f"{layer.id.name}@") for ref in r.fields["layers"])
        )  # fmt: skip
        out.append(Resource(
            ResourceId("lambda.layer_versions", layer.id.name),
            {"unused_versions": ()},
            depends_on=(layer.id, *users),
            follows=(layer.id,),
            derived=True,
        ))  # fmt: skip
    return out


def _function_resources(ctx: _Ctx, fn: FunctionSpec, code: CodePackage) -> list[Resource]:
    fn_name = ctx.names.expand(fn.name, f"functions.{fn.key}.name")
    log_group = _log_group(ctx, fn, fn_name)
    queue = _queue(ctx, fn)
    role = _role(ctx, fn, log_group.id.name, queue)
    needs = tuple(r for r in (role, log_group, queue) if r is not None)
    function = _function(ctx, fn, fn_name, code, needs)
    out = [r for r in (log_group, queue, role, function) if r is not None]
    if fn.event_invoke:
        fields = {
            "max_retry_attempts": fn.event_invoke.max_retry_attempts,
            "max_event_age_s": fn.event_invoke.max_event_age_s,
        }
        kind_id = ResourceId("lambda.event_invoke_config", fn_name)
        out.append(Resource(kind_id, fields, depends_on=(function.id,)))
    if fn.alias:
        out += _alias_resources(fn, function)
    if fn.critical:
        out += [_alarm(ctx, fn, function, queue, a) for a in ctx.spec.alarms]
    return out


def _log_group(ctx: _Ctx, fn: FunctionSpec, fn_name: str) -> Resource:
    fields = {"retention_days": fn.log_retention_days, "tags": ctx.tags}
    return Resource(ResourceId("logs.log_group", f"/aws/lambda/{fn_name}"), fields)


def _queue(ctx: _Ctx, fn: FunctionSpec) -> Resource | None:
    spec = fn.dead_letter_queue
    if spec is None:
        return None
    fields = {
        "retention_s": spec.retention_s,
        "visibility_timeout_s": spec.visibility_timeout_s,
        "sse": True,
        "fifo": False,
        "tags": ctx.tags,
    }
    name = ctx.names.expand(spec.name, f"functions.{fn.key}.dead_letter_queue.name")
    return Resource(ResourceId("sqs.queue", name), fields, replace_on=frozenset({"fifo"}))


def _queue_arn(ctx: _Ctx, queue: Resource | None) -> str | None:
    return ctx.target.arn("sqs", queue.id.name) if queue else None


def _role(ctx: _Ctx, fn: FunctionSpec, log_group: str, queue: Resource | None) -> Resource:
    name = ctx.names.expand(fn.role.name, f"functions.{fn.key}.role.name")
    document = policies.access_policy(fn, ctx.names, ctx.target, log_group, _queue_arn(ctx, queue))
    fields = {
        "trust_policy": policies.LAMBDA_TRUST,
        "inline_policies": {f"{name}-access": document},
        "managed_policies": (),
        "permissions_boundary": None,
        "tags": ctx.tags,
    }
    return Resource(ResourceId("iam.role", name), fields)


def _boundary(ctx: _Ctx, resources: list[Resource]) -> list[Resource]:
    if not ctx.spec.boundary:
        return []
    roles = [r for r in resources if r.id.kind == "iam.role"]
    documents = [doc for role in roles for doc in role.fields["inline_policies"].values()]
    name = ctx.names.expand(ctx.spec.boundary, "boundary.name")
    document = policies.boundary_policy(documents)
    if policies.document_chars(document) > policies.MANAGED_POLICY_CHARS:
        document = policies.widened(document, ctx.target.suffix)
    size = policies.document_chars(document)
    if size > policies.MANAGED_POLICY_CHARS:
        # AWS would refuse it midway through the first apply: refuse it before any call.
        raise InputError(
            f"{ctx.spec.path.name}: boundary policy {name} would be {size} characters, over "
            f"IAM's {policies.MANAGED_POLICY_CHARS}; split the stack or drop the boundary"
        )
    fields = {"document": document, "tags": ctx.tags}
    return [Resource(ResourceId("iam.policy", name), fields)]


def _bound(ctx: _Ctx, resources: list[Resource]) -> list[Resource]:
    """Every role capped by the stack's boundary policy, created after it."""
    boundary = next((r for r in resources if r.id.kind == "iam.policy"), None)
    if boundary is None:
        return resources
    arn = ctx.target.arn("iam", f"policy/{boundary.id.name}", region=False)
    return [
        replace(r, fields={**r.fields, "permissions_boundary": arn},
                depends_on=(*r.depends_on, boundary.id))
        if r.id.kind == "iam.role" else r
        for r in resources
    ]  # fmt: skip


def _function(
    ctx: _Ctx, fn: FunctionSpec, fn_name: str, code: CodePackage, needs: tuple[Resource, ...]
) -> Resource:
    where = f"functions.{fn.key}.environment"
    env = {k: ctx.names.expand(v, f"{where}.{k}") for k, v in fn.environment}
    env.update({key: ctx.secrets[(ctx.spec.name, fn.key, key)] for key, _ in fn.secrets})
    role = next(r for r in needs if r.id.kind == "iam.role")
    queue = next((r for r in needs if r.id.kind == "sqs.queue"), None)
    layers = tuple(ctx.layer_refs[key] for key in fn.layers)
    versioned: dict[str, Any] = {
        "runtime": fn.runtime,
        "handler": fn.handler,
        "memory_mb": fn.memory_mb,
        "timeout_s": fn.timeout_s,
        "architecture": fn.architecture,
        "tracing": fn.tracing,
        "role_arn": ctx.target.arn("iam", f"role/{role.id.name}", region=False),
        "environment": env,
        "kms_key_arn": fn.kms_key_arn or None,
        "layers": layers,
        "dead_letter_target": _queue_arn(ctx, queue),
        "log_format": fn.log_format,
        "log_group": f"/aws/lambda/{fn_name}",
        "code_sha256": code.sha256,
    }
    fields = {**versioned, "reserved_concurrency": fn.reserved_concurrency, "tags": ctx.tags}
    layer_ids = tuple(ResourceId("lambda.layer", ref.split("@")[0]) for ref in layers)
    return Resource(
        ResourceId("lambda.function", fn_name),
        fields,
        depends_on=(*(r.id for r in needs), *layer_ids),
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
        # Provisioned concurrency anywhere but this alias is paid for nothing: drift.
        fields = {"count": fn.alias.provisioned_concurrency, "status": "READY", "elsewhere": ()}
        out.append(Resource(
            ResourceId("lambda.provisioned_concurrency", qualified),
            fields,
            depends_on=(alias.id,),
            payload={"function": function.id.name, "alias": fn.alias.name},
        ))  # fmt: skip
    return out


def _alarm(
    ctx: _Ctx, fn: FunctionSpec, function: Resource, queue: Resource | None, alarm: AlarmSpec
) -> Resource:
    where = f"alarms.{alarm.key}"
    name = ctx.names.expand(alarm.name, f"{where}.name", function=base_name(fn))
    if alarm.source == "dlq":
        dimensions = {"QueueName": queue.id.name} if queue else {}
    else:
        dimensions = {"FunctionName": function.id.name}
    actions = (ctx.spec.alarm_action_arn,) if ctx.spec.alarm_action_arn else ()
    fields: dict[str, Any] = {
        "namespace": alarm.namespace,
        "metric": alarm.metric,
        "statistic": alarm.statistic,
        "dimensions": dimensions,
        "period_s": alarm.period_s,
        "evaluation_periods": alarm.evaluation_periods,
        "threshold": alarm.threshold,
        "comparison": alarm.comparison,
        # No data means no failures: an idle pipeline is healthy, not alarming.
        "treat_missing_data": "notBreaching",
        "alarm_actions": actions,
        "ok_actions": actions,
        "tags": ctx.tags,
    }
    needs = (function.id, *((queue.id,) if queue and alarm.source == "dlq" else ()))
    return Resource(ResourceId("cloudwatch.alarm", name), fields, depends_on=needs)


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
    fields = {"body": body, "tags": ctx.tags}
    return Resource(ResourceId("cloudwatch.dashboard", name), fields, tagged_after_create=True)
