"""Adapters: one module per AWS service; the registry maps each kind's key to its adapter.

A kind's facts are in its descriptor (`reconciler.expand`); its adapter names it by key.
"""

from __future__ import annotations

from reconciler.adapters.application_autoscaling import ScalableTargets
from reconciler.adapters.base import Adapter
from reconciler.adapters.cloudwatch import Alarms, Dashboards
from reconciler.adapters.dynamodb import Tables
from reconciler.adapters.iam.managed_policies import Policies
from reconciler.adapters.iam.roles import Roles
from reconciler.adapters.lambda_.aliases import Aliases
from reconciler.adapters.lambda_.functions import Functions
from reconciler.adapters.lambda_.invoke_config import EventInvokeConfigs
from reconciler.adapters.lambda_.layers import Layers, LayerVersions
from reconciler.adapters.lambda_.provisioned import ProvisionedConcurrency
from reconciler.adapters.logs import LogGroups
from reconciler.adapters.sqs import Queues
from reconciler.adapters.xray import Groups

ADAPTERS: dict[str, Adapter] = {
    adapter.kind: adapter
    for adapter in (
        Tables(),
        Queues(),
        Layers(),
        LayerVersions(),
        LogGroups(),
        Policies(),
        Roles(),
        Functions(),
        EventInvokeConfigs(),
        Aliases(),
        ProvisionedConcurrency(),
        ScalableTargets(),
        Alarms(),
        Groups(),
        Dashboards(),
    )
}


def adapter_for(kind: str) -> Adapter:
    return ADAPTERS[kind]
