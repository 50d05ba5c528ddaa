"""The run: load -> expand -> observe -> diff/plan -> apply -> verify, stage by stage.

What a run aims at is decided once, from its command: the declared state (apply, plan, watch)
or nothing owned by the suffix (destroy). The stages read that goal; none tests the command.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial

import structlog
from botocore.exceptions import ClientError

from reconciler.adapters import adapter_for
from reconciler.adapters.base import CallerReader, Context, DiscoveryScope, Explainer, Listings
from reconciler.apply.executor import ApplyResult, apply
from reconciler.apply.lock import Lease, LockHeld
from reconciler.aws import identity, parameters
from reconciler.aws.clients import Clients
from reconciler.aws.pacing import Pacer, with_overrides
from reconciler.aws.regions import known_region
from reconciler.aws.retry import RetryPolicy
from reconciler.aws.waits import WaitPolicy
from reconciler.desired import fingerprint, secrets, stacks
from reconciler.desired.compat import checked_packages
from reconciler.desired.model import SecretRef, StackSpec
from reconciler.desired.names import check_names, validate_suffix
from reconciler.desired.secrets import SecretKey
from reconciler.errors import InputError, PlanMoved
from reconciler.expand import Target, declared_names, expand, name_checks
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.fleet.model import FleetTarget
from reconciler.model import Goal, Options, Outcome, Prepared
from reconciler.observe.discover import classify, discover
from reconciler.observe.read import observe
from reconciler.output.log import keep_out_of_logs
from reconciler.planning import preflight
from reconciler.planning.plan import Action, Plan, plan_apply, plan_destroy, plan_release

log = structlog.get_logger()


def restricted(plan: Plan, only: frozenset[ResourceId] | None) -> Plan:
    """The plan's actions on `only` (all of them when None)."""
    if only is None:
        return plan
    return replace(plan, actions=tuple(a for a in plan.actions if a.id in only))


def load(options: Options) -> list[StackSpec]:
    """The requested stacks' desired state, validated, suffix and names checked; no AWS call."""
    specs = stacks.load_specs(options.desired_dir, options.stacks, options.env)
    validate_suffix(options.suffix)
    for spec in specs:
        check_names(options.suffix, name_checks(spec))
    _one_owner(options, specs)
    return specs


def _one_owner(options: Options, specs: list[StackSpec]) -> None:
    """Refuse two stack files that declare one resource: each run would take it from the
    other. Checked against every stack of the folder that loads for this environment."""
    chosen = [spec.name for spec in specs]
    others = stacks.other_stacks(options.desired_dir, chosen, options.env)
    owners: dict[ResourceId, StackSpec] = {}
    for spec in [*specs, *others]:
        for rid in _rendered(spec, options.suffix):
            first = owners.setdefault(rid, spec)
            if first is not spec and first.name in chosen:
                raise InputError(
                    f"{rid} is declared by both {first.path.name} and {spec.path.name}: one "
                    "resource has one owning stack (drop it from one of them)"
                )


def fleet_check(options: Options) -> Callable[[FleetTarget], list[SecretRef]]:
    """What refuses a fleet's target before any AWS call (what `load` refuses for its run);
    the secret sources its stacks declare."""

    def check(target: FleetTarget) -> list[SecretRef]:
        specs = load(replace(options, suffix=target.suffix, stacks=target.stacks, env=target.env))
        return list(secrets.sources(specs).values())

    return check


