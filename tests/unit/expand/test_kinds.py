"""Every kind is declared once and completely: descriptor, builder, adapter (pure)."""

from __future__ import annotations

import inspect

import pytest

from reconciler.adapters import ADAPTERS
from reconciler.expand.catalog import BY_KEY, KINDS, rank
from reconciler.expand.kind import Kind, no_names

IDS = [kind.key for kind in KINDS]


def test_every_kind_has_exactly_one_adapter_and_every_adapter_a_kind() -> None:
    assert sorted(ADAPTERS) == sorted(BY_KEY)


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_each_adapter_names_its_own_descriptor(kind: Kind) -> None:
    adapter = ADAPTERS[kind.key]
    module = inspect.getmodule(type(adapter))
    assert module is not None and module.__name__.startswith(
        f"reconciler.adapters.{kind.service.name.replace('-', '_')}"
    )
    assert adapter.kind == kind.key


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_each_descriptor_has_a_builder_and_iam_actions_of_its_service(kind: Kind) -> None:
    assert callable(kind.build) and callable(kind.names)
    assert kind.key.startswith(f"{kind.service.name}.")
    assert kind.actions, "the policy generator would grant nothing for it"
    assert all(a.startswith(f"{kind.service.name}:") for a in (*kind.actions, *kind.listing))


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_named_kinds_have_a_rule_and_an_arn_and_derived_ones_a_scope(kind: Kind) -> None:
    if kind.names is no_names:
        # Named after the resource it belongs to: scoped by that kind's ARNs.
        assert kind.rule is None and kind.arns is None
        assert BY_KEY[kind.scoped_by].arns is not None
        assert rank(kind.scoped_by) < rank(kind.key), "created after what it belongs to"
    else:
        assert kind.arns is not None and kind.scoped_by == kind.key
        # Without a rule of its own, it is named after a resource of a kind that has one, and
        # its ARN carries an id AWS assigns, not its name.
        assert kind.rule is not None or all("{}" not in f for f in kind.arns.resources)


def test_kind_keys_are_unique() -> None:
    assert len(BY_KEY) == len(KINDS)
