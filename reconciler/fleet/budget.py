"""A fleet's account-wide limits: the concurrency every target of one account-region reserves,
added up before any of them writes (pure).

Each target's own preflight sees the account as it is; targets writing at once would each
see room that the others are about to take, and AWS would refuse the last ones midway, with
a function made and its concurrency not. So the targets' claims are counted together, in
the fleet file's order, and the ones that do not fit are refused before the first write.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.planning.preflight import Claim, Room


def refusals(room: Room, claims: Sequence[Claim | None], where: str) -> list[str | None]:
    """Per target, in order: why it is refused, or None when it fits beside those before it
    (None claims: targets with nothing to count). A target that gives back concurrency is
    not counted as giving it to the others: its writes may come after theirs."""
    taken = 0
    reasons: list[str | None] = []
    for claim in claims:
        if claim is None or not claim.wanted or claim.net <= room.spare - taken:
            reasons.append(None)
            taken += max(claim.net, 0) if claim is not None else 0
            continue
        reasons.append(
            f"account concurrency too low for every target of {where}: {room.words()}, and AWS "
            f"keeps at least {room.floor} unreserved; the targets before it in the fleet file "
            f"take {taken}, and this one reserves {claim.wanted} (reserved and provisioned); "
            "nothing was written for it"
        )
    return reasons
