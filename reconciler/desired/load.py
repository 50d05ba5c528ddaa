"""Load stage: load a stack's TOML into frozen dataclasses, refusing bad files."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from reconciler.desired import runtimes
from reconciler.desired.fields import (
    ALARM,
    ALIAS,
    ASYNC,
    BOUNDARY,
    DASHBOARD,
    FUNCTION,
    LAYER,
    QUEUE,
    ROLE,
    ROLLOUT,
    STACK,
    TABLE,
    TABLE_ACCESS,
    TOP,
    XRAY,
    duration_s,
)
from reconciler.desired.model import (
    ALL_AT_ONCE,
    LINEAR,
    AlarmSpec,
    AliasSpec,
    AsyncSpec,
    DashboardSpec,
    FunctionSpec,
    LayerSpec,
    QueueSpec,
    RoleSpec,
    RolloutSpec,
    SecretRef,
    SmokeSpec,
    StackSpec,
    TableAccess,
    TableSpec,
    XRayGroupSpec,
)
from reconciler.desired.packaging import is_zip
from reconciler.desired.scaling import read_scaling
from reconciler.desired.schema import read_table
from reconciler.desired.secrets import SECRET_LIKE
from reconciler.errors import InputError, did_you_mean
from reconciler.expand.catalog import KEYS

# A source may name where it is used: `{suffix}`, `{env}`, `{account}` (see desired.secrets).
_PLACE = r"\{(?:suffix|env|account)\}"
SECRET_SOURCE = re.compile(
    rf"^(env):((?:[A-Za-z_]|{_PLACE})(?:[A-Za-z0-9_]|{_PLACE})*)$"
    rf"|^(ssm):(/(?:[A-Za-z0-9_.\-/]|{_PLACE})+)$"
)
# The environment a run is for when none is named.
DEFAULT_ENV = "dev"
ENV_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Lambda reserves these keys; setting them fails at AWS, so refuse them here.
RESERVED_ENV = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_EXECUTION_ENV",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_XRAY_CONTEXT_MISSING",
    "TZ",
}


def load_stack(path: Path, env: str | None = DEFAULT_ENV, *, any_env: bool = False) -> StackSpec:
    """Read one desired-state file; any problem is one InputError line naming file and key
    (and line, where the TOML parser gives one). `env` None: no environment's values (what
    only removes needs none). A stack that declares no environments takes only the default,
    unless `any_env` (another stack of the run declares `env`)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: desired-state file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path.name}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return _stack(path, data, env, any_env)
    except InputError as exc:
        raise InputError(f"{path.name}: {exc}") from None


def _stack(path: Path, data: dict[str, Any], env: str | None, any_env: bool) -> StackSpec:
    top = read_table("(top level)", data, TOP)
    stack = read_table("stack", top["stack"], STACK)
    defaults = _defaults(top, env, any_env)
    functions = tuple(
        _function(path.parent, key, _merge(defaults, f))
        for key, f in _named_tables("functions", top["functions"])
    )
    alarms, action = _alarms(top["alarms"])
    boundary = top["boundary"]
    spec = StackSpec(
        name=stack["name"],
        region=stack["region"],
        path=path,
        tags=tuple(sorted(top["tags"].items())),
        tables=tuple(_table(key, t) for key, t in _named_tables("tables", top["tables"])),
        functions=functions,
        xray_group=_xray(top["xray_group"]),
        dashboard=_dashboard(top["dashboard"]),
        account_ids=tuple(top["account_ids"]),
        env=env or "",
        layers=tuple(_layer(path.parent, k, v) for k, v in _named_tables("layers", top["layers"])),
        boundary=read_table("boundary", boundary, BOUNDARY)["name"] if boundary else None,
        alarms=alarms,
        alarm_action_arn=action,
        ignore=tuple(_ignore(item) for item in top["ignore"]),
    )
    _check_references(spec)
    return spec


def _ignore(item: str) -> str:
    kind, _, path = item.partition(":")
    if kind not in KEYS or not path:
        raise InputError(
            f"ignore: {item!r} is not `kind:field` with a known kind "
            "(e.g. lambda.function:tags.Owner)"
        )
    return item


