"""Code locations that can be downloaded, as AWS's presigned S3 URLs can.

GetFunction answers `Code.Location` and GetLayerVersion `Content.Location`: AWS gives a
presigned S3 URL valid for ten minutes, moto one that leads nowhere. Here both point back at the
local AWS (`/_sandbox/code/...`), which serves the zip that was uploaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from reconciler.sandbox.lambda_.names import path_function
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.wsgi import Environ, Response, json_response

CODE_PATH = "code"


class CodeLocations:
    """Rewrites code locations to the local AWS's own download URLs."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield "lambda", "GetFunction", self._function
        yield "lambda", "GetLayerVersion", self._layer
        yield "lambda", "GetLayerVersionByArn", self._layer

    def reset(self) -> None:
        """Nothing kept: the code is moto's."""

    def _function(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if not response.ok:
            return response
        key, qualifier = path_function(call)
        document = response.json()
        path = f"function/{key.account}/{key.region}/{quote(key.name)}/{qualifier or '$LATEST'}"
        document.setdefault("Code", {})["Location"] = _url(call.environ, path)
        return response.with_json(document)

    def _layer(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if not response.ok:
            return response
        document = response.json()
        layer = str(document.get("LayerArn", "")).split(":layer:")[-1]
        path = f"layer/{call.account}/{call.region}/{quote(layer)}/{document.get('Version')}"
        document.setdefault("Content", {})["Location"] = _url(call.environ, path)
        return response.with_json(document)


def download(parts: list[str]) -> Response:
    """The zip behind a location this component handed out, or 404."""
    if len(parts) == 5 and parts[0] == "function":
        _, account, region, name, qualifier = parts
        code = moto_backends.function_code(account, region, name, qualifier)
    elif len(parts) == 5 and parts[0] == "layer" and parts[4].isdigit():
        _, account, region, name, version = parts
        code = moto_backends.layer_code(account, region, name, int(version))
    else:
        code = None
    if code is None:
        return json_response(404, {"error": "no such code"})
    headers = (("Content-Type", "application/zip"), ("Content-Length", str(len(code))))
    return Response(200, headers, code)


def _url(environ: Environ, path: str) -> str:
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return f"http://{host}/_sandbox/{CODE_PATH}/{path}"
