"""AWS access: every service a run calls, with its request-rate quotas.

The kinds' services come from their descriptors (`expand.kind.Service`); only the services a
run calls for itself, which no kind manages, are declared here: identity, secrets, and the
lease's table (DynamoDB, also a kind's service).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.expand.catalog import KINDS
from reconciler.expand.dynamodb import DYNAMODB
from reconciler.expand.kind import ANY, ASSUMED, Kind, Quota, Service

STS = Service("sts", (Quota("sts", ANY, 100, ASSUMED + "; per API"),))
SSM = Service("ssm", (Quota("ssm", ANY, 40, ASSUMED + "; GetParameters"),))
# Tags in bulk (see adapters/tagging.py); AWS publishes no per-API figure.
TAGGING = Service(
    "resourcegroupstaggingapi",
    (Quota("resourcegroupstaggingapi", ANY, 10, ASSUMED + "; GetResources"),),
)
RUN_OWN = (DYNAMODB, STS, SSM, TAGGING)


def services_of(kinds: Iterable[Kind]) -> tuple[Service, ...]:
    """The services of these kinds and the run's own, each once."""
    by_name: dict[str, Service] = {}
    for service in (*(kind.service for kind in kinds), *RUN_OWN):
        by_name.setdefault(service.name, service)
    return tuple(by_name.values())


def quotas_of(services: Iterable[Service]) -> tuple[Quota, ...]:
    return tuple(quota for service in services for quota in service.quotas)


SERVICES: tuple[Service, ...] = services_of(KINDS)
NAMES: tuple[str, ...] = tuple(sorted(service.name for service in SERVICES))
