"""Adapter for Lambda: functions, published versions behind an alias, provisioned concurrency."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from reconciler.adapters.base import (
    Context,
    Found,
    Scope,
    changed,
    found,
    paginate,
    sync_tags,
    unless_missing,
)
from reconciler.adapters.lambda_.layers import functions, layer_arn, layer_ref
from reconciler.errors import ResourceFailed
from reconciler.expand import fingerprint
from reconciler.expand.resources import Live, Resource
from reconciler.planning.diff import FieldChange

MISSING = ("ResourceNotFoundException",)
PC_MISSING = ("ProvisionedConcurrencyConfigNotFoundException", "ResourceNotFoundException")
# Fields UpdateFunctionConfiguration sets; architecture and code go through UpdateFunctionCode.
CONFIG_FIELDS = (
    "runtime", "handler", "memory_mb", "timeout_s", "tracing", "role_arn", "environment",
    "kms_key_arn", "layers", "dead_letter_target", "log_format", "log_group",
)  # fmt: skip


def config_fields(
    config: Mapping[str, Any], layer: Callable[[str], str] = lambda arn: arn
) -> dict[str, Any]:
    """A function (or version) configuration from AWS, as our comparable fields.

    `layer` turns a layer version ARN into the `<layer>@<hash>` form the desired state uses.
    """
    logging = config.get("LoggingConfig", {})
    return {
        "runtime": config.get("Runtime"),
        "handler": config.get("Handler"),
        "memory_mb": config.get("MemorySize"),
        "timeout_s": config.get("Timeout"),
        "architecture": (config.get("Architectures") or ["x86_64"])[0],
        "tracing": config.get("TracingConfig", {}).get("Mode", "PassThrough"),
        "role_arn": config.get("Role"),
        "environment": dict(config.get("Environment", {}).get("Variables", {})),
        "kms_key_arn": config.get("KMSKeyArn") or None,
        "layers": tuple(layer(item["Arn"]) for item in config.get("Layers", [])),
        "dead_letter_target": config.get("DeadLetterConfig", {}).get("TargetArn") or None,
        "log_format": logging.get("LogFormat", "Text"),
        "log_group": logging.get("LogGroup", f"/aws/lambda/{config.get('FunctionName')}"),
        "code_sha256": config.get("CodeSha256"),
    }


def _config_request(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateFunctionConfiguration/CreateFunction parameters for our fields."""
    return {
        "Runtime": fields["runtime"],
        "Handler": fields["handler"],
        "MemorySize": fields["memory_mb"],
        "Timeout": fields["timeout_s"],
        "TracingConfig": {"Mode": fields["tracing"]},
        "Role": fields["role_arn"],
        "Environment": {"Variables": dict(fields["environment"])},
        # An empty string clears a customer key: back to the AWS managed key.
        "KMSKeyArn": fields["kms_key_arn"] or "",
        "Layers": [layer_arn(ctx, ref) for ref in fields["layers"]],
        "DeadLetterConfig": {"TargetArn": fields["dead_letter_target"] or ""},
        "LoggingConfig": {"LogFormat": fields["log_format"], "LogGroup": fields["log_group"]},
    }


