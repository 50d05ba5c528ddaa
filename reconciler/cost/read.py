"""Observe stage for `reconcile cost`: each function's metrics over the period (reads only).

One GetMetricData for every function at once (a single period spanning the days asked for),
and the log groups' stored bytes from one DescribeLogGroups listing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reconciler.adapters.base import Context, paginate
from reconciler.cost.estimate import UNTAGGED
from reconciler.cost.usage import FunctionUse, Period, held_seconds
from reconciler.desired.scaling import capacity, held, in_force, words
from reconciler.expand.application_autoscaling import scaling_of
from reconciler.expand.lambda_ import FUNCTION, PROVISIONED_CONCURRENCY, SCALER
from reconciler.expand.resources import Live, Resource, ResourceId

LAMBDA = "AWS/Lambda"
# Metric, statistic, and whether it is the alias's (provisioned concurrency) or the function's.
QUERIES = (
    ("Invocations", "Sum", False),
    ("Duration", "Sum", False),
    ("ProvisionedConcurrencyInvocations", "Sum", True),
    ("ProvisionedConcurrencySpilloverInvocations", "Sum", True),
    ("ProvisionedConcurrencyUtilization", "Average", True),
)


def uses(
    ctx: Context,
    resources: Sequence[Resource],
    live: Mapping[ResourceId, Live | None],
    days: int,
    now: dt.datetime,
) -> list[FunctionUse]:
    functions = [r for r in resources if r.id.kind == FUNCTION.key]
    aliases = {
        r.payload["function"]: r.id.name
        for r in resources
        if r.id.kind == PROVISIONED_CONCURRENCY.key
    }
    queries = [q for fn in functions for q in _queries(fn.id.name, aliases.get(fn.id.name), days)]
    queries += [_log_query(fn, days) for fn in functions]
    values = _metric_values(ctx, queries, days, now)
    stored = _stored_bytes(ctx)
    return [_use(fn, live, aliases, values, stored, period=Period(days, now)) for fn in functions]


def last_modified(text: Any) -> dt.datetime | None:
    """Lambda's `LastModified` (`2026-12-07T01:50:00.123+0000`) as a time, None if absent."""
    if not isinstance(text, str) or not text:
        return None
    normal = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.replace("Z", "+00:00"))
    try:
        parsed = dt.datetime.fromisoformat(normal)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _id(function: str, metric: str) -> str:
    # Query ids: lowercase letters, digits and underscores, starting with a letter.
    return "m_" + re.sub(r"[^a-z0-9_]", "_", f"{function}_{metric}".lower())


def _queries(function: str, alias: str | None, days: int) -> list[dict[str, Any]]:
    out = []
    for metric, stat, of_alias in QUERIES:
        if of_alias and alias is None:
            continue
        dimensions = [{"Name": "FunctionName", "Value": function}]
        if of_alias and alias is not None:
            dimensions.append({"Name": "Resource", "Value": alias})
        out.append(_query(_id(function, metric), LAMBDA, metric, dimensions, stat=stat, days=days))
    return out


def _log_query(function: Resource, days: int) -> dict[str, Any]:
    group = [{"Name": "LogGroupName", "Value": f"/aws/lambda/{function.id.name}"}]
    return _query(
        _id(function.id.name, "IncomingBytes"),
        "AWS/Logs",
        "IncomingBytes",
        group,
        stat="Sum",
        days=days,
    )


def _query(
    qid: str, namespace: str, metric: str, dimensions: list[dict[str, str]], *, stat: str, days: int
) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
            # One data point for the whole period.
            "Period": days * 86400,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def _metric_values(
    ctx: Context, queries: list[dict[str, Any]], days: int, now: dt.datetime
) -> dict[str, Decimal]:
    cw = ctx.client("cloudwatch")
    values: dict[str, Decimal] = {}
    # GetMetricData takes at most 500 queries a call.
    for start in range(0, len(queries), 500):
        results = paginate(
            cw,
            "get_metric_data",
            "MetricDataResults",
            MetricDataQueries=queries[start : start + 500],
            StartTime=now - dt.timedelta(days=days),
            EndTime=now,
        )
        for result in results:
            found = result.get("Values") or []
            if found:
                values[result["Id"]] = Decimal(str(sum(found)))
    return values


def _stored_bytes(ctx: Context) -> dict[str, Decimal]:
    logs = ctx.client("logs")
    groups = paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix="/aws/lambda/")
    return {g["logGroupName"]: Decimal(g.get("storedBytes", 0)) for g in groups}


def _use(
    function: Resource,
    live: Mapping[ResourceId, Live | None],
    aliases: Mapping[str, str],
    values: Mapping[str, Decimal],
    stored: Mapping[str, Decimal],
    *,
    period: Period,
) -> FunctionUse:
    name = function.id.name
    running = live.get(function.id)
    fields = running.fields if running is not None else function.fields
    alias = aliases.get(name)
    pc = live.get(ResourceId(PROVISIONED_CONCURRENCY.key, alias)) if alias else None
    tags = fields.get("tags") or function.fields.get("tags") or {}

    def value(metric: str) -> Decimal:
        return values.get(_id(name, metric), Decimal(0))

    utilisation = values.get(_id(name, "ProvisionedConcurrencyUtilization"))
    count = int(pc.fields.get("count") or 0) if pc is not None else 0
    since = last_modified(pc.meta.get("since")) if pc is not None else None
    scaler = live.get(ResourceId(SCALER, alias)) if alias else None
    instance_seconds, words_ = _scheduled(scaler, period)
    return FunctionUse(
        name=name,
        cost_center=str(tags.get("CostCenter") or UNTAGGED),
        memory_mb=int(fields["memory_mb"]),
        architecture=str(fields.get("architecture") or "x86_64"),
        invocations=value("Invocations"),
        duration_ms=value("Duration"),
        provisioned=count,
        provisioned_seconds=held_seconds(since, period) if count else Decimal(0),
        provisioned_since=since,
        provisioned_invocations=value("ProvisionedConcurrencyInvocations"),
        spillover_invocations=value("ProvisionedConcurrencySpilloverInvocations"),
        utilisation=utilisation,
        log_ingested_bytes=value("IncomingBytes"),
        log_stored_bytes=stored.get(f"/aws/lambda/{name}", Decimal(0)),
        instance_seconds=instance_seconds,
        scheduled=words_,
    )


def _scheduled(scaler: Live | None, period: Period) -> tuple[Decimal | None, str]:
    """What a schedule held over the period (from its target's registration), by the hours
    each of its actions held; None when no schedule holds the alias's capacity."""
    if scaler is None or not scaler.fields.get("schedule"):
        return None, ""
    scaling = scaling_of(scaler.fields)
    created = scaler.meta.get("created")
    start = max(period.start, created) if isinstance(created, dt.datetime) else period.start
    if start >= period.now:
        return Decimal(0), words(scaling)
    stretches = held(scaling, start, period.now)
    counts = capacity(scaling, stretches, in_force(scaling, start)[0])
    seconds = sum(
        (Decimal(str(s.hours * 3600)) * n for s, n in zip(stretches, counts, strict=True)),
        Decimal(0),
    )
    return seconds, words(scaling)