def _defaults(top: dict[str, Any], env: str | None, any_env: bool) -> dict[str, Any]:
    """Function defaults with the chosen environment's values on top."""
    environments = top["environments"]
    if env is None:
        return dict(top["function_defaults"])
    if environments and env not in environments:
        known = ", ".join(sorted(environments))
        hint = did_you_mean(env, environments)
        raise InputError(f"environments: no environment {env!r}{hint} (known: {known})")
    if not environments and env != DEFAULT_ENV and not any_env:
        raise InputError(
            f"declares no [environments]: --env {env} names none (only its default, "
            f"{DEFAULT_ENV}, applies)"
        )
    merged: dict[str, Any] = _merge(top["function_defaults"], environments.get(env, {}))
    return merged


def _merge(base: dict[str, Any], over: Any) -> Any:
    """`over` on top of `base`, tables merged key by key (a function's own values win)."""
    if not isinstance(over, dict):
        return over
    merged = dict(base)
    for key, value in over.items():
        inner = merged.get(key)
        merged[key] = _merge(inner, value) if isinstance(inner, dict) else value
    return merged


def _named_tables(where: str, value: dict[str, Any]) -> list[tuple[str, Any]]:
    for key in value:
        if not ENV_KEY.match(key):
            raise InputError(f"{where}.{key}: logical names are letters, digits and underscores")
    return sorted(value.items())


def _table(key: str, raw: Any) -> TableSpec:
    t = read_table(f"tables.{key}", raw, TABLE)
    if bool(t["range_key"]) != bool(t["range_key_type"]):
        raise InputError(f"tables.{key}: range_key and range_key_type go together")
    return TableSpec(
        key,
        t["name"],
        t["billing_mode"],
        t["hash_key"],
        t["hash_key_type"],
        t["range_key"],
        t["range_key_type"],
        t["deletion_protection"],
    )


def _layer(base: Path, key: str, raw: Any) -> LayerSpec:
    x = read_table(f"layers.{key}", raw, LAYER)
    for runtime in x["compatible_runtimes"]:
        runtimes.known_runtime(runtime)
    source = (base / x["source"]).resolve()
    if not ((source / "nodejs").is_dir() or is_zip(source)):
        raise InputError(f"layers.{key}.source: {source} has no nodejs/ folder")
    return LayerSpec(
        key,
        x["name"],
        source,
        tuple(x["compatible_runtimes"]),
        tuple(x["compatible_architectures"]),
    )


def _alarms(raw: Any) -> tuple[tuple[AlarmSpec, ...], str]:
    if raw is None:
        return (), ""
    action = raw.get("action_arn", "")
    if not isinstance(action, str) or (action and not action.startswith("arn:aws")):
        raise InputError(f"alarms.action_arn: {action!r} is not an SNS topic ARN")
    alarms = []
    for key, value in _named_tables("alarms", {k: v for k, v in raw.items() if k != "action_arn"}):
        a = read_table(f"alarms.{key}", value, ALARM)
        alarms.append(AlarmSpec(key=key, threshold=float(a.pop("threshold")), **a))
    return tuple(alarms), action


def _function(base: Path, key: str, raw: Any) -> FunctionSpec:
    where = f"functions.{key}"
    f = read_table(where, raw, FUNCTION)
    source = (base / f["source"]).resolve()
    alias = _alias(where, f["alias"], source, f["reserved_concurrency"])
    _check_concurrency(where, f["reserved_concurrency"], alias)
    environment, secrets = _environment(where, f["environment"], f["secrets"])
    return FunctionSpec(
        key=key,
        name=f["name"],
        source=source,
        handler=f["handler"],
        runtime=f["runtime"],
        architecture=f["architecture"],
        memory_mb=f["memory_mb"],
        timeout_s=f["timeout_s"],
        tracing=f["tracing"],
        reserved_concurrency=f["reserved_concurrency"],
        kms_key_arn=f["kms_key_arn"],
        log_retention_days=f["log_retention_days"],
        log_format=f["log_format"],
        environment=environment,
        secrets=secrets,
        alias=alias,
        role=_role(where, f["role"]),
        layers=tuple(f["layers"]),
        dead_letter_queue=_queue(where, f["dead_letter_queue"]),
        event_invoke=_async(where, f["async"]),
        critical=f["critical"],
        log_deletion_protection=f["log_deletion_protection"],
    )


