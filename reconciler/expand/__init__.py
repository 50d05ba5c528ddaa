"""Expand stage: a stack's desired state + a target -> the concrete resources it declares (pure).

Each kind's descriptor and builder live in this package's module for its AWS service; `catalog`
lists the kinds in creation order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from reconciler.desired.model import StackSpec
from reconciler.desired.names import NamedTemplate
from reconciler.desired.packaging import CodePackage
from reconciler.desired.secrets import SecretKey
from reconciler.expand.catalog import KINDS
from reconciler.expand.kind import Kind
from reconciler.expand.lambda_ import Release, release_of
from reconciler.expand.resources import Resource
from reconciler.expand.stack import StackContext
from reconciler.expand.targets import Names, Target

__all__ = ["DeclaredName", "Target", "declared_names", "expand", "name_checks", "releases"]


def expand(
    spec: StackSpec,
    target: Target,
    secrets: Mapping[SecretKey, str],
    code: Mapping[str, CodePackage],
) -> tuple[Resource, ...]:
    """All resources of the stack for one target, with names, ARNs and tags filled in.

    `code` holds a package per function key and per `layer:<key>`.
    """
    stack = StackContext(spec, target, secrets, code, KINDS)
    resources = [r for kind in KINDS for r in stack.built(kind)]
    return tuple(
        replace(r, stack=spec.name, ignore=(*r.ignore, *_ignored(spec, r.id.kind)))
        for r in resources
    )


def releases(spec: StackSpec, target: Target) -> list[Release]:
    """How each declared alias of the stack is released (names only: no code, no secret)."""
    stack = StackContext(spec, target, {}, {}, KINDS)
    return [release_of(stack, fn, fn.alias) for fn in spec.functions if fn.alias is not None]


@dataclass(frozen=True)
class DeclaredName:
    """A name the stack declares, every placeholder but `{suffix}` filled in."""

    kind: Kind
    template: str
    where: str


def declared_names(spec: StackSpec) -> list[DeclaredName]:
    """Every name the stack declares: the same declarations its builders name resources from."""
    templates = Names(spec, "{suffix}")
    return [
        DeclaredName(kind, templates.expand(n.template, n.where, **dict(n.extra)), n.where)
        for kind in KINDS
        for n in kind.names(spec)
    ]


def name_checks(spec: StackSpec) -> list[NamedTemplate]:
    """The declared names whose service limits them, to check a suffix before any AWS call.

    In the order of the keys they come from, so that a name is reported before the names
    made from it (a function's before its log group's).
    """
    checks = [
        NamedTemplate(d.kind.rule, d.template, d.where)
        for d in declared_names(spec)
        if d.kind.rule is not None
    ]
    return sorted(checks, key=lambda check: check.where)


def _ignored(spec: StackSpec, kind: str) -> tuple[str, ...]:
    return tuple(item.split(":", 1)[1] for item in spec.ignore if item.split(":", 1)[0] == kind)