def prepare(options: Options) -> Prepared:
    """Load, expand, observe and plan. Reads only."""
    started, read_at = time.monotonic(), time.time()
    specs = load(options)
    code = {spec.name: checked_packages(spec) for spec in specs}
    declared = secrets.sources(specs)
    place = {"suffix": options.suffix, "env": options.env or ""}
    early = {k: r for k, r in declared.items() if not secrets.needs_account(r)}
    # Environment secrets before the first AWS call: a missing one stops the run at once.
    from_env = _from_env(options.goal, secrets.rendered(early, place))
    ctx = _connect(options, specs)
    refs = secrets.rendered(declared, {**place, "account": ctx.target.account_id})
    late = {k: r for k, r in refs.items() if k not in early}
    values = _secret_values(options.goal, refs, {**from_env, **_from_env(options.goal, late)}, ctx)
    resources = tuple(
        r for spec in specs for r in expand(spec, ctx.target, values, code[spec.name])
    )
    scope = (
        None
        if options.goal.every_stack_when_all and options.stacks == ("all",)
        else [spec.name for spec in specs]
    )
    listings = options.runtime.listings or Listings()
    live, plan = snapshot(options, ctx, resources, scope, listings)
    warnings = _check(options, ctx, plan, live)
    if options.runtime.listings is not None:
        # Shared listings may predate this run: the lease compares writes with their age.
        read_at = min(read_at, options.runtime.listings.since)
    desired = fingerprint.parts(options.desired_dir, code)
    return Prepared(
        options,
        ctx,
        resources,
        live,
        plan,
        tuple(warnings),
        started,
        scope,
        read_at=read_at,
        desired=desired,
        listings=listings,
    )


def _from_env(goal: Goal, refs: Mapping[SecretKey, SecretRef]) -> dict[SecretKey, str]:
    return secrets.resolve_env(refs, os.environ) if goal.needs_secrets else {}


def _secret_values(
    goal: Goal,
    refs: Mapping[SecretKey, SecretRef],
    from_env: dict[SecretKey, str],
    ctx: Context,
) -> dict[SecretKey, str]:
    if not goal.needs_secrets:
        return dict.fromkeys(refs, "")
    values = {**from_env, **parameters.resolve_ssm(refs, lambda: ctx.clients.get("ssm"))}
    keep_out_of_logs(values.values())
    return values


def connect(options: Options) -> Context:
    """An AWS context for commands that need no plan (unlock)."""
    return _connect(options, load(options))


def session(options: Options) -> Context:
    """An AWS context that reads no stack (import writes one)."""
    validate_suffix(options.suffix)
    return _connect(options, [])


def _connect(options: Options, specs: list[StackSpec]) -> Context:
    """Who and where we are; the first AWS calls, so reach and credentials fail here."""
    region = _region(options, specs)
    pacer = options.runtime.pacer or Pacer(with_overrides(dict(options.rate_limits)))
    clients = Clients(
        region, workers=options.max_workers, pacer=pacer, session=options.runtime.session
    )
    endpoint = os.environ.get("AWS_ENDPOINT_URL", f"AWS in {region}")
    sts = clients.get("sts", max_attempts=2)
    who = partial(identity.account_id, sts, endpoint)
    # A fleet's targets of one account-region and role are one caller: asked once.
    account = (
        who()
        if options.runtime.listings is None
        else options.runtime.listings.get("sts.identity", who)
    )
    allowed = [*options.accounts, *(a for spec in specs for a in spec.account_ids)]
    identity.check_account_allowed(account, allowed)
    return _context(options, clients, Target(options.suffix, account, region))


def snapshot(
    options: Options,
    ctx: Context,
    resources: tuple[Resource, ...],
    scope: list[str] | None,
    listings: Listings | None = None,
) -> tuple[dict[ResourceId, Live | None], Plan]:
    """Observe the desired resources, discover what else the suffix owns, and plan; with
    `listings` already taken this cycle, or fresh ones."""
    listings = listings or Listings()
    listings.want(resources)
    ctx = replace(ctx, listings=listings)
    known = frozenset(r.id for r in resources) | _declared_elsewhere(options, scope)
    wanted = DiscoveryScope(options.suffix, known)
    # Discovery needs only the desired names, not what observe finds: both at once, and
    # the listings each service answers once serve both.
    with ThreadPoolExecutor(max_workers=2) as pair:
        listed = pair.submit(discover, ctx, wanted, options.max_workers)
        live = observe(ctx, resources, options.max_workers)
        found = classify(listed.result(), options.suffix, scope)
    # What discovery found is removed: read whole first, so that what existed before us or is
    # protected is released, never deleted, whatever the desired state still says of it.
    live.update(observe(ctx, found.orphans, options.max_workers) if found.orphans else {})
    args = (resources, live, options.suffix, found.orphans, found.unreadable)
    if not options.goal.deletes:
        every = (*resources, *found.orphans)
        plan = plan_release(every, live, options.suffix, options.release, options.removal.today)
    elif options.goal.removes:
        plan = plan_destroy(*args, removal=options.removal)
    else:
        plan = plan_apply(*args, adopt=options.adopt, removal=options.removal)
    return live, _with_callers(ctx, plan, live, options.max_workers)


