"""X-Ray groups, sampling rules and their tags, which moto does not implement."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reconciler.sandbox.tagging import Tagged
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import json_error
from reconciler.sandbox.wire.tags import tag_dict, tag_list
from reconciler.sandbox.wire.wsgi import Response, json_response
from reconciler.sandbox.xray.model import (
    DEFAULT,
    Group,
    SamplingRule,
    default_group,
    default_rule,
    new_group,
    new_rule,
)

XRAY = "xray"


@dataclass
class _Scope:
    """Everything X-Ray holds for one account and region."""

    groups: dict[str, Group]
    rules: dict[str, SamplingRule]
    tags: dict[str, dict[str, str]] = field(default_factory=dict)

    def group(self, name: str | None, arn: str | None) -> Group | None:
        return next((g for g in self.groups.values() if g.name == name or g.arn == arn), None)

    def rule(self, name: str | None, arn: str | None) -> SamplingRule | None:
        return next((r for r in self.rules.values() if r.name == name or r.arn == arn), None)

    def owns(self, arn: str) -> bool:
        return self.group(None, arn) is not None or self.rule(None, arn) is not None


_Action = Callable[[Call, _Scope], Response]
# Group and sampling-rule ARNs belong to this layer even when unknown, so a stale ARN gets
# X-Ray's own 404 rather than whatever moto says about a path it does not serve.
_OWNED_ARN = re.compile(r"^arn:[^:]+:xray:[^:]*:[^:]*:(group|sampling-rule)/")


def invalid_request(message: str) -> Response:
    return json_error("InvalidRequestException", 400, message)


class XRay:
    """The X-Ray control plane the reconciler manages; data-plane calls still reach moto."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._scopes: dict[tuple[str, str], _Scope] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield XRAY, "CreateGroup", self._locked(self._create_group)
        yield XRAY, "GetGroup", self._locked(self._get_group)
        yield XRAY, "GetGroups", self._locked(self._get_groups)
        yield XRAY, "UpdateGroup", self._locked(self._update_group)
        yield XRAY, "DeleteGroup", self._locked(self._delete_group)
        yield XRAY, "GetSamplingRules", self._locked(self._get_rules)
        yield XRAY, "CreateSamplingRule", self._locked(self._create_rule)
        yield XRAY, "UpdateSamplingRule", self._locked(self._update_rule)
        yield XRAY, "DeleteSamplingRule", self._locked(self._delete_rule)
        yield XRAY, "TagResource", self._tagging(self._tag)
        yield XRAY, "UntagResource", self._tagging(self._untag)
        yield XRAY, "ListTagsForResource", self._tagging(self._list_tags)

    def reset(self) -> None:
        with self._ctx.lock:
            self._scopes.clear()

    def tagged(self, account: str, region: str) -> list[Tagged]:
        """Groups and rules of the account-region with their tags (for GetResources)."""
        with self._ctx.lock:
            scope = self._scopes.get((account, region))
            return [] if scope is None else [Tagged(a, dict(t)) for a, t in scope.tags.items()]

    def _locked(self, action: _Action) -> Handler:
        def handler(call: Call, forward: Forward) -> Response:
            with self._ctx.lock:
                return action(call, self._scope(call))

        return handler

    def _tagging(self, action: _Action) -> Handler:
        # Only groups and sampling rules are handled here; any other ARN is moto's business.
        def handler(call: Call, forward: Forward) -> Response:
            arn = str(call.json().get("ResourceARN", ""))
            if not _OWNED_ARN.match(arn):
                return forward(call)
            with self._ctx.lock:
                scope = self._scope(call)
                if not scope.owns(arn):
                    return json_error("ResourceNotFoundException", 404, f"{arn} not found")
                return action(call, scope)

        return handler

    def _scope(self, call: Call) -> _Scope:
        key = (call.account, call.region)
        if key not in self._scopes:
            group = default_group(call.region, call.account)
            rule = default_rule(call.region, call.account)
            self._scopes[key] = _Scope({DEFAULT: group}, {DEFAULT: rule})
        return self._scopes[key]

    def _create_group(self, call: Call, scope: _Scope) -> Response:
        request = call.json()
        if str(request.get("GroupName", "")) in scope.groups:
            return invalid_request("Group already exists")
        group = new_group(call.region, call.account, request)
        scope.groups[group.name] = group
        scope.tags[group.arn] = tag_dict(request.get("Tags"))
        return json_response(200, {"Group": group.to_json()})

    def _get_group(self, call: Call, scope: _Scope) -> Response:
        request = call.json()
        group = scope.group(request.get("GroupName"), request.get("GroupARN"))
        if group is None:
            return invalid_request("Group not found")
        return json_response(200, {"Group": group.to_json()})

    def _get_groups(self, call: Call, scope: _Scope) -> Response:
        return json_response(200, {"Groups": [g.to_json() for g in scope.groups.values()]})

    def _update_group(self, call: Call, scope: _Scope) -> Response:
        request = call.json()
        group = scope.group(request.get("GroupName"), request.get("GroupARN"))
        if group is None:
            return invalid_request("Group not found")
        if group.name == DEFAULT:
            return invalid_request("The Default group cannot be updated")
        scope.groups[group.name] = group.updated(request)
        return json_response(200, {"Group": scope.groups[group.name].to_json()})

    def _delete_group(self, call: Call, scope: _Scope) -> Response:
        request = call.json()
        group = scope.group(request.get("GroupName"), request.get("GroupARN"))
        if group is None:
            return invalid_request("Group not found")
        if group.name == DEFAULT:
            return invalid_request("The Default group cannot be deleted")
        del scope.groups[group.name]
        scope.tags.pop(group.arn, None)
        return json_response(200, {})

    def _get_rules(self, call: Call, scope: _Scope) -> Response:
        ordered = sorted(scope.rules.values(), key=lambda r: (r.fields["Priority"], r.name))
        return json_response(200, {"SamplingRuleRecords": [r.to_record() for r in ordered]})

    def _create_rule(self, call: Call, scope: _Scope) -> Response:
        request = call.json()
        fields = request.get("SamplingRule") or {}
        if str(fields.get("RuleName", "")) in scope.rules:
            return invalid_request("SamplingRule already exists")
        if fields.get("Version") != 1:
            return invalid_request("Version must be 1")
        rule = new_rule(call.region, call.account, fields, time.time())
        scope.rules[rule.name] = rule
        scope.tags[rule.arn] = tag_dict(request.get("Tags"))
        return json_response(200, {"SamplingRuleRecord": rule.to_record()})

    def _update_rule(self, call: Call, scope: _Scope) -> Response:
        update = call.json().get("SamplingRuleUpdate") or {}
        rule = scope.rule(update.get("RuleName"), update.get("RuleARN"))
        if rule is None:
            return invalid_request("SamplingRule does not exist")
        scope.rules[rule.name] = rule.updated(update, time.time())
        return json_response(200, {"SamplingRuleRecord": scope.rules[rule.name].to_record()})

    def _delete_rule(self, call: Call, scope: _Scope) -> Response:
        request = call.json()
        rule = scope.rule(request.get("RuleName"), request.get("RuleARN"))
        if rule is None:
            return invalid_request("SamplingRule does not exist")
        if rule.name == DEFAULT:
            return invalid_request("The Default sampling rule cannot be deleted")
        del scope.rules[rule.name]
        scope.tags.pop(rule.arn, None)
        return json_response(200, {"SamplingRuleRecord": rule.to_record()})

    def _tag(self, call: Call, scope: _Scope) -> Response:
        request = call.json()
        arn = str(request["ResourceARN"])
        scope.tags[arn] = {**scope.tags.get(arn, {}), **tag_dict(request.get("Tags"))}
        return json_response(200, {})

    def _untag(self, call: Call, scope: _Scope) -> Response:
        request = call.json()
        arn = str(request["ResourceARN"])
        removed = set(request.get("TagKeys") or [])
        scope.tags[arn] = {k: v for k, v in scope.tags.get(arn, {}).items() if k not in removed}
        return json_response(200, {})

    def _list_tags(self, call: Call, scope: _Scope) -> Response:
        arn = str(call.json()["ResourceARN"])
        return json_response(200, {"Tags": tag_list(scope.tags.get(arn, {}))})
