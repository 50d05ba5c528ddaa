"""Load stage: the declared systems as frozen dataclasses (no AWS, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SecretRef:
    """Where a secret comes from: `env:NAME` or `ssm:/path` (never the value)."""

    scheme: str
    locator: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.locator}"


@dataclass(frozen=True)
class TableSpec:
    key: str
    name: str
    billing_mode: str
    hash_key: str
    hash_key_type: str
    range_key: str = ""
    range_key_type: str = ""
    # None: not declared, so an existing table keeps its own (a new one is created without).
    deletion_protection: bool | None = None


@dataclass(frozen=True)
class SmokeSpec:
    """An event a new version must answer before the alias moves to it (JSON texts)."""

    file: str
    event: str
    # What the answer must contain (an object's members, recursively), or equal; None: any
    # answer that is not a function error.
    expect: str | None = None


ALL_AT_ONCE, CANARY, LINEAR = "all-at-once", "canary", "linear"


@dataclass(frozen=True)
class RolloutSpec:
    """How an alias moves to a new version: all at once, or in weighted steps watched by
    alarms (`alarms`: keys of the stack's [alarms], for this function; `existing_alarms`:
    names of alarms the stack does not manage)."""

    strategy: str = ALL_AT_ONCE
    percent: int = 0
    interval_s: int = 0
    alarms: tuple[str, ...] = ()
    existing_alarms: tuple[str, ...] = ()
    bake_s: int = 0

    @property
    def stepped(self) -> bool:
        return self.strategy != ALL_AT_ONCE

    @property
    def weights(self) -> tuple[int, ...]:
        """The new version's share at each weighted step, in percent, before it takes 100."""
        if self.strategy == CANARY:
            return (self.percent,)
        if self.strategy == LINEAR:
            return tuple(range(self.percent, 100, self.percent))
        return ()


@dataclass(frozen=True)
class ScheduleSpec:
    """A scheduled action: from each time `cron` fires (in `timezone`), capacity is held
    within [min, max]."""

    name: str
    cron: str
    timezone: str
    min: int
    max: int


@dataclass(frozen=True)
class TrackingSpec:
    """Target tracking on the alias's provisioned concurrency utilization (0.1 to 0.9)."""

    target: float
    scale_in_cooldown_s: int = 0
    scale_out_cooldown_s: int = 0


@dataclass(frozen=True)
class ScalingSpec:
    """Application Auto Scaling holds the alias's provisioned concurrency within [min, max]
    (the schedule moves that range); the live value is the scaler's, never reset."""

    min: int
    max: int
    tracking: TrackingSpec | None = None
    schedule: tuple[ScheduleSpec, ...] = ()


@dataclass(frozen=True)
class AliasSpec:
    name: str
    provisioned_concurrency: int
    smoke: SmokeSpec | None = None
    rollout: RolloutSpec = RolloutSpec()
    scaling: ScalingSpec | None = None


@dataclass(frozen=True)
class TableAccess:
    """DynamoDB item actions one role may take on one table (and its indexes)."""

    table: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class RoleSpec:
    """The function's own role (`name`), or one it uses that the stack does not manage (`arn`,
    e.g. a role several legacy functions share)."""

    name: str
    dynamodb: tuple[TableAccess, ...]
    invoke: tuple[str, ...] = ()
    arn: str = ""


@dataclass(frozen=True)
class QueueSpec:
    """A dead-letter queue: SSE on, kept long enough to investigate."""

    name: str
    retention_s: int
    visibility_timeout_s: int


@dataclass(frozen=True)
class AsyncSpec:
    """How Lambda retries an asynchronous invocation before the DLQ gets it."""

    max_retry_attempts: int
    max_event_age_s: int


@dataclass(frozen=True)
class LayerSpec:
    key: str
    name: str
    source: Path
    compatible_runtimes: tuple[str, ...]
    compatible_architectures: tuple[str, ...]


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm per critical function; `source` says which metric owner it watches."""

    key: str
    name: str
    source: str
    namespace: str
    metric: str
    statistic: str
    period_s: int
    evaluation_periods: int
    threshold: float
    comparison: str


@dataclass(frozen=True)
class FunctionSpec:
    key: str
    name: str
    source: Path
    handler: str
    runtime: str
    architecture: str
    memory_mb: int
    timeout_s: int
    tracing: str
    reserved_concurrency: int | None
    kms_key_arn: str
    # None: the log group never expires (AWS's default; a system taken over may have that).
    log_retention_days: int | None
    log_format: str
    environment: tuple[tuple[str, str], ...]
    secrets: tuple[tuple[str, SecretRef], ...]
    alias: AliasSpec | None
    role: RoleSpec
    layers: tuple[str, ...] = ()
    dead_letter_queue: QueueSpec | None = None
    event_invoke: AsyncSpec | None = None
    critical: bool = False
    # The log group's; None: not declared, so an existing one keeps its own.
    log_deletion_protection: bool | None = None


@dataclass(frozen=True)
class XRayGroupSpec:
    name: str
    filter_expression: str
    insights: bool


@dataclass(frozen=True)
class DashboardSpec:
    name: str
    period_s: int
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class StackSpec:
    """One declared system, names still as templates with `{suffix}`."""

    name: str
    region: str
    path: Path
    tags: tuple[tuple[str, str], ...]
    tables: tuple[TableSpec, ...]
    functions: tuple[FunctionSpec, ...]
    xray_group: XRayGroupSpec | None
    dashboard: DashboardSpec | None
    account_ids: tuple[str, ...] = field(default=())
    env: str = "dev"
    layers: tuple[LayerSpec, ...] = ()
    boundary: str | None = None
    alarms: tuple[AlarmSpec, ...] = ()
    alarm_action_arn: str = ""
    # `kind:field` patterns (fnmatch) of fields someone else owns: never compared or changed.
    ignore: tuple[str, ...] = ()
