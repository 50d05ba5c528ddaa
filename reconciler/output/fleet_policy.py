"""Output: least privilege across a fleet's accounts (pure).

The hub (where the reconciler runs) may assume exactly the fleet's roles and, for targets
without a role, do what their runs need itself. Each spoke role may do what the runs of its
targets need, for their suffixes and regions only, and trusts the hub alone, with the
ExternalId condition when its targets give one (as a placeholder: the value is a secret).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from reconciler.desired.model import StackSpec
from reconciler.errors import InputError
from reconciler.fleet.model import Fleet, FleetTarget
from reconciler.output.reconciler_policy import VERSION, PolicyScope, policy

Specs = Callable[[FleetTarget], list[StackSpec]]
HUB = re.compile(r"^(?:arn:aws(?:-[a-z]+)*:iam::\d{12}:(?:role|user)/[\w+=,.@/-]+|\d{12})$")
# IAM's limit for a managed policy, whitespace not counted; past it, one statement per kind
# names every suffix with `*` instead of each suffix.
MANAGED_POLICY_LIMIT = 6144


def hub_principal(text: str) -> str:
    """The hub's role (or user) ARN, or its account id (trusting the account's root)."""
    if not HUB.match(text):
        raise InputError(f"--hub {text!r}: expected an IAM role ARN or a 12-digit account id")
    return f"arn:aws:iam::{text}:root" if text.isdigit() else text


def fleet_policies(fleet: Fleet, specs: Specs, hub: str) -> dict[str, Any]:
    """The hub's policies and each role's permission and trust policies, as one document."""
    roles: dict[str, list[FleetTarget]] = {}
    for target in fleet.targets:
        if target.role_arn is not None:
            roles.setdefault(target.role_arn, []).append(target)
    direct = [t for t in fleet.targets if t.role_arn is None]
    hub_policies: dict[str, Any] = {}
    if roles:
        assume = _statement("AssumeFleetRoles", ["sts:AssumeRole"], sorted(roles))
        hub_policies["assume-fleet-roles"] = {"Version": VERSION, "Statement": [assume]}
    if direct:
        hub_policies["reconcile"] = _merged(direct, specs)
    return {
        "hub": {"principal": hub, "policies": hub_policies},
        "roles": [
            {
                "role_arn": arn,
                "targets": [t.label for t in targets],
                "policy": _merged(targets, specs),
                "trust_policy": _trust(hub, targets),
            }
            for arn, targets in sorted(roles.items())
        ],
    }


def rendered(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def _merged(targets: list[FleetTarget], specs: Specs) -> dict[str, Any]:
    """One policy for the runs of several targets: each statement's actions and resources
    are the union of theirs (statements are per kind, so they line up by Sid)."""
    exact = _union(policy(specs(t), PolicyScope(t.suffix, t.account, t.region)) for t in targets)
    if _size(exact) <= MANAGED_POLICY_LIMIT:
        return exact
    return _union(policy(specs(t), PolicyScope("*", t.account, t.region)) for t in targets)


def _union(documents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    by_sid: dict[str, dict[str, Any]] = {}
    for document in documents:
        for statement in document["Statement"]:
            into = by_sid.setdefault(statement["Sid"], {**statement, "Action": [], "Resource": []})
            into["Action"] = sorted({*into["Action"], *_listed(statement["Action"])})
            into["Resource"] = sorted({*into["Resource"], *_listed(statement["Resource"])})
    statements = [
        {**s, "Resource": s["Resource"] if len(s["Resource"]) > 1 else s["Resource"][0]}
        for s in by_sid.values()
    ]
    return {"Version": VERSION, "Statement": statements}


def _trust(hub: str, targets: list[FleetTarget]) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "TrustTheHub",
        "Effect": "Allow",
        "Principal": {"AWS": hub},
        "Action": "sts:AssumeRole",
    }
    refs = sorted({str(t.external_id) for t in targets if t.external_id is not None})
    if refs:
        # The ExternalId is a secret the fleet file names, never holds: fill in its value.
        placeholders = [f"<the value of {ref}>" for ref in refs]
        statement["Condition"] = {
            "StringEquals": {"sts:ExternalId": placeholders[0] if len(refs) == 1 else placeholders}
        }
    return {"Version": VERSION, "Statement": [statement]}


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resources if len(resources) > 1 else resources[0],
    }


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")))
