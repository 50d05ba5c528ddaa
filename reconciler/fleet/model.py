"""Load stage: a fleet file's targets, as frozen data (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.desired.model import SecretRef


@dataclass(frozen=True)
class FleetTarget:
    """One suffix in one account and region, with the stacks and environment it runs."""

    account: str
    region: str
    suffix: str
    env: str
    stacks: tuple[str, ...]
    # The role to assume in `account`; None: the current credentials, whose account must match.
    role_arn: str | None
    external_id: SecretRef | None

    @property
    def label(self) -> str:
        return f"{self.account}/{self.region}/{self.suffix}"

    @property
    def account_region(self) -> tuple[str, str]:
        return self.account, self.region


@dataclass(frozen=True)
class Fleet:
    targets: tuple[FleetTarget, ...]

    def by_account_region(self) -> dict[tuple[str, str], tuple[FleetTarget, ...]]:
        """The targets of each account and region, in the file's order: the unit that shares
        listings and a pacer."""
        groups: dict[tuple[str, str], list[FleetTarget]] = {}
        for target in self.targets:
            groups.setdefault(target.account_region, []).append(target)
        return {key: tuple(targets) for key, targets in groups.items()}
