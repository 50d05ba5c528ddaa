"""The run: load -> preflight -> observe -> diff/plan -> apply -> verify, stage by stage."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import botocore.loaders
import structlog

from reconciler.adapters.base import Context, DiscoveryScope, Listings
from reconciler.apply.executor import ApplyResult, apply
from reconciler.apply.lock import Lease
from reconciler.aws.clients import CallCount, Clients
from reconciler.aws.pacing import Pacer, with_overrides
from reconciler.aws.retry import RetryPolicy
from reconciler.aws.waits import WaitPolicy
from reconciler.desired import compat, packaging, secrets
from reconciler.desired.load import load_stack
from reconciler.desired.model import StackSpec
from reconciler.desired.names import check_names, validate_suffix
from reconciler.errors import InputError
from reconciler.expand import Target, declared_names, expand, name_checks
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.observe.discover import classify, discover
from reconciler.observe.read import observe
from reconciler.output.log import REDACT
from reconciler.planning import preflight
from reconciler.planning.plan import Plan, plan_apply, plan_destroy

log = structlog.get_logger()


@dataclass(frozen=True)
class Options:
    command: str
    suffix: str
    stacks: tuple[str, ...]
    desired_dir: Path
    region: str | None = None
    env: str = "dev"
    accounts: tuple[str, ...] = ()
    lock_wait_s: float = 30.0
    lock_ttl_s: float = 120.0
    # Set by a signal handler: finish what is in flight, start nothing new.
    stop: threading.Event | None = field(default=None, compare=False)
    allow_replace: bool = False
    pc_timeout_s: float = 900.0
    wait_timeout_s: float = 600.0
    max_workers: int = 32
    # `service` or `service:Operation` -> calls per second (0: not paced); see pacing.py.
    rate_limits: tuple[tuple[str, float], ...] = ()
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())


@dataclass(frozen=True)
class Prepared:
    """Everything known before the first write: the plan and what it was made from."""

    options: Options
    ctx: Context
    resources: tuple[Resource, ...]
    live: dict[ResourceId, Live | None]
    plan: Plan
    warnings: tuple[str, ...]
    started: float
    # Stacks whose owned resources discovery keeps (None: any stack of the suffix).
    stacks: list[str] | None = None
    # True when the state read under the lease asked for another plan than the one shown.
    replanned: bool = False
    # Wall-clock time the reads began (compared with the lease's last release).
    read_at: float = 0.0


@dataclass(frozen=True)
class Outcome:
    prepared: Prepared
    result: ApplyResult | None
    remaining: Plan | None
    calls: CallCount
    duration_s: float


def load(options: Options) -> list[StackSpec]:
    """The requested stacks' desired state, validated, before any AWS call."""
    specs = load_specs(options)
    validate_suffix(options.suffix)
    for spec in specs:
        check_names(options.suffix, name_checks(spec))
    return specs


def load_specs(options: Options) -> list[StackSpec]:
    """The requested stacks' desired state, whatever the suffix."""
    available = sorted(p.stem for p in options.desired_dir.glob("*.toml"))
    names = available if options.stacks == ("all",) else list(options.stacks)
    for name in names:
        if name not in available:
            known = ", ".join(available) or "none"
            raise InputError(f"unknown stack {name!r} (known: {known})")
    return [load_stack(options.desired_dir / f"{name}.toml", options.env) for name in names]


def prepare(options: Options) -> Prepared:
    """Load, preflight, observe and plan. Reads only."""
    started, read_at = time.monotonic(), time.time()
    specs = load(options)
    refs = secrets.sources(specs)
    values = secrets.resolve_env(refs, os.environ) if options.command != "destroy" else {}
    code = {spec.name: packages(spec) for spec in specs}
    ctx = _connect(options, specs)
    if options.command != "destroy":
        values.update(secrets.resolve_ssm(refs, lambda: ctx.clients.get("ssm")))
    REDACT.add(values.values())
    values = _placeholders(refs) if options.command == "destroy" else values
    resources = tuple(
        r for spec in specs for r in expand(spec, ctx.target, values, code[spec.name])
    )
    stacks = None if options.command == "destroy" and options.stacks == ("all",) else [
        spec.name for spec in specs
    ]  # fmt: skip
    live, plan = snapshot(options, ctx, resources, stacks)
    warnings = _check(options, ctx, plan, live)
    return Prepared(
        options, ctx, resources, live, plan, tuple(warnings), started, stacks, read_at=read_at
    )