def _queue(where: str, raw: Any) -> QueueSpec | None:
    if raw is None:
        return None
    q = read_table(f"{where}.dead_letter_queue", raw, QUEUE)
    return QueueSpec(q["name"], q["retention_s"], q["visibility_timeout_s"])


def _async(where: str, raw: Any) -> AsyncSpec | None:
    if raw is None:
        return None
    a = read_table(f"{where}.async", raw, ASYNC)
    return AsyncSpec(a["max_retry_attempts"], a["max_event_age_s"])


def _alias(where: str, raw: Any, source: Path, reserved: int | None) -> AliasSpec | None:
    if raw is None:
        return None
    for key, says in (("rollout", "a rollout moves"), ("scaling", "scaling holds")):
        if isinstance(raw, dict) and key in raw and "name" not in raw:
            # From [function_defaults] or an environment, on a function without an alias.
            raise InputError(
                f"{where}.alias.{key}: {where} declares no alias (name): {says} an alias's "
                + ("traffic" if key == "rollout" else "capacity")
            )
    a = read_table(f"{where}.alias", raw, ALIAS)
    if a["name"] == "$LATEST" or a["name"].isdigit():
        raise InputError(f"{where}.alias.name: {a['name']!r} is not an alias name")
    smoke = _smoke(f"{where}.alias.smoke", a["smoke"], source) if a["smoke"] else None
    rollout = _rollout(f"{where}.alias.rollout", a["rollout"])
    fixed = a["provisioned_concurrency"]
    scaling = read_scaling(where, a["scaling"], fixed, reserved)
    return AliasSpec(a["name"], fixed, smoke, rollout, scaling)


def _rollout(where: str, raw: Any) -> RolloutSpec:
    if raw is None:
        return RolloutSpec()
    r = read_table(where, raw, ROLLOUT)
    if r["strategy"] == ALL_AT_ONCE:
        given = sorted(k for k in ("percent", "interval", "alarms", "existing_alarms") if r[k])
        if given:
            raise InputError(f"{where}.{given[0]}: means nothing to strategy all-at-once")
        return RolloutSpec()
    for key in ("percent", "interval"):
        if not r[key]:
            raise InputError(f"{where}.{key}: required for strategy {r['strategy']}")
    if r["strategy"] == LINEAR and 100 % r["percent"]:
        raise InputError(
            f"{where}.percent: {r['percent']} does not divide 100, so linear's steps would "
            "not be even (e.g. 10, 20, 25)"
        )
    return RolloutSpec(
        r["strategy"],
        r["percent"],
        duration_s(r["interval"]),
        tuple(r["alarms"]),
        tuple(r["existing_alarms"]),
        duration_s(r["bake"]),
    )


SMOKE_KEYS = frozenset({"event", "expect"})


def _smoke(where: str, name: str, source: Path) -> SmokeSpec:
    """The smoke file beside the function's code: {"event": ..., "expect": ...}."""
    path = source / name
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{where}: {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{where}: {path} is not readable JSON ({exc})") from None
    if not isinstance(document, dict) or "event" not in document or set(document) - SMOKE_KEYS:
        raise InputError(f'{where}: {path} must be an object with "event" and maybe "expect"')
    expect = json.dumps(document["expect"]) if "expect" in document else None
    return SmokeSpec(name, json.dumps(document["event"]), expect)


def _check_concurrency(where: str, reserved: int | None, alias: AliasSpec | None) -> None:
    # AWS refuses provisioned concurrency above the function's reserved concurrency.
    if alias and reserved is not None and alias.provisioned_concurrency > reserved:
        raise InputError(
            f"{where}.alias.provisioned_concurrency: {alias.provisioned_concurrency} is above "
            f"reserved_concurrency {reserved}"
        )


def _environment(
    where: str, env: dict[str, str], secrets: dict[str, str]
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, SecretRef], ...]]:
    for key, value in env.items():
        _check_env_key(f"{where}.environment.{key}", key)
        if SECRET_LIKE.search(key.upper()) and value:
            raise InputError(
                f"{where}.environment.{key}: looks like a secret given as a literal value; "
                f"name its source in [{where}.secrets] (env:NAME or ssm:/path)"
            )
    refs = tuple((key, _secret(f"{where}.secrets.{key}", key, v)) for key, v in secrets.items())
    both = sorted(set(env) & set(secrets))
    if both:
        raise InputError(f"{where}.environment.{both[0]}: also declared in secrets")
    return tuple(sorted(env.items())), tuple(sorted(refs))


