"""Expand stage: what one resource kind is to the reconciler, declared once (pure).

A kind's descriptor sits beside its builder, in this package's module for its AWS service; its
adapter (`reconciler.adapters`) names it by key. Everything else is derived from the
descriptors: the creation order (`catalog`), the suffix and name-length checks
(`desired.names`), the reconciler's own IAM policy (`output.reconciler_policy`) and the adapter
registry. The descriptors are pure data on purpose: the planner and the name checks read them,
and those stages never import an adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.desired.model import StackSpec
from reconciler.desired.names import NameRule
from reconciler.expand.resources import Resource

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext


@dataclass(frozen=True)
class ArnForms:
    """How IAM names one resource of a kind: `{}` stands for the resource's name."""

    service: str
    resources: tuple[str, ...]
    regional: bool = True


@dataclass(frozen=True)
class Named:
    """One name a stack declares: its template, where it comes from, and whose it is.

    `owner` is the declaration the resource belongs to (`functions.processor`, `tables.ledger`,
    `stack`); `extra` holds placeholders only this name has (an alarm's `{function}`).
    """

    template: str
    where: str
    owner: str
    extra: tuple[tuple[str, str], ...] = ()


Names = Callable[[StackSpec], list[Named]]
Builder = Callable[["StackContext"], list[Resource]]
# What a reviewer must know about a change of this kind beyond its fields.
Notes = Callable[[frozenset[str]], tuple[str, ...]]


def no_notes(_: frozenset[str]) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Kind:
    """Everything the reconciler knows about a kind of resource, except how to call AWS."""

    key: str
    service: str
    names: Names = field(compare=False, repr=False)
    build: Builder = field(compare=False, repr=False)
    # None: the kind is named after the resource it belongs to (an alias after its function).
    rule: NameRule | None = None
    arns: ArnForms | None = None
    # The IAM actions its adapter calls on one resource, and the kind whose ARN scopes them.
    actions: tuple[str, ...] = ()
    scope: str = ""
    # Account-wide reads its adapter makes (listings and tag reads of discovery): `*`.
    listing: tuple[str, ...] = ()
    # Given the top-level fields an update changes.
    notes: Notes = field(default=no_notes, compare=False, repr=False)

    @property
    def scoped_by(self) -> str:
        return self.scope or self.key


def no_names(_: StackSpec) -> list[Named]:
    """For kinds whose every resource is named after one of another kind."""
    return []


def function_owner(key: str) -> str:
    """The owner key of everything declared under `[functions.<key>]`."""
    return f"functions.{key}"


def alarm_owner(function_key: str, alarm_key: str) -> str:
    """The owner key of a function's alarm of `[alarms.<key>]`."""
    return f"{function_owner(function_key)}.alarms.{alarm_key}"
