"""Adapter for Lambda functions: configuration, code, reserved concurrency and tags."""

from __future__ import annotations

from functools import partial
from typing import Any

from reconciler.adapters.base import (
    Context,
    DiscoveryScope,
    Found,
    changed,
    discovered,
    sync_tags,
    unless_missing,
)
from reconciler.adapters.lambda_.callers import CUT_OFF, callers, kept
from reconciler.adapters.lambda_.configuration import (
    MISSING,
    config_fields,
    config_request,
    mutate,
    wait_ready,
)
from reconciler.adapters.lambda_.layers import functions, layer_ref
from reconciler.expand.lambda_ import CODE_FIELDS, CONFIG_FIELDS, FUNCTION
from reconciler.expand.ownership import owned_by
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange


class Functions:
    kind = FUNCTION.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        lam = ctx.client("lambda")
        got = unless_missing(lambda: lam.get_function(FunctionName=resource.id.name), *MISSING)
        if got is None:
            return None
        config = got["Configuration"]
        fields = {
            **config_fields(config, partial(layer_ref, ctx)),
            "reserved_concurrency": got.get("Concurrency", {}).get("ReservedConcurrentExecutions"),
            "tags": dict(got.get("Tags", {})),
        }
        meta = {"arn": config["FunctionArn"], "state": config.get("State")}
        if not owned_by(fields["tags"], ctx.target.suffix):
            # Only a function someone else deployed has callers to list: it costs no read
            # on a function that is ours.
            meta["kept"] = kept(ctx, resource, config.get("Role"))
        return Live(fields, meta)

    def create(self, ctx: Context, resource: Resource) -> None:
        fields = resource.fields
        request = config_request(ctx, fields)
        if not request["KMSKeyArn"]:
            del request["KMSKeyArn"]
        if not fields["dead_letter_target"]:
            del request["DeadLetterConfig"]
        ctx.client("lambda").create_function(
            FunctionName=resource.id.name,
            Code={"ZipFile": resource.payload["zip"]},
            Architectures=[fields["architecture"]],
            PackageType="Zip",
            Publish=False,
            Tags=dict(fields["tags"]),
            **request,
        )
        wait_ready(ctx, resource.id.name)
        _reserved(ctx, resource.id.name, fields["reserved_concurrency"])

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        name = resource.id.name
        lam = ctx.client("lambda")
        new_runtime = changed(changes, "runtime")

        # Each request is built only if its fields changed: a tag change (a release) has no
        # zip and needs no configuration.
        def code() -> object:
            return lam.update_function_code(
                FunctionName=name,
                ZipFile=resource.payload["zip"],
                Architectures=[resource.fields["architecture"]],
            )

        def config() -> object:
            # Sending a function's unchanged runtime is setting it again, which AWS refuses
            # for a runtime past its update block.
            request = config_request(ctx, resource.fields, with_runtime=new_runtime)
            return lam.update_function_configuration(FunctionName=name, **request)

        # A function on a runtime AWS no longer updates must move off it before its code can
        # change: the runtime goes first, and the two calls follow each other at once.
        steps = [(CONFIG_FIELDS, config), (CODE_FIELDS, code)]
        for fields, call in steps if new_runtime else reversed(steps):
            if changed(changes, *fields):
                mutate(ctx, name, call)
        if changed(changes, "reserved_concurrency"):
            _reserved(ctx, name, resource.fields["reserved_concurrency"])
        arn = live.meta["arn"]
        sync_tags(
            changes,
            lambda tags: lam.tag_resource(Resource=arn, Tags=tags),
            lambda keys: lam.untag_resource(Resource=arn, TagKeys=keys),
        )

    def callers_notes(self, ctx: Context, op: str, resource: Resource) -> tuple[str, ...]:
        """Who still invokes a function about to be deleted, on any qualifier."""
        if op != "delete":
            return ()
        return tuple(c.line(CUT_OFF) for c in callers(ctx, resource.id.name))

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        # Deleting the function deletes its versions, aliases and their provisioned concurrency.
        lam = ctx.client("lambda")
        unless_missing(lambda: lam.delete_function(FunctionName=resource.id.name), *MISSING)

    def discover(self, ctx: Context, scope: DiscoveryScope) -> list[Found]:
        listed = ((f["FunctionName"], f["FunctionArn"]) for f in functions(ctx))
        return discovered(self.kind, scope, listed, partial(_tags, ctx.client("lambda")))


def _tags(lam: Any, arn: str) -> dict[str, str]:
    return dict(lam.list_tags(Resource=arn)["Tags"])


def _reserved(ctx: Context, name: str, reserved: int | None) -> None:
    lam = ctx.client("lambda")
    if reserved is None:
        lam.delete_function_concurrency(FunctionName=name)
    else:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
