"""Expand stage: what one resource kind is to the reconciler, declared once (pure).

A kind's descriptor sits beside its builder, in this package's module for its AWS service; its
adapter (`reconciler.adapters`) names it by key. Everything else is derived from the
descriptors: the creation order (`catalog`), the suffix and name-length checks
(`desired.names`), the reconciler's own IAM policy (`output.reconciler_policy`), the adapter
registry, the services a run loads and assumes into (`aws.assume`), the request-rate quotas it
paces at (`aws.pacing`, from the kind's `Service`), what it costs (`cost.estimate`, from
`fixed` and `usage`) and the local AWS's tagging-on-create check (`sandbox.iam.authz`). The
descriptors are pure data on purpose: the planner and the name checks read them, and those
stages never import an adapter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from reconciler.desired.model import StackSpec
from reconciler.desired.names import NameRule
from reconciler.expand.resources import Resource, ResourceId

if TYPE_CHECKING:
    from reconciler.expand.stack import StackContext


ANY = "*"
# The one call that lists the tags of every kind with `tags_listed`.
TAG_LISTING = "tag:GetResources"
# AWS prices a month as 730 hours.
HOURS_PER_MONTH = Decimal(730)
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
LAMBDA_QUOTAS_PAGE = "AWS Lambda quotas page (fixed, cannot be increased)"
CLOUDWATCH_QUOTAS_PAGE = "CloudWatch service quotas page"
ASSUMED = "assumption (no per-API figure published)"


@dataclass(frozen=True)
class Quota:
    """Calls per second per account and region: one operation, or the rest of a service."""

    service: str
    operation: str
    per_second: float
    source: str

    @property
    def bucket(self) -> str:
        label = "other operations" if self.operation == ANY else self.operation
        return f"{self.service}: {label}"


@dataclass(frozen=True)
class Service:
    """An AWS service a run calls: its name (boto3's) and its control-plane quotas.

    `shared`: its `*` quota is one bucket for every operation, not one per operation."""

    name: str
    quotas: tuple[Quota, ...]
    shared: bool = False


Fields = Mapping[str, Any]
# The fields of another resource of the same side (desired, or live), by id: None if absent.
Lookup = Callable[[ResourceId], Fields | None]


@dataclass(frozen=True)
class Charge:
    """What one resource is billed by the month whatever its traffic: `quantity` units of the
    price item `item` (the region's price table prices it). `tags` are the tags that name its
    cost center (its own, or those of the resource it belongs to)."""

    label: str
    item: str
    quantity: Decimal
    detail: str
    tags: Fields
    # The quantity at most (target tracking: the ceiling, if traffic held it all month).
    most: Decimal | None = None
    # The quantity a fixed allocation would bill instead (a schedule's saving), and what.
    instead: Decimal | None = None
    instead_words: str = ""


# A resource's fixed charge for a calendar month (its first day) from its fields (None:
# nothing billed by the month). Most kinds bill the same every month; a schedule does not.
Fixed = Callable[[ResourceId, Fields, Lookup, dt.date], Charge | None]
# The traffic-priced items a resource incurs (price item keys), from its desired state.
Usage = Callable[[Resource, Lookup], tuple[str, ...]]


def no_charge(_: ResourceId, __: Fields, ___: Lookup, ____: dt.date) -> Charge | None:
    return None


def no_usage(_: Resource, __: Lookup) -> tuple[str, ...]:
    return ()


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
    service: Service
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
    # The operation that creates one, and its parameter for tags: creating with tags needs the
    # kind's tagging action too (the one of `actions` named `Tag...`).
    creates: tuple[str, str] | None = None
    fixed: Fixed = field(default=no_charge, compare=False, repr=False)
    usage: Usage = field(default=no_usage, compare=False, repr=False)
    # A service-linked role AWS creates on the kind's first create in an account: its
    # service principal and its path (`role/aws-service-role/...`). The create needs
    # iam:CreateServiceLinkedRole for it.
    linked_role: tuple[str, str] | None = None
    # Its tags are answered by the Resource Groups Tagging API's GetResources (IAM's roles and
    # policies are not): read in bulk, one listing per account-region, not one per resource.
    tags_listed: bool = False

    @property
    def account_reads(self) -> tuple[str, ...]:
        """The account-wide reads its adapter makes, the bulk tag listing included."""
        return (*self.listing, *(TAG_LISTING,) * self.tags_listed)

    @property
    def tag_action(self) -> str | None:
        """The IAM action that tags one (`iam:TagRole`, `lambda:TagResource`)."""
        prefix = f"{self.service.name}:Tag"
        return next((a for a in (*self.actions, *self.listing) if a.startswith(prefix)), None)

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
