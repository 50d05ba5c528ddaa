"""Adapter for a function's asynchronous invocation settings (retries and event age)."""

from __future__ import annotations

from reconciler.adapters.base import Context, unless_missing
from reconciler.expand.lambda_ import EVENT_INVOKE_CONFIG
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange

MISSING = ("ResourceNotFoundException",)


class EventInvokeConfigs:
    kind = EVENT_INVOKE_CONFIG.key

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        lam = ctx.client("lambda")
        got = unless_missing(
            lambda: lam.get_function_event_invoke_config(FunctionName=resource.id.name), *MISSING
        )
        if got is None:
            return None
        fields = {
            "max_retry_attempts": got.get("MaximumRetryAttempts"),
            "max_event_age_s": got.get("MaximumEventAgeInSeconds"),
        }
        return Live(fields)

    def create(self, ctx: Context, resource: Resource) -> None:
        # Put replaces the whole configuration: both values are always set explicitly.
        ctx.client("lambda").put_function_event_invoke_config(
            FunctionName=resource.id.name,
            MaximumRetryAttempts=resource.fields["max_retry_attempts"],
            MaximumEventAgeInSeconds=resource.fields["max_event_age_s"],
        )

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        self.create(ctx, resource)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        lam = ctx.client("lambda")
        unless_missing(
            lambda: lam.delete_function_event_invoke_config(FunctionName=resource.id.name),
            *MISSING,
        )
