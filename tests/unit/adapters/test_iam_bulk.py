"""When a lone run reads roles from IAM's account details: fewer calls than the roles' own."""

from __future__ import annotations

from dataclasses import replace

from reconciler.adapters.iam.roles import DETAILS_PAGE, pays_in_bulk
from reconciler.expand.resources import Resource
from tests.fixtures.small_stack import of_kind


def _roles(resources: tuple[Resource, ...], count: int, inline: int) -> list[Resource]:
    role = of_kind(resources, "iam.role")
    policies = {f"p{n}": {"Version": "2012-10-17", "Statement": []} for n in range(inline)}
    return [replace(role, fields={**role.fields, "inline_policies": policies})] * count


def test_one_role_in_a_small_account_is_read_from_the_details(
    resources: tuple[Resource, ...],
) -> None:
    # One page against GetRole, two listings and a policy read.
    assert pays_in_bulk(40, _roles(resources, 1, 1))


def test_a_few_roles_in_a_crowded_account_are_read_on_their_own(
    resources: tuple[Resource, ...],
) -> None:
    # Five pages of details against four calls for the one role.
    assert not pays_in_bulk(5 * DETAILS_PAGE, _roles(resources, 1, 1))
    # Five roles of four calls each are twenty: the five pages cost less.
    assert pays_in_bulk(5 * DETAILS_PAGE, _roles(resources, 5, 1))


def test_nothing_wanted_reads_no_details(resources: tuple[Resource, ...]) -> None:
    assert not pays_in_bulk(1, [])