class Functions:
    kind = "lambda.function"

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
        return Live(fields, {"arn": config["FunctionArn"], "state": config.get("State")})

    def create(self, ctx: Context, resource: Resource) -> None:
        fields = resource.fields
        request = _config_request(ctx, fields)
        if not request["KMSKeyArn"]:
            del request["KMSKeyArn"]
        if not fields["dead_letter_target"]:
            del request["DeadLetterConfig"]
        lam = ctx.client("lambda")
        write(ctx, self.kind, resource.id.name, lambda: lam.create_function(
                FunctionName=resource.id.name,
                Code={"ZipFile": resource.payload["zip"]},
                Architectures=[fields["architecture"]],
                PackageType="Zip",
                Publish=False,
                Tags=dict(fields["tags"]),
                **request,
        ))  # fmt: skip
        wait_ready(ctx, resource.id.name)
        _reserved(ctx, resource.id.name, fields["reserved_concurrency"])

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        name = resource.id.name
        lam = ctx.client("lambda")
        if changed(changes, "code_sha256", "architecture"):
            self._mutate(ctx, name, lambda: lam.update_function_code(
                FunctionName=name,
                ZipFile=resource.payload["zip"],
                Architectures=[resource.fields["architecture"]],
            ))  # fmt: skip
        if changed(changes, *CONFIG_FIELDS):
            request = _config_request(ctx, resource.fields)
            self._mutate(ctx, name, lambda: lam.update_function_configuration(
                FunctionName=name, **request
            ))  # fmt: skip
        if changed(changes, "reserved_concurrency"):
            _reserved(ctx, name, resource.fields["reserved_concurrency"])
        _sync_tags(ctx, name, live.meta["arn"], changes)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        # Deleting the function deletes its versions, aliases and their provisioned concurrency.
        lam = ctx.client("lambda")
        name = resource.id.name
        unless_missing(
            lambda: write(ctx, self.kind, name, lambda: lam.delete_function(FunctionName=name)),
            *MISSING,
        )

    def discover(self, ctx: Context, scope: Scope) -> list[Found]:
        lam = ctx.client("lambda")
        return [
            found(self.kind, f["FunctionName"],
                  partial(lambda arn: lam.list_tags(Resource=arn)["Tags"], f["FunctionArn"]))
            for f in functions(ctx) if scope.wants(self.kind, f["FunctionName"])
        ]  # fmt: skip

    def _mutate(self, ctx: Context, name: str, call: Any) -> None:
        # Lambda refuses a change while the last one runs: wait before, retry 409s, wait after.
        wait_ready(ctx, name)
        write(ctx, self.kind, name, call)
        wait_ready(ctx, name)


def write(ctx: Context, kind: str, name: str, call: Callable[[], Any]) -> Any:
    """Every Lambda write: a 409 while another change runs is retried, never fatal."""
    return ctx.retry.call(call, kind=kind, name=name)


def wait_ready(ctx: Context, name: str, qualifier: str | None = None) -> None:
    """Until State=Active and LastUpdateStatus=Successful; a Failed update is an error."""
    lam = ctx.client("lambda")
    extra = {"Qualifier": qualifier} if qualifier else {}

    def check() -> tuple[bool, str]:
        config = lam.get_function_configuration(FunctionName=name, **extra)
        state = config.get("State", "Active")
        update = config.get("LastUpdateStatus", "Successful")
        if "Failed" in (state, update):
            reason = config.get("LastUpdateStatusReason") or config.get("StateReason") or ""
            raise ResourceFailed(f"function {name}: {state}/{update}: {reason}")
        return (state, update) == ("Active", "Successful"), f"{state}/{update}"

    ctx.wait.until(check, f"function {name} ready", kind="lambda.function", name=name)


def _reserved(ctx: Context, name: str, reserved: int | None) -> None:
    lam = ctx.client("lambda")
    if reserved is None:
        write(ctx, Functions.kind, name, lambda: lam.delete_function_concurrency(FunctionName=name))
    else:
        write(ctx, Functions.kind, name, lambda: lam.put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=reserved
        ))  # fmt: skip


def _sync_tags(ctx: Context, name: str, arn: str, changes: tuple[FieldChange, ...]) -> None:
    lam = ctx.client("lambda")
    sync_tags(
        changes,
        lambda tags: write(
            ctx, Functions.kind, name, partial(lam.tag_resource, Resource=arn, Tags=tags)
        ),
        lambda keys: write(
            ctx, Functions.kind, name, partial(lam.untag_resource, Resource=arn, TagKeys=keys)
        ),
    )


