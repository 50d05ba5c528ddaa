"""The local AWS held to AWS's own contract: botocore's model of each operation's output.

Every successful answer is parsed as a client would parse it and checked against the output
shape: required members present, each value of its declared type, enum values among the
model's. Not the models' min and max: those bound what a caller may send, and AWS itself
answers outside them (NumberOfDecreasesToday 0 where the shape says at least 1). A fidelity
component (or moto) that answers something AWS never would is then a failing test, not a
belief shared by product and test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import botocore.session
from botocore.awsrequest import HeadersDict
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.parsers import create_parser

from reconciler.sandbox.wire.wsgi import Response

_session = botocore.session.get_session()
# JSON protocols are checked on the body as sent: botocore's parser would turn "128" into 128
# and hide the very mistake this looks for. The others are checked as a client parses them.
RAW = ("json", "rest-json")
# Python types a value of each scalar shape type may have, parsed and as JSON sends it.
SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "timestamp": (dt.datetime,),
    "blob": (bytes, bytearray),
}
Scalars = dict[str, tuple[type, ...]]
NOT_IN_BODY = ("header", "headers", "statusCode")
SENT: Scalars = {**SCALARS, "timestamp": (int, float, str), "blob": (str,)}


@cache
def _operation(service: str, operation: str) -> OperationModel | None:
    model = _session.get_service_model(service)
    if operation not in model.operation_names:
        return None
    return model.operation_model(operation)


def breaches(service: str, operation: str, protocol: str, response: Response) -> list[str]:
    """Where a successful answer breaks the operation's output shape; [] for errors."""
    op = _operation(service, operation)
    if not response.ok or op is None or op.output_shape is None:
        return []
    where = f"{service}:{operation}"
    answer = {
        "status_code": response.status,
        "headers": HeadersDict(dict(response.headers)),
        "body": response.body,
    }
    try:
        parsed = create_parser(protocol).parse(answer, op.output_shape)
        sent = json.loads(response.body or b"{}") if protocol in RAW else None
    except Exception as exc:  # any failure to parse is itself the breach
        return [f"{where}: unparseable answer ({type(exc).__name__}: {exc})"]
    if sent is not None and not op.output_shape.serialization.get("payload"):
        value, types = sent, SENT
    else:
        value, types = _raw_payload(op.output_shape, parsed), SCALARS
    return [f"{where}: {problem}" for problem in _check(op.output_shape, value, "", types)]


def _raw_payload(shape: StructureShape, parsed: dict[str, Any]) -> dict[str, Any]:
    # A blob payload (Invoke's Payload) is the raw body, which botocore's parser hands back
    # decoded when given bytes rather than a stream: it is the blob a client reads.
    name = str(shape.serialization.get("payload") or "")
    member = shape.members.get(name)
    value = parsed.get(name)
    if member is not None and member.type_name == "blob" and isinstance(value, str):
        return {**parsed, name: value.encode()}
    return parsed


def _check(shape: Shape, value: Any, path: str, types: Scalars) -> Iterator[str]:
    if isinstance(shape, StructureShape):
        yield from _structure(shape, value, path, types)
    elif isinstance(shape, ListShape):
        yield from _list(shape, value, path, types)
    elif isinstance(shape, MapShape):
        yield from _map(shape, value, path, types)
    else:
        yield from _scalar(shape, value, path, types)


def _structure(shape: StructureShape, value: Any, path: str, types: Scalars) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path or 'answer'}: {type(value).__name__} where a structure belongs"
        return
    # Header and status-code members are not in a body (and botocore fills them itself).
    members = {
        name: member
        for name, member in shape.members.items()
        if member.serialization.get("location") not in NOT_IN_BODY
    }
    for name in shape.required_members:
        if name in members and value.get(name) is None:
            yield f"{path}{name}: required, missing"
    for name, member in members.items():
        if value.get(name) is not None and not member.serialization.get("eventstream"):
            yield from _check(member, value[name], f"{path}{name}.", types)


def _list(shape: ListShape, value: Any, path: str, types: Scalars) -> Iterator[str]:
    if not isinstance(value, list):
        yield f"{path.rstrip('.')}: {type(value).__name__} where a list belongs"
        return
    for i, item in enumerate(value):
        yield from _check(shape.member, item, f"{path.rstrip('.')}[{i}].", types)


def _map(shape: MapShape, value: Any, path: str, types: Scalars) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path.rstrip('.')}: {type(value).__name__} where a map belongs"
        return
    for key, item in value.items():
        yield from _check(shape.key, key, f"{path}<key>.", types)
        yield from _check(shape.value, item, f"{path}{key}.", types)


def _scalar(shape: Shape, value: Any, path: str, types: Scalars) -> Iterator[str]:
    where = path.rstrip(".") or "answer"
    allowed = types.get(shape.type_name)
    if allowed is None:
        return  # a type this check does not know: botocore parsed it, that is all we say
    if not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool)):
        yield f"{where}: {type(value).__name__} {value!r} where {shape.type_name} belongs"
        return
    enum = getattr(shape, "enum", None)  # only StringShape declares it
    if enum and value not in enum:
        yield f"{where}: {value!r} is not one of {shape.name}'s values"