def _with_callers(
    ctx: Context, plan: Plan, live: dict[ResourceId, Live | None], workers: int
) -> Plan:
    """Each delete or move that callers depend on, with who they are, and each change in its
    kind's own terms: read only for the actions planned, so a converged run pays nothing."""

    def noted(action: Action) -> Action:
        adapter = adapter_for(action.id.kind)
        if isinstance(adapter, Explainer):
            changes, notes = adapter.explained(
                ctx, action.op.value, action.resource, live.get(action.id)
            )
            # A create lists every field it sets; only an update's changes are restated.
            restated = changes if changes and action.op.value == "update" else action.changes
            action = replace(action, changes=restated, notes=(*action.notes, *notes))
        if not isinstance(adapter, CallerReader):
            return action
        extra = adapter.callers_notes(ctx, action.op.value, action.resource)
        return replace(action, notes=(*action.notes, *extra)) if extra else action

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        actions = tuple(pool.map(noted, plan.actions))
    return replace(plan, actions=actions)


def _declared_elsewhere(options: Options, scope: list[str] | None) -> frozenset[ResourceId]:
    """Names the folder's other stacks declare for this suffix: theirs, so a run of one stack
    need not read their tags to learn that."""
    if scope is None:
        return frozenset()
    others = stacks.other_stacks(options.desired_dir, scope, options.env)
    return frozenset(rid for spec in others for rid in _rendered(spec, options.suffix))


def _rendered(spec: StackSpec, suffix: str) -> list[ResourceId]:
    """Every resource the stack declares, named for the suffix."""
    return [
        ResourceId(d.kind.key, d.template.replace("{suffix}", suffix)) for d in declared_names(spec)
    ]


def _check(
    options: Options,
    ctx: Context,
    plan: Plan,
    live: dict[ResourceId, Live | None],
    announce: bool = True,
) -> list[str]:
    """Refuse before any write what AWS would refuse midway: runtimes, account limits; warn
    once per run (`announce` False for the second look under the lease)."""
    if not options.goal.preflight:
        return []
    refusals, warnings = preflight.runtime_problems(plan, options.today)
    preflight.refuse(refusals)
    preflight.check_concurrency(ctx.client("lambda").get_account_settings, plan, live)
    cloudwatch = ctx.client("cloudwatch")
    preflight.check_watched_alarms(lambda names: cloudwatch.describe_alarms(AlarmNames=names), plan)
    for warning in warnings if announce else ():
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
    lease = _lease(prepared)
    lease.acquire()
    try:
        # Read again only if another run of ours may have written since we looked.
        quiet = lease.quiet_since(prepared.read_at)
        current = _confirmed(prepared if quiet else _replan(prepared))
        if current.plan.empty:
            return _finished(current, None, current.plan)
        result = apply(
            current.ctx,
            current.plan,
            current.live,
            options.max_workers,
            options.allow_replace,
            stops=(lease.lost,)
            if options.runtime.stop is None
            else (lease.lost, options.runtime.stop),
        )
        if lease.lost.is_set():
            raise LockHeld(
                f"suffix {options.suffix!r}: another run took the lease while this one "
                "was writing (its renewals failed); stopped before the next change"
            )
        return _finished(current, result, verify(current))
    finally:
        lease.release()


