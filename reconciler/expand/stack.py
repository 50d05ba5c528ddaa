"""Expand stage: one stack's expansion for one target, shared by every kind's builder (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from reconciler.desired.model import StackSpec
from reconciler.desired.packaging import CodePackage
from reconciler.desired.secrets import SecretKey
from reconciler.expand.ownership import ownership_tags
from reconciler.expand.resources import Resource, ResourceId
from reconciler.expand.targets import Names, Target

if TYPE_CHECKING:
    from reconciler.expand.kind import Kind, Named


class StackContext:
    """Names, tags, secrets and code of one stack for one target, and each kind's resources,
    built once on first use: a builder may ask for another kind's (a role for its boundary)."""

    def __init__(
        self,
        spec: StackSpec,
        target: Target,
        secrets: Mapping[SecretKey, str],
        code: Mapping[str, CodePackage],
        kinds: Sequence[Kind],
    ) -> None:
        self.spec, self.target, self.secrets, self.code = spec, target, secrets, code
        self.placeholders = Names(spec, target.suffix)
        self.tags = {k: self.placeholders.expand(v, f"tags.{k}") for k, v in spec.tags}
        # Ownership last: a stack's own tags can never claim or disown a resource.
        self.tags.update(ownership_tags(target.suffix, spec.name))
        self._declared = {(k.key, n.owner): n for k in kinds for n in k.names(spec)}
        self._built: dict[str, list[Resource] | None] = {}

    def name(self, kind: Kind, owner: str) -> str:
        """The name `kind` declares for `owner`, expanded for this target."""
        return self.declared(kind.key, owner).name

    def declared(self, key: str, owner: str) -> ResourceId:
        """What the kind of key `key` declares for `owner`: by key, for a builder whose module
        the kind's own imports (an alarm's imports the function's)."""
        named: Named = self._declared[(key, owner)]
        name = self.placeholders.expand(named.template, named.where, **dict(named.extra))
        return ResourceId(key, name)

    def id(self, kind: Kind, owner: str) -> ResourceId:
        return ResourceId(kind.key, self.name(kind, owner))

    def built(self, kind: Kind) -> list[Resource]:
        """The kind's resources; a builder asking for its own kind, directly or not, is a bug."""
        if kind.key not in self._built:
            self._built[kind.key] = None
            self._built[kind.key] = kind.build(self)
        resources = self._built[kind.key]
        if resources is None:
            raise RuntimeError(f"builders of {kind.key} depend on each other in a cycle")
        return resources