def _check_env_key(where: str, key: str) -> None:
    if not ENV_KEY.match(key):
        raise InputError(f"{where}: environment variable names are letters, digits and _")
    if key in RESERVED_ENV:
        raise InputError(f"{where}: Lambda reserves this environment variable")


def _secret(where: str, key: str, source: str) -> SecretRef:
    _check_env_key(where, key)
    return secret_ref(where, source)


def secret_ref(where: str, source: str) -> SecretRef:
    """`env:NAME` or `ssm:/path`; anything else (a literal value above all) is refused."""
    match = SECRET_SOURCE.match(source)
    if not match:
        raise InputError(
            f"{where}: a secret must name its source (env:NAME or ssm:/path), never a literal value"
        )
    scheme = match.group(1) or match.group(3)
    locator = match.group(2) or match.group(4)
    return SecretRef(scheme, locator)


def _role(where: str, raw: Any) -> RoleSpec:
    r = read_table(f"{where}.role", raw, ROLE)
    if bool(r["name"]) == bool(r["arn"]):
        raise InputError(
            f"{where}.role: give name (a role of its own) or arn (an existing role the stack "
            "does not manage), one of the two"
        )
    if r["arn"] and (r["dynamodb"] or r["invoke"]):
        raise InputError(
            f"{where}.role: a role given by arn is not managed here: its permissions cannot "
            "be declared"
        )
    access = []
    for index, item in enumerate(r["dynamodb"]):
        a = read_table(f"{where}.role.dynamodb[{index}]", item, TABLE_ACCESS)
        for action in a["actions"]:
            if not action.startswith("dynamodb:") or "*" in action:
                raise InputError(
                    f"{where}.role.dynamodb[{index}].actions: {action!r} is not an exact "
                    "DynamoDB action (no wildcards)"
                )
        access.append(TableAccess(a["table"], tuple(a["actions"])))
    return RoleSpec(r["name"], tuple(access), tuple(r["invoke"]), r["arn"])


def _xray(raw: Any) -> XRayGroupSpec | None:
    if raw is None:
        return None
    x = read_table("xray_group", raw, XRAY)
    return XRayGroupSpec(x["name"], x["filter_expression"], x["insights"])


def _dashboard(raw: Any) -> DashboardSpec | None:
    if raw is None:
        return None
    d = read_table("dashboard", raw, DASHBOARD)
    return DashboardSpec(d["name"], d["period_s"], tuple(d["metrics"]))


def _check_references(spec: StackSpec) -> None:
    tables = {t.key for t in spec.tables}
    functions = {f.key for f in spec.functions}
    layers = {x.key for x in spec.layers}
    for fn in spec.functions:
        where = f"functions.{fn.key}"
        _refs(f"{where}.role.dynamodb", [a.table for a in fn.role.dynamodb], tables, "tables")
        _refs(f"{where}.role.invoke", list(fn.role.invoke), functions, "functions")
        _refs(f"{where}.layers", list(fn.layers), layers, "layers")
        _rollout_alarms(spec, fn)
        if not (fn.source.is_dir() or is_zip(fn.source)):
            raise InputError(f"{where}.source: {fn.source} is not a directory or a .zip file")


def _rollout_alarms(spec: StackSpec, fn: FunctionSpec) -> None:
    """A rollout's alarms are the function's own: a key of [alarms], on a critical function
    (the stack makes its alarms for those only)."""
    used = list(fn.alias.rollout.alarms) if fn.alias else []
    where = f"functions.{fn.key}.alias.rollout.alarms"
    keys = {a.key for a in spec.alarms}
    for key in used:
        if key not in keys:
            hint = did_you_mean(key, keys)
            known = ", ".join(sorted(keys)) or "none"
            raise InputError(
                f"{where}: no {key!r} in [alarms]{hint} (known: {known}; an alarm the stack "
                "does not manage goes in existing_alarms)"
            )
    if used and not fn.critical:
        raise InputError(
            f"{where}: the stack makes its alarms for critical functions only: set "
            f"functions.{fn.key}.critical = true"
        )


def _refs(where: str, used: list[str], known: set[str], section: str) -> None:
    for ref in used:
        if ref not in known:
            raise InputError(f"{where}: no {ref!r} in [{section}]")
