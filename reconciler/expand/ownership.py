"""Expand stage: ownership, the tags that make a resource ours and the one rule that reads
them (pure).

Every stage that asks "is this ours?" (planning a change, discovery before a delete, the
lease table) asks here. The rule fails closed: tags that are missing, unreadable or of
another suffix say "not ours", and what is not ours is never changed or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping

OWNER = "lambda-reconciler"
MANAGED_BY = "ManagedBy"
SUFFIX = "EnvironmentSuffix"
STACK = "Stack"
# Set with the ownership tags on what was taken over (its value the date): what existed before
# us, which destroy releases instead of deleting.
ADOPTED = "Adopted"
# Left on what was handed back (its value the date), so that a resource that had no tags of
# its own is never mistaken for one of ours a crash left untagged.
RELEASED = "Released"
# Everything a release removes.
OURS = (MANAGED_BY, SUFFIX, STACK, ADOPTED)


def ownership_tags(suffix: str, stack: str) -> dict[str, str]:
    """The tags every taggable resource of a stack and suffix is created with."""
    return {MANAGED_BY: OWNER, SUFFIX: suffix, STACK: stack}


def owned_by(tags: object, suffix: str) -> bool:
    """Whether tags say the resource is ours for this suffix; anything unreadable says no."""
    return (
        isinstance(tags, Mapping) and tags.get(MANAGED_BY) == OWNER and tags.get(SUFFIX) == suffix
    )


def stack_of(tags: Mapping[str, str]) -> str:
    return tags.get(STACK, "")


def other_stack(tags: Mapping[str, str], suffix: str, stack: str) -> str | None:
    """Why a resource of this suffix is another stack's (one resource, one owning stack)."""
    owner = stack_of(tags)
    if not owned_by(tags, suffix) or owner in ("", stack):
        return None
    return f"owned by stack {owner!r} of this suffix: never changed by stack {stack!r}"


def released_tags(tags: Mapping[str, str], today: str) -> dict[str, str]:
    """A resource's tags once handed back: ours gone, its own kept, the release dated."""
    return {**{k: v for k, v in tags.items() if k not in OURS}, RELEASED: today}


# CloudFormation tags what it manages (CDK, SAM and the Serverless Framework deploy through it).
CLOUDFORMATION = "aws:cloudformation:"


def foreign_owner(tags: Mapping[str, str], suffix: str) -> str | None:
    """Why a resource belongs to someone else for good, or None: another suffix of ours, or a
    CloudFormation stack, which would put back or delete what we change."""
    if tags.get(MANAGED_BY) == OWNER and tags.get(SUFFIX, suffix) != suffix:
        return f"owned by suffix {tags[SUFFIX]!r}: never taken over"
    if any(key.startswith(CLOUDFORMATION) for key in tags):
        stack = tags.get(f"{CLOUDFORMATION}stack-name", "?")
        return (
            f"managed by CloudFormation stack {stack!r}: never taken over; release it first "
            "(DeletionPolicy: Retain on it, remove it from the template, update the stack)"
        )
    return None