def _lease(prepared: Prepared) -> Lease:
    options = prepared.options
    dynamodb = prepared.ctx.clients.get("dynamodb")
    return Lease(
        dynamodb,
        options.suffix,
        options.command.value,
        ttl_s=options.lock_ttl_s,
        wait_s=options.lock_wait_s,
    )


def _replan(prepared: Prepared, listings: Listings | None = None) -> Prepared:
    """The state read again under the lease; the same plan unless someone changed things."""
    listings = listings or Listings()
    live, plan = snapshot(
        prepared.options, prepared.ctx, prepared.resources, prepared.stacks, listings
    )
    _check(prepared.options, prepared.ctx, plan, live, announce=False)
    plan = restricted(plan, prepared.only)
    if prepared.only is not None and plan != prepared.plan:
        # A reviewed plan is applied as approved or not at all.
        raise PlanMoved(
            "AWS changed while taking the lease: the reviewed plan no longer applies "
            "(nothing was written); make a new plan"
        )
    return replace(
        prepared, live=live, plan=plan, replanned=plan != prepared.plan, listings=listings
    )


def _confirmed(prepared: Prepared) -> Prepared:
    """The plan, once what a bulk listing answered for the resources it writes to is read
    again from each of them: tags in bulk and IAM's account details may lag, and nothing is
    written on their word alone. Any disagreement re-plans from direct reads."""
    answers = prepared.listings.answers() if prepared.listings else {}
    doubtful = [
        (rid, answers[rid])
        for rid in {a.id for a in prepared.plan.actions}
        if rid in answers and prepared.live.get(rid) is not None
    ]
    if not doubtful:
        return prepared
    workers = max(1, min(prepared.options.max_workers, len(doubtful)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        agree = list(pool.map(lambda one: _agrees(one[1]), doubtful))
    stale = sorted(str(rid) for (rid, _), same in zip(doubtful, agree, strict=True) if not same)
    if not stale:
        return prepared
    log.warning("listing.stale", resources=stale)
    return _replan(prepared, Listings(bulk=False))


def _agrees(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except ClientError:
        return False  # gone, or unreadable: the direct re-plan says which


def _finished(prepared: Prepared, result: ApplyResult | None, remaining: Plan) -> Outcome:
    calls = prepared.ctx.clients.ledger.snapshot()
    return Outcome(prepared, result, remaining, calls, _since(prepared))


def verify(prepared: Prepared) -> Plan:
    """Observe and discover again: whatever still differs is work left undone. Each resource
    is read on its own: a bulk listing may not show this run's own writes yet."""
    direct = Listings(bulk=False)
    _, plan = snapshot(prepared.options, prepared.ctx, prepared.resources, prepared.stacks, direct)
    return restricted(plan, prepared.only)


def plan_only(prepared: Prepared) -> Outcome:
    calls = prepared.ctx.clients.ledger.snapshot()
    return Outcome(prepared, None, None, calls, _since(prepared))


def _since(prepared: Prepared) -> float:
    return round(time.monotonic() - prepared.started, 3)


def _region(options: Options, specs: Sequence[StackSpec]) -> str:
    if options.region:
        return known_region(options.region)
    regions = sorted({spec.region for spec in specs})
    if len(regions) > 1:
        raise InputError(f"stacks declare different regions ({', '.join(regions)}); pass --region")
    return known_region(regions[0]) if regions else "us-east-1"


def _context(options: Options, clients: Clients, target: Target) -> Context:
    return Context(
        clients=clients,
        target=target,
        retry=RetryPolicy(),
        wait=WaitPolicy(timeout_s=options.wait_timeout_s),
        pc_wait=WaitPolicy(timeout_s=options.pc_timeout_s),
        parallel=options.max_workers,
        retry_release=options.retry,
        rollout_waits=options.rollout_waits,
    )
