"""A release in steps, as AWS holds it: the alias's routing says the weights, its description
says which version is rolling out, from which, at which step and since when (pure).

Nothing is kept on this machine: a run that finds a rollout in progress (after a crash, or
from another machine) reads where it is from the alias and goes on from there, counting the
time the step has already held.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from decimal import Decimal

from reconciler.desired.model import CANARY, RolloutSpec
from reconciler.expand.lambda_ import Release

# Our descriptions start with this; any other is someone's, and says nothing to us.
MARK = "lambda-reconciler"
# UpdateAlias takes a description of at most 256 characters.
LONGEST = 256
_IN_PROGRESS = re.compile(
    rf"^{MARK} rollout (\d+) from (\d+) fp ([0-9a-f]{{12}}) step (\d+) since (\d+)$"
)
_ROLLED_BACK = re.compile(
    rf"^{MARK} rolled-back (\d+) from (\d+) fp ([0-9a-f]{{12}}) at (\d+) by (.+)$"
)


@dataclass(frozen=True)
class InProgress:
    """Version `version` (frozen from the fields `fingerprint` names) is taking over from
    `previous`; step `step` began at `since` (seconds since the epoch). Steps 1..n are
    weighted; step n+1 is the bake, `version` primary at 100%."""

    version: str
    previous: str
    fingerprint: str
    step: int
    since: int

    def text(self) -> str:
        return (
            f"{MARK} rollout {self.version} from {self.previous} fp {self.fingerprint} "
            f"step {self.step} since {self.since}"
        )

    def moved(self, step: int, now: float) -> InProgress:
        return InProgress(self.version, self.previous, self.fingerprint, step, int(now))


@dataclass(frozen=True)
class RolledBack:
    """Version `version` was rolled back to `previous` at `at`, because of `cause`: the same
    fields are not released again until the desired state changes (or --retry)."""

    version: str
    previous: str
    fingerprint: str
    at: int
    cause: str

    def text(self) -> str:
        head = (
            f"{MARK} rolled-back {self.version} from {self.previous} fp {self.fingerprint} "
            f"at {self.at} by "
        )
        return head + self.cause[: LONGEST - len(head)]

    def held(self) -> str:
        """Why the plan leaves the alias where it is."""
        return (
            f"version {self.version} with these fields was rolled back at {clock(self.at)} "
            f"({self.cause}): not released again until the desired state changes, or --retry"
        )


def parse(description: str | None) -> InProgress | RolledBack | None:
    text = description or ""
    if match := _IN_PROGRESS.match(text):
        v, p, fp, step, since = match.groups()
        return InProgress(v, p, fp, int(step), int(since))
    if match := _ROLLED_BACK.match(text):
        v, p, fp, at, cause = match.groups()
        return RolledBack(v, p, fp, int(at), cause)
    return None


def steps(spec: RolloutSpec) -> int:
    """Steps a rollout holds: each weight, and the bake when there is one."""
    return len(spec.weights) + (1 if spec.bake_s else 0)


def weight(spec: RolloutSpec, step: int) -> int:
    """The new version's share at `step`, in percent (100 at the bake)."""
    return spec.weights[step - 1] if step <= len(spec.weights) else 100


def hold_s(spec: RolloutSpec, step: int) -> int:
    return spec.interval_s if step <= len(spec.weights) else spec.bake_s


def left_s(spec: RolloutSpec, state: InProgress, now: float) -> float:
    """Seconds before the step may move on (0 when it is due)."""
    return max(0.0, state.since + hold_s(spec, state.step) - now)


def total_left_s(spec: RolloutSpec, state: InProgress, now: float) -> float:
    later = sum(hold_s(spec, s) for s in range(state.step + 1, steps(spec) + 1))
    return left_s(spec, state, now) + later


def duration(seconds: float) -> str:
    """`5m`, `1h30m`, `45s`: how the desired state writes it."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


def strategy_words(spec: RolloutSpec, alarms: tuple[str, ...], version: str) -> str:
    """`canary 10% for 5m, then 100%; rolls back on x, y`: the release as the plan says it."""
    every = duration(spec.interval_s)
    if spec.strategy == CANARY:
        how = f"canary {spec.percent}% for {every}, then 100%"
    else:
        how = f"linear {spec.percent}% more every {every} ({len(spec.weights)} steps), then 100%"
    if spec.bake_s:
        how += f", watched {duration(spec.bake_s)} at 100%"
    watched = ", ".join((*alarms, f"any error of version {version}"))
    return f"{how}; rolls back on {watched}"


def warm_count(release: Release) -> int:
    """Provisioned instances the new version gets by number before it takes any traffic: the
    most of the alias's capacity its largest weighted share would use. None without capacity
    declared on the alias (the whole alias runs on demand then)."""
    if not release.provisioned or not release.spec.stepped:
        return 0
    return math.ceil(release.provisioned * max(release.spec.weights) / 100)


def warm_s(spec: RolloutSpec) -> int:
    """How long the new version's own capacity is held: every weighted step. It goes just
    before the version becomes primary, when the alias's capacity moves to it."""
    return spec.interval_s * len(spec.weights)


def capacity_words(
    release: Release, serving: str | None, version: str, gb_second: Decimal | None
) -> str:
    """What the rollout costs in capacity: the new version's own warm instances, priced."""
    warm = warm_count(release)
    if not warm:
        return f"capacity: version {version}'s share runs on demand, as the alias does"
    held = warm_s(release.spec)
    gb_s = Decimal(warm * release.memory_mb) / 1024 * held
    cost = "price unknown here" if gb_second is None else f"about ${gb_s * gb_second:.4f}"
    return (
        f"capacity: version {version} gets {warm} provisioned of its own, READY before it "
        f"takes any traffic, for the {duration(held)} it is weighted ({cost}); the alias's "
        f"{release.provisioned} serve version {serving} meanwhile, then move to version {version}"
    )


def progress_words(spec: RolloutSpec, state: InProgress, now: float) -> str:
    """Where a rollout in progress is, and how long it has left."""
    share = weight(spec, state.step)
    at = "bake at 100%" if state.step > len(spec.weights) else f"{share}%"
    return (
        f"rollout of version {state.version} in progress: step {state.step} of {steps(spec)} "
        f"({at}) since {clock(state.since)}, {duration(left_s(spec, state, now))} left in it, "
        f"{duration(total_left_s(spec, state, now))} in all"
    )


def clock(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))
