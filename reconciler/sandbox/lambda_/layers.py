"""Lambda layers: lookup by ARN (moto lacks it), names given as ARNs, filters, references."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import invalid_parameter, not_found, validation_error
from reconciler.sandbox.wire.wsgi import Response, json_response

LAMBDA = "lambda"
MAX_LAYERS = 5
VERSION_ARN_PATTERN = (
    r"arn:[a-zA-Z0-9-]+:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)"
)
_VERSION_ARN = re.compile(VERSION_ARN_PATTERN)
_LAYER_ARN = re.compile(r"arn:[a-zA-Z0-9-]+:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+)")
# What ListLayerVersions and ListLayers say of a version: GetLayerVersion minus its content.
_LIST_ITEM_KEYS = (
    "LayerVersionArn",
    "Version",
    "Description",
    "CreatedDate",
    "CompatibleRuntimes",
    "LicenseInfo",
    "CompatibleArchitectures",
)


class LambdaLayers:
    """Layer versions live in moto; this fills the calls and checks it lacks."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LAMBDA, "GetLayerVersionByArn", self._get_by_arn
        yield LAMBDA, "PublishLayerVersion", self._publish
        yield LAMBDA, "GetLayerVersion", self._one_version
        yield LAMBDA, "ListLayerVersions", self._list_versions
        yield LAMBDA, "ListLayers", self._list_layers
        yield LAMBDA, "CreateFunction", self._check_references
        yield LAMBDA, "UpdateFunctionConfiguration", self._check_references

    def reset(self) -> None:
        """Nothing to forget: layers are moto's."""

    def _get_by_arn(self, call: Call, forward: Forward) -> Response:
        arn = call.query("Arn") or ""
        match = _VERSION_ARN.fullmatch(arn)
        if match is None:
            return validation_error(
                f"1 validation error detected: Value '{arn}' at 'arn' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: {VERSION_ARN_PATTERN}"
            )
        region, account, name, version = match.groups()
        if (account, region) != (call.account, call.region):
            return not_found(f"Layer version {arn} does not exist.")
        path = f"/2018-10-31/layers/{name}/versions/{version}"
        return self._one_version(call.with_path(path, query=""), forward)

    def _publish(self, call: Call, forward: Forward) -> Response:
        # moto takes the layer name straight from the URL, so an ARN there would become
        # part of the name; AWS accepts either.
        name = _own_layer_name(call, call.path_param("LayerName"))
        if name is None:
            return not_found(f"Layer {call.path_param('LayerName')} does not exist.")
        return self._one_version(call.with_path(f"/2018-10-31/layers/{name}/versions"), forward)

    def _one_version(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if not response.ok:
            return response
        return response.with_json(_without_empty_license(response.json()))

    def _list_versions(self, call: Call, forward: Forward) -> Response:
        name = _own_layer_name(call, call.path_param("LayerName"))
        if name is None:
            return json_response(200, {"LayerVersions": []})
        response = forward(call.with_path(f"/2018-10-31/layers/{name}/versions"))
        if not response.ok:
            return response
        listed = response.json().get("LayerVersions") or []
        wanted = [_without_empty_license(v) for v in listed if _compatible(call, v)]
        return response.with_json({**response.json(), "LayerVersions": wanted})

    def _list_layers(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if not response.ok:
            return response
        layers = list(self._matching_layers(call, response.json().get("Layers") or []))
        return response.with_json({**response.json(), "Layers": layers})

    def _matching_layers(
        self, call: Call, layers: list[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        # LatestMatchingVersion is the newest version compatible with the filters, which
        # need not be the newest version of the layer.
        for layer in layers:
            versions = moto_backends.layer_versions(call.account, call.region, layer["LayerName"])
            matching = [v for v in versions if _compatible(call, v)]
            if matching:
                latest = max(matching, key=lambda v: int(v["Version"]))
                yield {**layer, "LatestMatchingVersion": _list_item(latest)}

    def _check_references(self, call: Call, forward: Forward) -> Response:
        layers = call.json().get("Layers")
        if isinstance(layers, list):
            problem = _references_problem(call, [str(arn) for arn in layers])
            if problem is not None:
                return invalid_parameter(problem)
        return forward(call)


def _own_layer_name(call: Call, ref: str) -> str | None:
    """The layer name behind a name or ARN; None for a layer of another account or region."""
    match = _LAYER_ARN.fullmatch(ref)
    if match is None:
        return ref
    region, account, name = match.groups()
    return name if (account, region) == (call.account, call.region) else None


def _compatible(call: Call, version: dict[str, Any]) -> bool:
    runtime = call.query("CompatibleRuntime")
    architecture = call.query("CompatibleArchitecture")
    if runtime is not None and runtime not in (version.get("CompatibleRuntimes") or []):
        return False
    return architecture is None or architecture in (version.get("CompatibleArchitectures") or [])


def _list_item(version: dict[str, Any]) -> dict[str, Any]:
    return _without_empty_license({k: version[k] for k in _LIST_ITEM_KEYS if k in version})


def _without_empty_license(version: dict[str, Any]) -> dict[str, Any]:
    # AWS leaves LicenseInfo out when none was published; moto sends an empty string.
    if version.get("LicenseInfo") == "":
        return {k: v for k, v in version.items() if k != "LicenseInfo"}
    return version


def _references_problem(call: Call, arns: list[str]) -> str | None:
    """Why AWS would refuse a function's Layers list, if it would."""
    if len(arns) > MAX_LAYERS:
        return f"Cannot reference more than {MAX_LAYERS} layers."
    seen: dict[str, str] = {}
    for arn in arns:
        layer = arn.rsplit(":", 1)[0]
        if layer in seen:
            return (
                "Two different versions of the same layer are not allowed to be referenced "
                f"in the same function. {seen[layer]} and {arn} are versions of the same layer."
            )
        seen[layer] = arn
        if not _version_exists(call, arn):
            return f"Layer version {arn} does not exist."
    return None


def _version_exists(call: Call, arn: str) -> bool:
    match = _VERSION_ARN.fullmatch(arn)
    if match is None:
        return False
    region, account, name, version = match.groups()
    if (account, region) != (call.account, call.region):
        return False
    return moto_backends.layer_version_exists(account, region, name, int(version))
