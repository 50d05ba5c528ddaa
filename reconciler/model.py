"""The run's types: what a run aims at, what the user chose, what it prepared and how it
ended. Plain data, so the output layer reads them without reaching into the pipeline."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from reconciler.adapters.base import Context, Listings
from reconciler.apply.executor import ApplyResult
from reconciler.apply.lease_times import TTL_S, WAIT_S
from reconciler.aws.clients import CallCount
from reconciler.aws.pacing import Pacer
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.planning.plan import Plan
from reconciler.planning.removal import Removal


@dataclass(frozen=True)
class Goal:
    """What the pipeline aims at: the declared state, or nothing the suffix owns."""

    removes: bool
    # False: what is removed is handed back (our tags taken off), never deleted.
    deletes: bool = True

    @property
    def needs_secrets(self) -> bool:
        # Removing compares existence and ownership only: no secret value is needed.
        return not self.removes

    @property
    def preflight(self) -> bool:
        # Runtime dates and account concurrency limit what is created, not what is deleted.
        return not self.removes

    @property
    def every_stack_when_all(self) -> bool:
        # Destroying every stack removes what any stack of the suffix owns, even one no
        # longer in the folder; apply prunes only inside the stacks it reconciles.
        return self.removes


CONVERGE = Goal(removes=False)
REMOVE = Goal(removes=True)
HAND_BACK = Goal(removes=True, deletes=False)


class Command(StrEnum):
    APPLY = "apply"
    PLAN = "plan"
    DESTROY = "destroy"
    RELEASE = "release"
    WATCH = "watch"
    UNLOCK = "unlock"
    ROLLOUT = "rollout"
    POLICY = "policy"
    IMPORT = "import"
    COST = "cost"

    @property
    def goal(self) -> Goal:
        goals = {Command.DESTROY: REMOVE, Command.RELEASE: HAND_BACK}
        return goals.get(self, CONVERGE)

    @property
    def reports_drift(self) -> bool:
        """`plan` exits 2 when the live state differs."""
        return self is Command.PLAN


@dataclass(frozen=True)
class Runtime:
    """What a run is handed rather than chose: a stop signal, and a fleet's per-target
    session, shared pacer and shared listings."""

    # Set by a signal handler: finish what is in flight, start nothing new.
    stop: threading.Event | None = None
    # A boto3 session acting in the target's account (None: the environment's credentials).
    session: Any = None
    # The pacer the account-region's targets share.
    pacer: Pacer | None = None
    # The account-region's listings for this cycle, shared by its targets' first reads
    # (never by the reads under the lease or after writing, which must be fresh).
    listings: Listings | None = None


@dataclass(frozen=True)
class Options:
    """What the user chose for a run (flags, or a fleet target's entry)."""

    command: Command
    suffix: str
    stacks: tuple[str, ...]
    desired_dir: Path
    region: str | None = None
    # The environment the stacks' values are for; None: none (destroy and release need none).
    env: str | None = "dev"
    accounts: tuple[str, ...] = ()
    lock_wait_s: float = WAIT_S
    lock_ttl_s: float = TTL_S
    allow_replace: bool = False
    # Release again what a rolled-back rollout holds.
    retry: bool = False
    # Apply waits out a rollout in steps; a watch loop advances it a look per cycle instead.
    rollout_waits: bool = True
    # Take over declared resources that exist without our tags (see planning.plan).
    adopt: bool = False
    # Destroy deletes adopted resources too (never a protected one); see planning.removal.
    include_adopted: bool = False
    # What `release` hands back, by name.
    release: tuple[str, ...] = ()
    pc_timeout_s: float = 900.0
    wait_timeout_s: float = 600.0
    max_workers: int = 32
    # `service` or `service:Operation` -> calls per second (0: not paced); see aws/pacing.py.
    rate_limits: tuple[tuple[str, float], ...] = ()
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    runtime: Runtime = field(default_factory=Runtime, compare=False)

    @property
    def goal(self) -> Goal:
        return self.command.goal

    @property
    def removal(self) -> Removal:
        return Removal(self.include_adopted, self.today.isoformat())


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
    # What the plan was made from: a fingerprint per stack file and code package.
    desired: dict[str, str] = field(default_factory=dict)
    # A reviewed plan's resources: nothing else is applied, or counted as left undone.
    only: frozenset[ResourceId] | None = None
    # The snapshot's listings: which tags the bulk listing answered (checked before writes).
    listings: Listings | None = field(default=None, compare=False, repr=False)

    @property
    def stack_names(self) -> list[str]:
        """The stacks this plan is for: those chosen, else those its resources belong to."""
        return self.stacks or sorted({r.stack for r in self.resources}) or ["all"]


@dataclass(frozen=True)
class Outcome:
    prepared: Prepared
    result: ApplyResult | None
    remaining: Plan | None
    calls: CallCount
    duration_s: float

    @property
    def planned_only(self) -> bool:
        return self.result is None and self.remaining is None
