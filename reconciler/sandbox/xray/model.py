"""X-Ray groups and sampling rules as AWS reports them, plus each account's defaults."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT = "Default"
# Fields a SamplingRuleUpdate may change; the name and ARN identify the rule instead.
_UPDATABLE_RULE_FIELDS = (
    "ResourceARN",
    "Priority",
    "FixedRate",
    "ReservoirSize",
    "Host",
    "ServiceName",
    "ServiceType",
    "HTTPMethod",
    "URLPath",
    "Attributes",
    "SamplingRateBoost",
)


@dataclass(frozen=True)
class Group:
    name: str
    arn: str
    filter_expression: str | None = None
    insights_enabled: bool = False
    notifications_enabled: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"GroupName": self.name, "GroupARN": self.arn}
        if self.filter_expression is not None:
            body["FilterExpression"] = self.filter_expression
        body["InsightsConfiguration"] = {
            "InsightsEnabled": self.insights_enabled,
            "NotificationsEnabled": self.notifications_enabled,
        }
        return body

    def updated(self, request: Mapping[str, Any]) -> Group:
        changed = self
        if "FilterExpression" in request:
            changed = replace(changed, filter_expression=request["FilterExpression"])
        insights = request.get("InsightsConfiguration") or {}
        if "InsightsEnabled" in insights:
            changed = replace(changed, insights_enabled=bool(insights["InsightsEnabled"]))
        if "NotificationsEnabled" in insights:
            changed = replace(changed, notifications_enabled=bool(insights["NotificationsEnabled"]))
        return changed


@dataclass(frozen=True)
class SamplingRule:
    """A rule's fields exactly as the API spells them, plus its timestamps."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    modified_at: float = 0.0

    @property
    def name(self) -> str:
        return str(self.fields["RuleName"])

    @property
    def arn(self) -> str:
        return str(self.fields["RuleARN"])

    def to_record(self) -> dict[str, Any]:
        return {
            "SamplingRule": dict(self.fields),
            "CreatedAt": self.created_at,
            "ModifiedAt": self.modified_at,
        }

    def updated(self, request: Mapping[str, Any], now: float) -> SamplingRule:
        changes = {k: request[k] for k in _UPDATABLE_RULE_FIELDS if request.get(k) is not None}
        return replace(self, fields={**self.fields, **changes}, modified_at=now)


def xray_arn(region: str, account: str, resource: str) -> str:
    return f"arn:aws:xray:{region}:{account}:{resource}"


def new_group(region: str, account: str, request: Mapping[str, Any]) -> Group:
    name = str(request["GroupName"])
    # Group ARNs end in an opaque id, so a re-created group gets a new ARN.
    group_id = base64.b32encode(os.urandom(32)).decode().rstrip("=")
    arn = xray_arn(region, account, f"group/{name}/{group_id}")
    return Group(name, arn).updated(request)


def default_group(region: str, account: str) -> Group:
    return Group(DEFAULT, xray_arn(region, account, f"group/{DEFAULT}"))


def new_rule(region: str, account: str, request: Mapping[str, Any], now: float) -> SamplingRule:
    fields = {"Attributes": {}, **request}
    fields["RuleARN"] = xray_arn(region, account, f"sampling-rule/{request['RuleName']}")
    return SamplingRule(fields, created_at=now, modified_at=now)


def default_rule(region: str, account: str) -> SamplingRule:
    fields = {
        "RuleName": DEFAULT,
        "RuleARN": xray_arn(region, account, f"sampling-rule/{DEFAULT}"),
        "ResourceARN": "*",
        "Priority": 10000,
        "FixedRate": 0.05,
        "ReservoirSize": 1,
        "ServiceName": "*",
        "ServiceType": "*",
        "Host": "*",
        "HTTPMethod": "*",
        "URLPath": "*",
        "Version": 1,
        "Attributes": {},
    }
    return SamplingRule(fields)
