"""Expand stage: the finance dashboard body, built from the metrics the owners listed."""

from __future__ import annotations

from typing import Any

from reconciler.desired.model import DashboardSpec

# How each Lambda metric is best read: counts add up, gauges peak, latency has a tail.
STATS: dict[str, tuple[str, ...]] = {
    "Invocations": ("Sum",),
    "Errors": ("Sum",),
    "Throttles": ("Sum",),
    "Duration": ("Average", "p99"),
    "ConcurrentExecutions": ("Maximum",),
    "ProvisionedConcurrentExecutions": ("Maximum",),
    "ProvisionedConcurrencyInvocations": ("Sum",),
    "ProvisionedConcurrencyUtilization": ("Maximum",),
    "ProvisionedConcurrencySpilloverInvocations": ("Sum",),
}
# Provisioned-concurrency metrics exist per alias (dimension Resource=function:alias).
PER_ALIAS = frozenset(m for m in STATS if m.startswith("Provisioned"))


def body(
    spec: DashboardSpec, functions: list[tuple[str, str | None]], region: str
) -> dict[str, Any]:
    """One widget per metric, two per row, each plotting every function of the stack."""
    widgets = []
    for index, metric in enumerate(spec.metrics):
        widgets.append(
            {
                "type": "metric",
                "x": (index % 2) * 12,
                "y": (index // 2) * 6,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": metric,
                    "region": region,
                    "period": spec.period_s,
                    "view": "timeSeries",
                    "metrics": _lines(metric, functions),
                },
            }
        )
    return {"widgets": widgets}


def _lines(metric: str, functions: list[tuple[str, str | None]]) -> list[list[Any]]:
    lines: list[list[Any]] = []
    for name, alias in functions:
        dims: list[str] = ["FunctionName", name]
        if metric in PER_ALIAS and alias:
            dims += ["Resource", f"{name}:{alias}"]
        for stat in STATS.get(metric, ("Sum",)):
            lines.append(["AWS/Lambda", metric, *dims, {"stat": stat}])
    return lines