class Aliases:
    """An alias on a published version whose code and configuration match the desired ones."""

    kind = "lambda.alias"

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        lam = ctx.client("lambda")
        function, alias = resource.payload["function"], resource.payload["alias"]
        got = unless_missing(lambda: lam.get_alias(FunctionName=function, Name=alias), *MISSING)
        if got is None:
            return None
        version = got["FunctionVersion"]
        if version == "$LATEST":
            return Live({"version_fingerprint": "unpublished"}, {"version": version})
        config = lam.get_function_configuration(FunctionName=function, Qualifier=version)
        fp = fingerprint.of(config_fields(config, partial(layer_ref, ctx)))
        return Live({"version_fingerprint": fp}, {"version": version})

    def create(self, ctx: Context, resource: Resource) -> None:
        self._point(ctx, resource, self._version(ctx, resource), "create_alias")
        self._prune(ctx, resource, keep=set())

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        function, alias = resource.payload["function"], resource.payload["alias"]
        self._point(ctx, resource, self._version(ctx, resource), "update_alias")
        # Moving an alias re-provisions its provisioned concurrency on the new version.
        if read_pc(ctx, function, alias) is not None:
            wait_pc_ready(ctx, function, alias)
        self._prune(ctx, resource, keep={str(live.meta.get("version"))})

    def _point(self, ctx: Context, resource: Resource, version: str, operation: str) -> None:
        call = getattr(ctx.client("lambda"), operation)
        function, alias = resource.payload["function"], resource.payload["alias"]
        write(ctx, self.kind, resource.id.name, lambda: call(
            FunctionName=function, Name=alias, FunctionVersion=version
        ))  # fmt: skip

    def _prune(self, ctx: Context, resource: Resource, keep: set[str]) -> None:
        """Remove versions no alias serves (and provisioned concurrency left on them).

        They count against the account's code storage and, with provisioned concurrency,
        cost money for nothing. The version the alias just left is kept for a rollback.
        """
        lam = ctx.client("lambda")
        function = resource.payload["function"]
        aliases = paginate(lam, "list_aliases", "Aliases", FunctionName=function)
        used = {a["FunctionVersion"] for a in aliases} | keep
        configs = paginate(lam, "list_provisioned_concurrency_configs",
                           "ProvisionedConcurrencyConfigs", FunctionName=function)  # fmt: skip
        for qualifier in (c["FunctionArn"].rsplit(":", 1)[1] for c in configs):
            if qualifier.isdigit() and qualifier not in used:
                drop = partial(lam.delete_provisioned_concurrency_config, Qualifier=qualifier)
                write(ctx, self.kind, resource.id.name, partial(drop, FunctionName=function))
        versions = paginate(lam, "list_versions_by_function", "Versions", FunctionName=function)
        for version in (v["Version"] for v in versions):
            if version.isdigit() and version not in used:
                drop = partial(lam.delete_function, FunctionName=function, Qualifier=version)
                write(ctx, self.kind, resource.id.name, drop)

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        function, alias = resource.payload["function"], resource.payload["alias"]
        lam = ctx.client("lambda")
        unless_missing(lambda: write(ctx, self.kind, resource.id.name, lambda: lam.delete_alias(
            FunctionName=function, Name=alias
        )), *MISSING)  # fmt: skip

    def _version(self, ctx: Context, resource: Resource) -> str:
        """A version matching the desired code and configuration: reuse one, or publish."""
        lam = ctx.client("lambda")
        function = resource.payload["function"]
        wanted = resource.fields["version_fingerprint"]
        versions = paginate(lam, "list_versions_by_function", "Versions", FunctionName=function)
        for config in reversed(versions):
            fields = config_fields(config, partial(layer_ref, ctx))
            if config["Version"] != "$LATEST" and fingerprint.of(fields) == wanted:
                return str(config["Version"])
        wait_ready(ctx, function)
        published = write(ctx, self.kind, resource.id.name, lambda: lam.publish_version(
            FunctionName=function,
            CodeSha256=resource.payload["code_sha256"],
            Description=f"lambda-reconciler {wanted}",
        ))  # fmt: skip
        return str(published["Version"])


def read_pc(ctx: Context, function: str, alias: str) -> dict[str, Any] | None:
    lam = ctx.client("lambda")
    got: dict[str, Any] | None = unless_missing(
        lambda: lam.get_provisioned_concurrency_config(FunctionName=function, Qualifier=alias),
        *PC_MISSING,
    )
    return got