def connect(options: Options) -> Context:
    """An AWS context for commands that need no plan (unlock)."""
    return _connect(options, load(options))


def _connect(options: Options, specs: list[StackSpec]) -> Context:
    """Who and where we are; the first AWS calls, so reach and credentials fail here."""
    region = _region(options, specs)
    pacer = Pacer(with_overrides(dict(options.rate_limits)))
    clients = Clients(region, workers=options.max_workers, pacer=pacer)
    endpoint = os.environ.get("AWS_ENDPOINT_URL", f"AWS in {region}")
    account = preflight.account_id(clients.get("sts", max_attempts=2), endpoint)
    allowed = [*options.accounts, *(a for spec in specs for a in spec.account_ids)]
    preflight.check_account_allowed(account, allowed)
    return _context(options, clients, Target(options.suffix, account, region))


def snapshot(
    options: Options,
    ctx: Context,
    resources: tuple[Resource, ...],
    stacks: list[str] | None,
) -> tuple[dict[ResourceId, Live | None], Plan]:
    """Observe the desired resources, discover what else the suffix owns, and plan."""
    ctx = replace(ctx, listings=Listings())
    known = frozenset(r.id for r in resources) | _declared_elsewhere(options, stacks)
    scope = DiscoveryScope(options.suffix, known)
    # Discovery needs only the desired names, not what observe finds: both at once, and
    # the listings each service answers once serve both.
    with ThreadPoolExecutor(max_workers=2) as pair:
        listed = pair.submit(discover, ctx, scope, options.max_workers)
        live = observe(ctx, resources, options.max_workers)
        found = classify(listed.result(), options.suffix, stacks)
    live.update(found.live)
    planner = plan_destroy if options.command == "destroy" else plan_apply
    plan = planner(resources, live, options.suffix, found.orphans, found.unreadable)
    return live, plan


def _declared_elsewhere(options: Options, stacks: list[str] | None) -> frozenset[ResourceId]:
    """Names the folder's other stacks declare for this suffix: theirs, so a run of one stack
    need not read their tags to learn that. A stack that does not load is simply not known."""
    if stacks is None:
        return frozenset()
    names: set[ResourceId] = set()
    for path in sorted(options.desired_dir.glob("*.toml")):
        if path.stem in stacks:
            continue
        try:
            spec = load_stack(path, options.env)
        except InputError:
            continue
        names.update(
            ResourceId(d.kind.key, d.template.replace("{suffix}", options.suffix))
            for d in declared_names(spec)
        )
    return frozenset(names)


def _check(
    options: Options, ctx: Context, plan: Plan, live: dict[ResourceId, Live | None]
) -> list[str]:
    """Refuse before any write what AWS would refuse midway: runtimes, account limits."""
    if options.command == "destroy":
        return []
    refusals, warnings = preflight.runtime_problems(plan, options.today)
    preflight.refuse(refusals)
    preflight.check_concurrency(ctx.client("lambda").get_account_settings, plan, live)
    for warning in warnings:
        log.warning("runtime.deprecated", detail=warning)
    return warnings


