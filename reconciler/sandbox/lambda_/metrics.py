"""The AWS/Lambda metrics one invocation publishes, under the dimensions Lambda uses."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.sandbox.lambda_.deployment import Target
from reconciler.sandbox.lambda_.names import LATEST
from reconciler.sandbox.lambda_.runtime import Outcome
from reconciler.sandbox.wire.moto_delivery import Datum

NAMESPACE = "AWS/Lambda"
Dimensions = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Slot:
    """An execution taken from the function's concurrency: how many run now, with this one."""

    concurrent: int
    # READY provisioned instances of the alias invoked (0: none); beyond them is spillover.
    provisioned: int = 0

    @property
    def on_provisioned(self) -> bool:
        return self.concurrent <= self.provisioned


def invocation_metrics(target: Target, outcome: Outcome, slot: Slot) -> list[Datum]:
    """Invocations, Errors, Duration and concurrency; provisioned ones on an alias that has it."""
    data = []
    for dimensions in _dimension_sets(target):
        data += [
            Datum(NAMESPACE, "Invocations", 1.0, dimensions),
            Datum(NAMESPACE, "Errors", 0.0 if outcome.ok else 1.0, dimensions),
            Datum(NAMESPACE, "Duration", round(outcome.duration_ms, 2), dimensions, "Milliseconds"),
            Datum(NAMESPACE, "ConcurrentExecutions", float(slot.concurrent), dimensions),
        ]
    if slot.provisioned:
        data += _provisioned(target, slot)
    return data


def throttle_metrics(target: Target) -> list[Datum]:
    return [Datum(NAMESPACE, "Throttles", 1.0, dims) for dims in _dimension_sets(target)]


def _provisioned(target: Target, slot: Slot) -> list[Datum]:
    dimensions = _resource(target)
    if not slot.on_provisioned:
        return [Datum(NAMESPACE, "ProvisionedConcurrencySpilloverInvocations", 1.0, dimensions)]
    used = float(slot.concurrent)
    return [
        Datum(NAMESPACE, "ProvisionedConcurrencyInvocations", 1.0, dimensions),
        Datum(NAMESPACE, "ProvisionedConcurrentExecutions", used, dimensions),
        Datum(NAMESPACE, "ProvisionedConcurrencyUtilization", used / slot.provisioned, dimensions),
    ]


def _dimension_sets(target: Target) -> list[Dimensions]:
    """By function, by function and the version or alias invoked (when one was named), and
    for an alias by the version that ran too (Lambda's `ExecutedVersion`: how a release tells
    the new version's errors from the old one's)."""
    sets: list[Dimensions] = [(("FunctionName", target.key.name),)]
    if target.qualifier != LATEST:
        sets.append(_resource(target))
    if target.qualifier != LATEST and not target.qualifier.isdigit():
        sets.append((*_resource(target), ("ExecutedVersion", target.version)))
    return sets


def _resource(target: Target) -> Dimensions:
    return (("FunctionName", target.key.name), ("Resource", target.resource))