def _pc_configs(ctx: Context, function: str) -> dict[str, dict[str, Any]]:
    """Provisioned concurrency configurations of a function, by qualifier."""
    lam = ctx.client("lambda")
    configs = unless_missing(lambda: paginate(
        lam, "list_provisioned_concurrency_configs", "ProvisionedConcurrencyConfigs",
        FunctionName=function,
    ), *PC_MISSING) or []  # fmt: skip
    return {c["FunctionArn"].rsplit(":", 1)[1]: c for c in configs}


def wait_pc_ready(ctx: Context, function: str, alias: str) -> None:
    """Until READY; FAILED ends the wait with AWS's StatusReason."""

    def check() -> tuple[bool, str]:
        config = read_pc(ctx, function, alias) or {}
        status = str(config.get("Status", "missing"))
        if status == "FAILED":
            reason = config.get("StatusReason", "no reason given")
            raise ResourceFailed(f"provisioned concurrency on {function}:{alias} FAILED: {reason}")
        allocated = config.get("AllocatedProvisionedConcurrentExecutions", 0)
        requested = config.get("RequestedProvisionedConcurrentExecutions", 0)
        return status == "READY", f"{status} {allocated}/{requested}"

    qualified = f"{function}:{alias}"
    what = f"provisioned concurrency {qualified} READY"
    ctx.pc_wait.until(check, what, kind="lambda.provisioned_concurrency", name=qualified)


class ProvisionedConcurrency:
    """Provisioned concurrency on an alias (never $LATEST), waited for until READY."""

    kind = "lambda.provisioned_concurrency"

    def read(self, ctx: Context, resource: Resource) -> Live | None:
        """One list call: the alias's configuration and any left on other qualifiers."""
        by_qualifier = _pc_configs(ctx, resource.payload["function"])
        config = by_qualifier.pop(resource.payload["alias"], None)
        if config is None:
            return None
        fields = {
            "count": config.get("RequestedProvisionedConcurrentExecutions"),
            "status": config.get("Status"),
            "elsewhere": tuple(sorted(by_qualifier)),
        }
        return Live(fields, {"reason": config.get("StatusReason")})

    def create(self, ctx: Context, resource: Resource) -> None:
        self._put(ctx, resource)
        self._remove_elsewhere(ctx, resource)

    def update(
        self, ctx: Context, resource: Resource, changes: tuple[FieldChange, ...], live: Live
    ) -> None:
        if changed(changes, "elsewhere"):
            self._remove_elsewhere(ctx, resource)
        if changed(changes, "count") or live.fields.get("status") == "FAILED":
            self._put(ctx, resource)
        elif changed(changes, "status"):
            wait_pc_ready(ctx, resource.payload["function"], resource.payload["alias"])

    def _remove_elsewhere(self, ctx: Context, resource: Resource) -> None:
        """Provisioned concurrency on a qualifier no one serves is paid for nothing."""
        lam = ctx.client("lambda")
        function = resource.payload["function"]
        others = set(_pc_configs(ctx, function)) - {resource.payload["alias"]}
        for qualifier in sorted(others):
            drop = partial(lam.delete_provisioned_concurrency_config, Qualifier=qualifier)
            write(ctx, self.kind, resource.id.name, partial(drop, FunctionName=function))

    def delete(self, ctx: Context, resource: Resource, live: Live | None) -> None:
        lam = ctx.client("lambda")
        function, alias = resource.payload["function"], resource.payload["alias"]
        unless_missing(lambda: write(ctx, self.kind, resource.id.name, lambda: (
            lam.delete_provisioned_concurrency_config(FunctionName=function, Qualifier=alias)
        )), *PC_MISSING)  # fmt: skip

    def _put(self, ctx: Context, resource: Resource) -> None:
        function, alias = resource.payload["function"], resource.payload["alias"]
        lam = ctx.client("lambda")
        write(ctx, self.kind, resource.id.name, lambda: lam.put_provisioned_concurrency_config(
            FunctionName=function,
            Qualifier=alias,
            ProvisionedConcurrentExecutions=resource.fields["count"],
        ))  # fmt: skip
        wait_pc_ready(ctx, function, alias)