def execute(prepared: Prepared) -> Outcome:
    """Apply the plan under the suffix's lease, then observe again.

    A converged run takes no lease and writes nothing. Otherwise the lease is taken and the
    state read again under it, so a plan made while another run was writing is never applied.
    """
    if prepared.plan.empty:
        # Nothing to write, so a second read could only repeat the first: a converged run
        # costs one round of reads and no writes.
        return _finished(prepared, None, prepared.plan)
    options = prepared.options
    lease = Lease(
        prepared.ctx.client("dynamodb"), options.suffix, options.command,
        ttl_s=options.lock_ttl_s, wait_s=options.lock_wait_s,
    )  # fmt: skip
    lease.acquire()
    try:
        # Read again only if another run of ours may have written since we looked.
        quiet = lease.quiet_since(prepared.read_at)
        current = prepared if quiet else _replan(prepared)
        if current.plan.empty:
            return _finished(current, None, current.plan)
        result = apply(
            current.ctx, current.plan, current.live, options.max_workers,
            options.allow_replace, stop=options.stop,
        )  # fmt: skip
        return _finished(current, result, verify(current))
    finally:
        lease.release()


def _replan(prepared: Prepared) -> Prepared:
    """The state read again under the lease; the same plan unless someone changed things."""
    live, plan = snapshot(prepared.options, prepared.ctx, prepared.resources, prepared.stacks)
    _check(prepared.options, prepared.ctx, plan, live)
    return replace(prepared, live=live, plan=plan, replanned=plan != prepared.plan)


def _finished(prepared: Prepared, result: ApplyResult | None, remaining: Plan) -> Outcome:
    calls = prepared.ctx.clients.ledger.snapshot()
    return Outcome(prepared, result, remaining, calls, _since(prepared))


def verify(prepared: Prepared) -> Plan:
    """Observe and discover again: whatever still differs is work left undone."""
    _, plan = snapshot(prepared.options, prepared.ctx, prepared.resources, prepared.stacks)
    return plan


def plan_only(prepared: Prepared) -> Outcome:
    calls = prepared.ctx.clients.ledger.snapshot()
    return Outcome(prepared, None, None, calls, _since(prepared))


def _since(prepared: Prepared) -> float:
    return round(time.monotonic() - prepared.started, 3)


def packages(spec: StackSpec) -> dict[str, packaging.CodePackage]:
    """Every zip of the stack, checked for code its runtime cannot run."""
    code = {}
    for fn in spec.functions:
        code[fn.key] = packaging.package(fn.source)
        compat.check_sdk_v2(code[fn.key], (fn.runtime,), f"functions.{fn.key}")
    for layer in spec.layers:
        key = f"layer:{layer.key}"
        code[key] = packaging.package(layer.source, layer=True)
        compat.check_sdk_v2(code[key], layer.compatible_runtimes, f"layers.{layer.key}")
    return code


def _region(options: Options, specs: list[StackSpec]) -> str:
    if options.region:
        return known_region(options.region)
    regions = sorted({spec.region for spec in specs})
    if len(regions) > 1:
        raise InputError(f"stacks declare different regions ({', '.join(regions)}); pass --region")
    return known_region(regions[0]) if regions else "us-east-1"


def known_region(region: str) -> str:
    """Refuse a region Lambda does not serve, by botocore's own endpoint data."""
    # botocore's partitions file (7 kB) lists every region; its endpoints file, which
    # get_available_regions reads, costs a tenth of a second on every run.
    partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    known = {name for partition in partitions for name in partition["regions"]}
    if region not in known:
        raise InputError(f"region {region!r} is not a region AWS Lambda serves")
    return region


def _placeholders(
    refs: Mapping[tuple[str, str, str], object],
) -> dict[tuple[str, str, str], str]:
    # Destroy compares nothing but existence and ownership: secret values are not needed.
    return dict.fromkeys(refs, "")


def _context(options: Options, clients: Clients, target: Target) -> Context:
    return Context(
        clients=clients,
        target=target,
        retry=RetryPolicy(),
        wait=WaitPolicy(timeout_s=options.wait_timeout_s),
        pc_wait=WaitPolicy(timeout_s=options.pc_timeout_s),
        parallel=options.max_workers,
    )
