"""Import: what exists, read from AWS for the functions chosen (reads only).

The reads go through the run's context like every adapter's; what is read is kept raw, as AWS
answers it, for `importer.toml` to turn into a desired state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.adapters.base import Context, paginate, unless_missing
from reconciler.errors import InputError

MISSING = ("ResourceNotFoundException",)
QUEUE_MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


@dataclass(frozen=True)
class LiveLayer:
    name: str
    arn: str
    location: str
    runtimes: tuple[str, ...]
    architectures: tuple[str, ...]


@dataclass(frozen=True)
class LiveFunction:
    """One function as it runs, with what hangs off it."""

    config: dict[str, Any]
    tags: dict[str, str]
    reserved: int | None
    code_location: str
    retention_days: int | None
    invoke_config: dict[str, Any] | None = None
    alias: dict[str, Any] | None = None
    provisioned: int = 0
    queue: dict[str, str] | None = None
    layers: tuple[LiveLayer, ...] = field(default=())

    @property
    def name(self) -> str:
        return str(self.config["FunctionName"])


def chosen(ctx: Context, names: Sequence[str], tags: Sequence[tuple[str, str]]) -> list[str]:
    """The functions named, or every function carrying all of `tags`; none is an error."""
    lam = ctx.client("lambda")
    if names:
        missing = [n for n in names if not _exists(lam, n)]
        if missing:
            raise InputError(f"no function named {missing[0]!r} in this account and region")
        return sorted(set(names))
    found = sorted(
        f["FunctionName"]
        for f in paginate(lam, "list_functions", "Functions")
        if _has_tags(lam.list_tags(Resource=f["FunctionArn"])["Tags"], tags)
    )
    if not found:
        wanted = ", ".join(f"{k}={v}" for k, v in tags)
        raise InputError(f"no function carries the tags {wanted}")
    return found


def _exists(lam: Any, name: str) -> bool:
    return unless_missing(lambda: lam.get_function(FunctionName=name), *MISSING) is not None


def _has_tags(have: dict[str, str], wanted: Sequence[tuple[str, str]]) -> bool:
    return all(have.get(key) == value for key, value in wanted)


def function(ctx: Context, name: str) -> LiveFunction:
    lam = ctx.client("lambda")
    got = lam.get_function(FunctionName=name)
    config = got["Configuration"]
    alias = next(iter(paginate(lam, "list_aliases", "Aliases", FunctionName=name)), None)
    return LiveFunction(
        config=config,
        tags=dict(got.get("Tags", {})),
        reserved=got.get("Concurrency", {}).get("ReservedConcurrentExecutions"),
        code_location=str(got["Code"]["Location"]),
        retention_days=_retention(ctx, name),
        invoke_config=unless_missing(
            lambda: lam.get_function_event_invoke_config(FunctionName=name), *MISSING
        ),
        alias=alias,
        provisioned=_provisioned(ctx, name, alias["Name"]) if alias else 0,
        queue=_queue(ctx, config.get("DeadLetterConfig", {}).get("TargetArn")),
        layers=tuple(_layer(ctx, item["Arn"]) for item in config.get("Layers", [])),
    )


def _retention(ctx: Context, name: str) -> int | None:
    group = f"/aws/lambda/{name}"
    listed = ctx.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    found: dict[str, Any] = next((g for g in listed if g["logGroupName"] == group), {})
    days = found.get("retentionInDays")
    return int(days) if days is not None else None


def _provisioned(ctx: Context, name: str, alias: str) -> int:
    lam = ctx.client("lambda")
    got = unless_missing(
        lambda: lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=alias),
        "ProvisionedConcurrencyConfigNotFoundException",
        *MISSING,
    )
    return int(got["RequestedProvisionedConcurrentExecutions"]) if got else 0


def _queue(ctx: Context, arn: str | None) -> dict[str, str] | None:
    if not arn:
        return None
    if ":sqs:" not in arn:
        raise InputError(f"dead-letter target {arn} is not an SQS queue, which a stack declares")
    sqs = ctx.client("sqs")
    name = arn.rsplit(":", 1)[1]
    url = unless_missing(lambda: sqs.get_queue_url(QueueName=name), *QUEUE_MISSING)
    if url is None:
        raise InputError(f"dead-letter queue {name} does not exist")
    attributes = sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["All"])
    return {"QueueName": name, **attributes["Attributes"]}


def _layer(ctx: Context, arn: str) -> LiveLayer:
    if f":{ctx.target.account_id}:layer:" not in arn:
        raise InputError(f"layer {arn} belongs to another account, which a stack cannot declare")
    got = ctx.client("lambda").get_layer_version_by_arn(Arn=arn)
    return LiveLayer(
        name=arn.split(":layer:")[1].rsplit(":", 1)[0],
        arn=arn,
        location=str(got["Content"]["Location"]),
        runtimes=tuple(got.get("CompatibleRuntimes", [])),
        architectures=tuple(got.get("CompatibleArchitectures", [])),
    )


def metric_alarms(ctx: Context) -> list[dict[str, Any]]:
    """Every metric alarm of the account and region (one paginated read; CloudWatch cannot
    filter by dimension)."""
    cloudwatch = ctx.client("cloudwatch")
    return paginate(cloudwatch, "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"])
