"""Adapter for Lambda layers: one version per content hash, older unused versions removed."""

from __future__ import annotations

import re
from typing import Any

from reconciler.adapters.base import Context, paginate, unless_missing
from reconciler.expand.lambda_ import LAYER, LAYER_VERSIONS, REF_DIGITS
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange

MISSING = ("ResourceNotFoundException",)
# The content hash lives in the version's description: layers take no tags.
MARK = "lambda-reconciler sha256:"
HASH = re.compile(re.escape(MARK) + r"([0-9a-f]{64})")


def content_hash(description: str | None) -> str | None:
    match = HASH.search(description or "")
    return match.group(1)[:REF_DIGITS] if match else None


def functions(ctx: Context) -> list[dict[str, Any]]:
    """Every function's $LATEST configuration, listed once per snapshot."""
    lam = ctx.client("lambda")
    return ctx.listed("lambda.functions", lambda: paginate(lam, "list_functions", "Functions"))


def versions(ctx: Context, layer: str) -> list[dict[str, Any]]:
    """Every version of a layer, newest first."""
    lam = ctx.client("lambda")
    found = ctx.listed(
        f"lambda.layer_versions:{layer}",
        lambda: paginate(lam, "list_layer_versions", "LayerVersions", LayerName=layer),
    )
    return sorted(found, key=lambda v: int(v["Version"]), reverse=True)


def layer_ref(ctx: Context, arn: str) -> str:
    """`<layer>@<hash>` for a layer version ARN, as the desired state writes it (cached)."""
    key = f"ref:{arn}"
    if key not in ctx.cache:
        # A version's content never changes: kept for the run, and fetched once even when
        # several functions using it are read at the same time.
        ctx.cache[key] = ctx.listed(key, lambda: _ref(ctx, arn))
    return str(ctx.cache[key])


def _ref(ctx: Context, arn: str) -> str:
    name = arn.split(":layer:")[1].rsplit(":", 1)[0]
    # Our own layers' versions are listed anyway (the layer's read); any other is asked for.
    ours = f":{ctx.target.account_id}:layer:" in arn
    listed = [v for v in versions(ctx, name) if v["LayerVersionArn"] == arn] if ours else []
    description = listed[0].get("Description") if listed else _description(ctx, arn)
    found = content_hash(description)
    return f"{name}@{found}" if found else arn


def _description(ctx: Context, arn: str) -> str | None:
    got = ctx.client("lambda").get_layer_version_by_arn(Arn=arn)
    return str(got.get("Description", ""))


def layer_arn(ctx: Context, ref: str) -> str:
    """The newest version ARN whose content matches `<layer>@<hash>`."""
    name, wanted = ref.split("@", 1)
    for version in versions(ctx, name):
        if content_hash(version.get("Description")) == wanted:
            return str(version["LayerVersionArn"])
    raise LookupError(f"layer {name} has no version with content {wanted}")


class Layers:
    kind = LAYER.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        found = unless_missing(lambda: versions(ctx, resource.id.name), *MISSING)
        if not found:
            return None
        newest = found[0]
        fields = {
            "content_hash": content_hash(newest.get("Description")),
            "compatible_runtimes": tuple(newest.get("CompatibleRuntimes", [])),
            "compatible_architectures": tuple(newest.get("CompatibleArchitectures", [])),
        }
        return Live(fields, {"version": newest["Version"]})

    def create(self, ctx: Context, resource: Resource) -> None:
        fields = resource.fields
        ctx.client("lambda").publish_layer_version(
            LayerName=resource.id.name,
            Description=f"{MARK}{resource.payload['hex_digest']}",
            Content={"ZipFile": resource.payload["zip"]},
            CompatibleRuntimes=list(fields["compatible_runtimes"]),
            CompatibleArchitectures=list(fields["compatible_architectures"]),
        )

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        # Layer versions are immutable: any change is a new version.
        self.create(ctx, resource)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        lam = ctx.client("lambda")
        for version in unless_missing(lambda: versions(ctx, resource.id.name), *MISSING) or []:
            lam.delete_layer_version(LayerName=resource.id.name, VersionNumber=version["Version"])


class LayerVersions:
    """Versions of our layer that no function uses any more (desired: none)."""

    kind = LAYER_VERSIONS.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        found = unless_missing(lambda: versions(ctx, resource.id.name), *MISSING)
        if not found:
            return None
        return Live({"unused_versions": tuple(_unused(ctx, found))})

    def create(self, ctx: Context, resource: Resource) -> None:
        self._prune(ctx, resource)

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        self._prune(ctx, resource)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        """Nothing of its own: deleting the layer removes every version."""

    def _prune(self, ctx: Context, resource: Resource) -> None:
        lam = ctx.client("lambda")
        for number in _unused(ctx, versions(ctx, resource.id.name)):
            lam.delete_layer_version(LayerName=resource.id.name, VersionNumber=number)


def _unused(ctx: Context, found: list[dict[str, Any]]) -> list[int]:
    """Versions other than the newest that no function's current configuration uses."""
    used = {layer["Arn"] for fn in functions(ctx) for layer in fn.get("Layers", [])}
    return [int(v["Version"]) for v in found[1:] if v["LayerVersionArn"] not in used]
