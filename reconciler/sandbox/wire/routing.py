"""Which AWS service and operation a raw HTTP request is, derived from botocore's models."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import botocore.session
from botocore.exceptions import UnknownServiceError

UNKNOWN_OPERATION = "Unknown"
JSON, QUERY, REST, CBOR = "json", "query", "rest-json", "smithy-rpc-v2-cbor"

# SigV4 scopes carry the signing name, which differs from botocore's service name for a few.
_SIGNING_NAMES = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "states": "stepfunctions",
    "tagging": "resourcegroupstaggingapi",
}
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([^/]+)$")
_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class Route:
    """Where a signed request is headed."""

    service: str
    operation: str
    region: str
    access_key: str
    protocol: str
    path_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Signature:
    access_key: str
    region: str
    service: str


def parse_signature(authorization: str) -> Signature | None:
    match = _CREDENTIAL.search(authorization)
    if match is None:
        return None
    access_key, region, scope = match.groups()
    return Signature(access_key, region, _SIGNING_NAMES.get(scope, scope))


def identify(environ: Mapping[str, Any], body: bytes) -> Route | None:
    """The route of a SigV4-signed request, or None for anything unsigned."""
    signature = parse_signature(str(environ.get("HTTP_AUTHORIZATION", "")))
    if signature is None:
        return None
    protocol, operation, params = _operation(signature.service, environ, body)
    return Route(
        signature.service, operation, signature.region, signature.access_key, protocol, params
    )


def _operation(
    service: str, environ: Mapping[str, Any], body: bytes
) -> tuple[str, str, Mapping[str, str]]:
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return JSON, target.rsplit(".", 1)[-1], {}
    action = form_action(environ, body)
    if action:
        return QUERY, action, {}
    path = str(environ.get("PATH_INFO", ""))
    cbor = _CBOR_PATH.match(path)
    if cbor:
        return CBOR, cbor.group(1), {}
    query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
    matched = rest_matcher(service).match(str(environ.get("REQUEST_METHOD", "")), path, query)
    return REST, *(matched or (UNKNOWN_OPERATION, {}))


def form_action(environ: Mapping[str, Any], body: bytes) -> str | None:
    """`Action` of a query-protocol call, from the form body or the query string."""
    if str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
        actions = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if actions:
            return actions[0]
    actions = parse_qs(str(environ.get("QUERY_STRING", ""))).get("Action")
    return actions[0] if actions else None


@dataclass(frozen=True)
class RestPattern:
    """One operation's method, path template and required query keys, compiled."""

    operation: str
    method: str
    regex: re.Pattern[str]
    labels: tuple[str, ...]
    query: tuple[tuple[str, str | None], ...]
    literal_length: int

    @property
    def specificity(self) -> tuple[int, int, int]:
        return (len(self.query), self.literal_length, -len(self.labels))

    def match(
        self, method: str, path: str, query: Mapping[str, list[str]]
    ) -> dict[str, str] | None:
        if method != self.method or not _query_satisfied(self.query, query):
            return None
        found = self.regex.fullmatch(path.rstrip("/"))
        if found is None:
            return None
        return {label: found.group(f"g{i}") for i, label in enumerate(self.labels)}


def _query_satisfied(
    required: tuple[tuple[str, str | None], ...], query: Mapping[str, list[str]]
) -> bool:
    return all(key in query and (value is None or value in query[key]) for key, value in required)


def compile_pattern(operation: str, method: str, request_uri: str) -> RestPattern:
    path, _, query_part = request_uri.partition("?")
    pieces = _LABEL.split(path.rstrip("/"))
    regex, literal = "", 0
    labels: list[str] = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            regex, literal = regex + re.escape(piece), literal + len(piece)
            continue
        greedy, name = piece.endswith("+"), piece.rstrip("+")
        regex += f"(?P<g{len(labels)}>{'.+' if greedy else '[^/]+'})"
        labels.append(name)
    query = tuple(_query_requirement(part) for part in query_part.split("&") if part)
    return RestPattern(operation, method, re.compile(regex), tuple(labels), query, literal)


def _query_requirement(part: str) -> tuple[str, str | None]:
    key, sep, value = part.partition("=")
    return key, (value if sep else None)


class RestMatcher:
    """All operations of one rest protocol service, most specific first."""

    def __init__(self, patterns: list[RestPattern]) -> None:
        self._patterns = sorted(patterns, key=lambda p: p.specificity, reverse=True)

    def match(
        self, method: str, path: str, query: Mapping[str, list[str]]
    ) -> tuple[str, dict[str, str]] | None:
        for pattern in self._patterns:
            params = pattern.match(method, path, query)
            if params is not None:
                return pattern.operation, params
        return None


_matchers: dict[str, RestMatcher] = {}
_matchers_lock = threading.Lock()
_session = botocore.session.get_session()


def rest_matcher(service: str) -> RestMatcher:
    """The matcher for a service, built once from botocore's service model."""
    with _matchers_lock:
        matcher = _matchers.get(service)
        if matcher is None:
            matcher = _matchers[service] = _build_matcher(service)
        return matcher


def _build_matcher(service: str) -> RestMatcher:
    try:
        model = _session.get_service_model(service)
    except UnknownServiceError:
        return RestMatcher([])
    patterns = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        patterns.append(compile_pattern(name, http["method"], http["requestUri"]))
    return RestMatcher(patterns)
