"""Builders for pure tests: the shipped stack rendered for a suffix, with fixed secrets."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.load import load_stack
from reconciler.desired.packaging import package
from reconciler.expand import Target, expand
from reconciler.expand.resources import Live, Resource

ROOT = Path(__file__).parents[2]
SECRETS = {
    ("transactions", "processor", "DATABASE_URL"): "postgres://u:pw-123@db/x",
    ("transactions", "processor", "API_KEY"): "key-abc",
}
TARGET = Target("pr42", "123456789012", "us-east-1")


def rendered(suffix: str = "pr42") -> tuple[Resource, ...]:
    spec = load_stack(ROOT / "desired_state" / "transactions.toml")
    code = {fn.key: package(fn.source) for fn in spec.functions}
    target = Target(suffix, TARGET.account_id, TARGET.region)
    return expand(spec, target, SECRETS, code)


def by_kind(resources: tuple[Resource, ...], kind: str) -> Resource:
    return next(r for r in resources if r.id.kind == kind)


def live_of(resource: Resource, **overrides: object) -> Live:
    """A live copy of a desired resource, with some fields changed."""
    return Live({**resource.fields, **overrides})
