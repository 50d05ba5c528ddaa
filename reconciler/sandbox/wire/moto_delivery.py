"""What AWS's own services write on a function's behalf, put straight into moto's state.

Lambda writes its functions' logs, publishes their metrics and sends failed events to dead-letter
queues without anyone calling an API; CloudWatch runs alarm actions the same way. Those writes
are not API calls of any client, so they are made in-process (never recorded as calls).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from moto.cloudwatch.models import MetricDatum, cloudwatch_backends
from moto.core.utils import utcnow
from moto.logs.models import logs_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.sts.models import sts_backends


@dataclass(frozen=True)
class Datum:
    """One metric data point."""

    namespace: str
    name: str
    value: float
    dimensions: tuple[tuple[str, str], ...]
    unit: str = "Count"


def write_logs(account: str, region: str, group: str, stream: str, lines: Iterable[str]) -> None:
    """Append lines to a log stream, creating the group and stream as Lambda does."""
    backend = logs_backends[account][region]
    if group not in backend.groups:
        backend.create_log_group(group, tags={})
    log_group = backend.groups[group]
    if stream not in log_group.streams:
        log_group.create_log_stream(stream)
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    events = [{"timestamp": now, "message": line} for line in lines]
    if events:
        log_group.put_log_events(stream, events)


def put_metrics(account: str, region: str, data: Iterable[Datum]) -> None:
    backend = cloudwatch_backends[account][region]
    now = utcnow()  # moto compares its timestamps as it makes them
    for datum in data:
        dimensions = [{"Name": k, "Value": v} for k, v in datum.dimensions]
        backend.metric_data.append(
            MetricDatum(datum.namespace, datum.name, datum.value, dimensions, now, datum.unit)
        )


def metric_values(
    account: str, region: str, namespace: str, name: str, dimensions: Mapping[str, str]
) -> list[tuple[dt.datetime, float]]:
    """Every recorded point of one metric with exactly these dimensions, oldest first."""
    wanted = sorted(dimensions.items())
    found = []
    for datum in cloudwatch_backends[account][region].metric_data:
        if datum.namespace != namespace or datum.name != name:
            continue
        if sorted((d.name, d.value) for d in datum.dimensions) != wanted:
            continue
        if isinstance(datum, MetricDatum):
            found.append((_aware(datum.timestamp), float(datum.value)))
    return sorted(found, key=lambda point: point[0])


def _aware(moment: Any) -> dt.datetime:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    stamp: dt.datetime = moment
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def send_to_queue(arn: str, body: str, attributes: Mapping[str, Mapping[str, str]]) -> bool:
    """Send a message to the SQS queue `arn` names; False when there is no such queue."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        return False
    region, account, name = parts[3], parts[4], parts[5]
    backend = sqs_backends[account][region]
    if name not in backend.queues:
        return False
    backend.send_message(name, body, message_attributes=dict(attributes))
    return True


def publish_to_topic(arn: str, subject: str, body: str) -> bool:
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sns":
        return False
    backend = sns_backends[parts[4]][parts[3]]
    if arn not in backend.topics:
        return False
    backend.publish(body, arn=arn, subject=subject[:100])
    return True


def queue_depths(account: str, region: str) -> dict[str, int]:
    """Visible messages per queue name, as SQS reports ApproximateNumberOfMessagesVisible."""
    queues = sqs_backends[account][region].queues
    return {name: int(queue.approximate_number_of_messages) for name, queue in queues.items()}


def role_credentials(account: str, role_arn: str, session: str) -> dict[str, str]:
    """Temporary credentials of the function's execution role, as Lambda hands a function."""
    assumed = sts_backends[account]["global"].assume_role(
        region_name="us-east-1",
        role_session_name=session[:64],
        role_arn=role_arn,
        policy="",
        duration=43200,
        external_id="",
    )
    return {
        "AWS_ACCESS_KEY_ID": str(assumed.access_key_id),
        "AWS_SECRET_ACCESS_KEY": str(assumed.secret_access_key),
        "AWS_SESSION_TOKEN": str(assumed.session_token),
    }


def request_id() -> str:
    return str(uuid.uuid4())
