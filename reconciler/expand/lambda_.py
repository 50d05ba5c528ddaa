"""Expand stage: functions and what hangs off them (async settings, the alias serving traffic,
its provisioned concurrency), and the stack's layers with their unused versions (pure).

Layers take no tags: they are ours by exact name `<layer>-<suffix>`, and each version records
its content hash in its description, so the same content is never published twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from reconciler.desired.model import AliasSpec, FunctionSpec, LayerSpec, RolloutSpec, StackSpec
from reconciler.desired.names import NameRule
from reconciler.expand.iam import role_arn, role_id
from reconciler.expand.kind import (
    ANY,
    LAMBDA_QUOTAS_PAGE,
    SECONDS_PER_MONTH,
    ArnForms,
    Charge,
    Fields,
    Kind,
    Lookup,
    Named,
    Quota,
    Service,
    alarm_owner,
    function_owner,
    no_names,
)
from reconciler.expand.logs import LOG_GROUP
from reconciler.expand.resources import ComputedFields, Resource, ResourceId
from reconciler.expand.sqs import dead_letter_queue

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext

# What a published version freezes, as our field names: UpdateFunctionCode sets the code
# fields, UpdateFunctionConfiguration the rest. Tags and concurrency belong to the function.
CODE_FIELDS = ("code_sha256", "architecture")
CONFIG_FIELDS = (
    "runtime",
    "handler",
    "memory_mb",
    "timeout_s",
    "tracing",
    "role_arn",
    "environment",
    "kms_key_arn",
    "layers",
    "dead_letter_target",
    "log_format",
    "log_group",
)
VERSIONED = frozenset((*CODE_FIELDS, *CONFIG_FIELDS))
# Hex digits of the content hash by which a function's `layers` field names a version.
REF_DIGITS = 16
# The alias field a rollout in progress shows in (its live value says which step, since when).
ONGOING = "rollout"
# The alarm kind's key: its module imports this one, so it is named here by key.
ALARM_KEY = "cloudwatch.alarm"
NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def version_fingerprint(fields: Mapping[str, Any]) -> str:
    """12 hex characters of SHA-256 over the canonical JSON of what a version freezes."""
    picked = {k: v for k, v in fields.items() if k in VERSIONED}
    canonical = json.dumps(picked, sort_keys=True, default=list, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def versioned_digests(fields: Mapping[str, Any]) -> dict[str, str]:
    """A short hash of each field a version freezes (a table's each key): enough to name what
    differs between two versions, without holding a value (a secret's) to show."""

    def digest(value: Any) -> str:
        canonical = json.dumps(value, sort_keys=True, default=list, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    out: dict[str, str] = {}
    for name in sorted(VERSIONED & fields.keys()):
        value = fields[name]
        if isinstance(value, Mapping) and value:
            out.update({f"{name}.{key}": digest(inner) for key, inner in value.items()})
        else:
            out[name] = digest(value)
    return out


def alias_fields(function_fields: Mapping[str, Any]) -> dict[str, Any]:
    """An alias must serve a version frozen from exactly these function fields, alone: no
    routing left to another version, no rollout under way."""
    return {
        "version_fingerprint": version_fingerprint(function_fields),
        "routing": {},
        ONGOING: None,
    }


def _function_notes(changed: frozenset[str]) -> tuple[str, ...]:
    if "runtime" in changed and changed & {"code_sha256", "architecture"}:
        # UpdateFunctionConfiguration and UpdateFunctionCode are two calls, made back to back.
        return (
            "the runtime and the code change in two calls, one right after the other: in "
            "between, callers of $LATEST run the old code on the new runtime (callers of an "
            "alias keep the version it serves until it moves)",
        )
    return ()


def _function_names(spec: StackSpec) -> list[Named]:
    return [
        Named(f.name, f"{function_owner(f.key)}.name", function_owner(f.key))
        for f in spec.functions
    ]


def _functions(stack: StackContext) -> list[Resource]:
    return [_function(stack, fn) for fn in stack.spec.functions]


def _function(stack: StackContext, fn: FunctionSpec) -> Resource:
    owner = function_owner(fn.key)
    queue = dead_letter_queue(stack, fn)
    layers = tuple(layer_ref(stack, key) for key in fn.layers)
    code = stack.code[fn.key]
    fields: dict[str, Any] = {
        "runtime": fn.runtime,
        "handler": fn.handler,
        "memory_mb": fn.memory_mb,
        "timeout_s": fn.timeout_s,
        "architecture": fn.architecture,
        "tracing": fn.tracing,
        "role_arn": role_arn(stack, fn),
        "environment": _environment(stack, fn),
        "kms_key_arn": fn.kms_key_arn or None,
        "layers": layers,
        "dead_letter_target": stack.target.arn("sqs", queue.name) if queue else None,
        "log_format": fn.log_format,
        "log_group": stack.name(LOG_GROUP, owner),
        "code_sha256": code.sha256,
        "reserved_concurrency": fn.reserved_concurrency,
        "tags": stack.tags,
    }
    role = role_id(stack, fn)
    needs = (
        *((role,) if role else ()),
        stack.id(LOG_GROUP, owner),
        *((queue,) if queue else ()),
        *(ResourceId(LAYER.key, ref.split("@")[0]) for ref in layers),
    )
    return Resource(
        stack.id(FUNCTION, owner),
        fields,
        depends_on=needs,
        sensitive=frozenset(f"environment.{key}" for key, _ in fn.secrets),
        # The aliases it declares: any other alias on it is a caller's.
        payload={"zip": code.zip_bytes, "aliases": (fn.alias.name,) if fn.alias else ()},
    )


def _environment(stack: StackContext, fn: FunctionSpec) -> dict[str, str]:
    where = f"{function_owner(fn.key)}.environment"
    env = {k: stack.placeholders.expand(v, f"{where}.{k}") for k, v in fn.environment}
    env.update({key: stack.secrets[(stack.spec.name, fn.key, key)] for key, _ in fn.secrets})
    return env


def _invoke_configs(stack: StackContext) -> list[Resource]:
    out = []
    for fn in stack.spec.functions:
        if fn.event_invoke is None:
            continue
        fields = {
            "max_retry_attempts": fn.event_invoke.max_retry_attempts,
            "max_event_age_s": fn.event_invoke.max_event_age_s,
        }
        function = stack.id(FUNCTION, function_owner(fn.key))
        out.append(
            Resource(
                ResourceId(EVENT_INVOKE_CONFIG.key, function.name), fields, depends_on=(function,)
            )
        )
    return out


@dataclass(frozen=True)
class Release:
    """How one alias moves to a new version: the declared steps, and the alarms they watch
    (names rendered: the function's own of the stack's [alarms], then existing ones)."""

    function: str
    alias: str
    spec: RolloutSpec
    alarms: tuple[str, ...]
    # The alias's provisioned concurrency: it serves the primary version while weighted.
    provisioned: int = 0
    # What an instance of the function costs (the new version's warm-up is priced by them).
    memory_mb: int = 128
    architecture: str = "x86_64"
    # Scaled: the alias's capacity is the scaler's, read live (the peak's, in a peak).
    scaled: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.function}:{self.alias}"


def release_of(stack: StackContext, fn: FunctionSpec, alias: AliasSpec) -> Release:
    function = stack.name(FUNCTION, function_owner(fn.key))
    owned = (a.name for a in _watched(stack, fn, alias))
    watched = (*owned, *alias.rollout.existing_alarms)
    return Release(
        function,
        alias.name,
        alias.rollout,
        watched,
        alias.provisioned_concurrency,
        fn.memory_mb,
        fn.architecture,
        alias.scaling is not None,
    )


def _watched(stack: StackContext, fn: FunctionSpec, alias: AliasSpec) -> list[ResourceId]:
    """The function's own alarms its rollout watches."""
    return [stack.declared(ALARM_KEY, alarm_owner(fn.key, key)) for key in alias.rollout.alarms]


def _aliases(stack: StackContext) -> list[Resource]:
    functions = {r.id: r for r in stack.built(FUNCTION)}
    out = []
    for fn in stack.spec.functions:
        if fn.alias is None:
            continue
        function = functions[stack.id(FUNCTION, function_owner(fn.key))]
        owned = _watched(stack, fn, fn.alias)
        release = release_of(stack, fn, fn.alias)
        # Recomputed by the planner when the function's fields are adopted from live.
        derived = ComputedFields(function.id, alias_fields)
        payload = {
            "function": function.id.name,
            "alias": fn.alias.name,
            "code_sha256": function.fields["code_sha256"],
            "smoke": fn.alias.smoke,
            # What the version it must serve freezes, as hashes: the plan names what is new.
            "versioned": versioned_digests(function.fields),
            "release": release,
        }
        out.append(
            Resource(
                ResourceId(ALIAS.key, f"{function.id.name}:{fn.alias.name}"),
                alias_fields(function.fields),
                # The alarms a rollout watches exist before it starts.
                depends_on=(function.id, *owned),
                payload=payload,
                computed_from=derived,
                notes=_smoke_notes(fn.alias),
            )
        )
    return out


def _smoke_notes(alias: AliasSpec) -> tuple[str, ...]:
    if alias.smoke is None:
        return ()
    return (
        f"smoke test: {alias.smoke.file} is invoked on the new version before {alias.name} "
        "moves to it; if it fails, the alias stays where it is",
    )


def _provisioned(stack: StackContext) -> list[Resource]:
    out = []
    for fn in stack.spec.functions:
        alias = fn.alias
        if alias is None or not (alias.provisioned_concurrency or alias.scaling):
            continue
        function = stack.name(FUNCTION, function_owner(fn.key))
        qualified = f"{function}:{alias.name}"
        # Provisioned concurrency anywhere but this alias is paid for nothing: drift. Scaled,
        # the count is the scaler's: adopted from live, set only when there is none yet.
        count = None if alias.scaling else alias.provisioned_concurrency
        fields = {"count": count, "status": "READY", "elsewhere": ()}
        out.append(
            Resource(
                ResourceId(PROVISIONED_CONCURRENCY.key, qualified),
                fields,
                depends_on=(ResourceId(ALIAS.key, qualified),),
                # Unreserved (None), its instances come out of the account's unreserved pool.
                payload={
                    "function": function,
                    "alias": alias.name,
                    "reserved": fn.reserved_concurrency,
                    "scaling": alias.scaling,
                    "fixed": alias.provisioned_concurrency,
                },
                ignore=("count",) if alias.scaling else (),
                notes=_scaled_notes(alias),
            )
        )
    return out


def _scaled_notes(alias: AliasSpec) -> tuple[str, ...]:
    if alias.scaling is None:
        return ()
    start = alias.provisioned_concurrency or alias.scaling.min
    return (
        f"count: Application Auto Scaling's, never reset here; a new one starts at {start}, "
        "brought inside the range in force when the target registers",
    )


def _layer_names(spec: StackSpec) -> list[Named]:
    return [Named(x.name, f"layers.{x.key}.name", f"layers.{x.key}") for x in spec.layers]


def _layers(stack: StackContext) -> list[Resource]:
    return [_layer(stack, x) for x in stack.spec.layers]


def _layer(stack: StackContext, layer: LayerSpec) -> Resource:
    code = stack.code[f"layer:{layer.key}"]
    fields = {
        "content_hash": code.hex_digest[:REF_DIGITS],
        "compatible_runtimes": tuple(layer.compatible_runtimes),
        "compatible_architectures": tuple(layer.compatible_architectures),
    }
    payload = {"zip": code.zip_bytes, "hex_digest": code.hex_digest}
    return Resource(stack.id(LAYER, f"layers.{layer.key}"), fields, payload=payload)


def layer_ref(stack: StackContext, key: str) -> str:
    """`<layer>@<content hash>`: how a function names the layer version it must use."""
    digest = stack.code[f"layer:{key}"].hex_digest[:REF_DIGITS]
    return f"{stack.name(LAYER, f'layers.{key}')}@{digest}"


def _unused_layer_versions(stack: StackContext) -> list[Resource]:
    """After every function moved to the new layer version, older unused versions go."""
    out = []
    for layer in stack.spec.layers:
        layer_id = stack.id(LAYER, f"layers.{layer.key}")
        users = tuple(
            stack.id(FUNCTION, function_owner(fn.key))
            for fn in stack.spec.functions
            if layer.key in fn.layers
        )
        out.append(
            Resource(
                ResourceId(LAYER_VERSIONS.key, layer_id.name),
                {"unused_versions": ()},
                depends_on=(layer_id, *users),
                follows=(layer_id,),
                derived=True,
            )
        )
    return out


MB_PER_GB = Decimal(1024)
# The kind that holds an alias's provisioned concurrency when scaling is declared
# (expand.application_autoscaling): its capacity is priced by its schedule, not as a fixed count.
SCALER = "application-autoscaling.target"


def architecture_of(function: Fields) -> str:
    return str(function.get("architecture") or "x86_64")


def _function_usage(resource: Resource, _: Lookup) -> tuple[str, ...]:
    """Requests and duration at its architecture's price; traces when it traces actively."""
    fields = resource.fields
    items = ("lambda.requests", f"lambda.duration.{architecture_of(fields)}")
    return (*items, "xray.traces") if fields.get("tracing") == "Active" else items


def _pc_function(rid: ResourceId, lookup: Lookup) -> Fields | None:
    # A provisioned concurrency's name is its alias's, `function:alias`.
    return lookup(ResourceId(FUNCTION.key, rid.name.split(":", 1)[0]))


def _pc_charge(rid: ResourceId, fields: Fields, lookup: Lookup, _: dt.date) -> Charge | None:
    """Instances x the function's memory x every second of the month, at its
    architecture's price, billed to the function's cost center (a scaled alias's capacity
    is its scaler's to price)."""
    function = _pc_function(rid, lookup)
    count = fields.get("count")
    if not count or function is None or lookup(ResourceId(SCALER, rid.name)) is not None:
        return None
    memory, arch = Decimal(function["memory_mb"]), architecture_of(function)
    return Charge(
        "provisioned concurrency",
        f"lambda.provisioned.{arch}",
        Decimal(count) * memory / MB_PER_GB * SECONDS_PER_MONTH,
        f"{count} x {memory / MB_PER_GB:.3g} GB x 730 h, {arch}",
        function.get("tags") or {},
    )


def _pc_usage(resource: Resource, lookup: Lookup) -> tuple[str, ...]:
    """Invocations its instances serve are billed at the provisioned duration price."""
    function = _pc_function(resource.id, lookup) or {}
    return (f"lambda.provisioned_duration.{architecture_of(function)}",)


LAMBDA = Service(
    "lambda",
    (
        Quota("lambda", "GetFunction", 100, LAMBDA_QUOTAS_PAGE),
        Quota("lambda", "GetPolicy", 15, LAMBDA_QUOTAS_PAGE),
        # Every other control-plane call shares one bucket (invocations are not control plane).
        Quota("lambda", ANY, 15, LAMBDA_QUOTAS_PAGE + "; shared by all other control-plane APIs"),
    ),
    shared=True,
)
FUNCTION = Kind(
    key="lambda.function",
    service=LAMBDA,
    names=_function_names,
    build=_functions,
    rule=NameRule("Lambda function", 64, NAME),
    notes=_function_notes,
    # Versions and aliases are `function:<name>:<qualifier>`.
    arns=ArnForms("lambda", ("function:{}", "function:{}:*")),
    actions=(
        "lambda:CreateFunction",
        "lambda:DeleteFunction",
        "lambda:DeleteFunctionConcurrency",
        "lambda:GetFunction",
        "lambda:GetFunctionConfiguration",
        "lambda:GetFunctionUrlConfig",
        "lambda:GetPolicy",
        "lambda:ListAliases",
        # Who calls it, per version (callers): read before a delete or a takeover.
        "lambda:ListVersionsByFunction",
        "lambda:PutFunctionConcurrency",
        "lambda:TagResource",
        "lambda:UntagResource",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
    ),
    # ListEventSourceMappings takes no resource: IAM evaluates it on "*".
    listing=(
        "lambda:GetAccountSettings",
        "lambda:ListEventSourceMappings",
        "lambda:ListFunctions",
        "lambda:ListTags",
    ),
    creates=("CreateFunction", "Tags"),
    usage=_function_usage,
)
EVENT_INVOKE_CONFIG = Kind(
    key="lambda.event_invoke_config",
    service=LAMBDA,
    names=no_names,
    build=_invoke_configs,
    actions=(
        "lambda:DeleteFunctionEventInvokeConfig",
        "lambda:GetFunctionEventInvokeConfig",
        "lambda:PutFunctionEventInvokeConfig",
    ),
    scope=FUNCTION.key,
)
ALIAS = Kind(
    key="lambda.alias",
    service=LAMBDA,
    names=no_names,
    build=_aliases,
    actions=(
        "lambda:CreateAlias",
        "lambda:DeleteAlias",
        "lambda:DeleteFunction",
        "lambda:DeleteProvisionedConcurrencyConfig",
        "lambda:GetAlias",
        "lambda:GetFunctionConfiguration",
        # A release in steps warms the new version with provisioned concurrency of its own.
        "lambda:GetProvisionedConcurrencyConfig",
        # The smoke test of a new version, before the alias moves to it.
        "lambda:InvokeFunction",
        "lambda:ListAliases",
        "lambda:ListProvisionedConcurrencyConfigs",
        "lambda:ListVersionsByFunction",
        "lambda:PublishVersion",
        "lambda:PutProvisionedConcurrencyConfig",
        "lambda:UpdateAlias",
    ),
    scope=FUNCTION.key,
)
PROVISIONED_CONCURRENCY = Kind(
    key="lambda.provisioned_concurrency",
    service=LAMBDA,
    names=no_names,
    build=_provisioned,
    actions=(
        "lambda:DeleteProvisionedConcurrencyConfig",
        "lambda:GetProvisionedConcurrencyConfig",
        "lambda:ListProvisionedConcurrencyConfigs",
        "lambda:PutProvisionedConcurrencyConfig",
    ),
    scope=FUNCTION.key,
    fixed=_pc_charge,
    usage=_pc_usage,
)
LAYER = Kind(
    key="lambda.layer",
    service=LAMBDA,
    names=_layer_names,
    build=_layers,
    rule=NameRule("Lambda layer", 140, NAME),
    arns=ArnForms("lambda", ("layer:{}", "layer:{}:*")),
    actions=("lambda:DeleteLayerVersion", "lambda:GetLayerVersion", "lambda:PublishLayerVersion"),
    listing=("lambda:ListLayerVersions",),
)
LAYER_VERSIONS = Kind(
    key="lambda.layer_versions",
    service=LAMBDA,
    names=no_names,
    build=_unused_layer_versions,
    actions=("lambda:DeleteLayerVersion",),
    scope=LAYER.key,
)
