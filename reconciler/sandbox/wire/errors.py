"""AWS error responses in the wire format each protocol's SDK parser expects."""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from reconciler.sandbox.wire.wsgi import Response

QUERY_PROTOCOL = "query"


def aws_error(protocol: str, code: str, status: int, message: str) -> Response:
    """An error botocore turns into ClientError with Error.Code == `code`."""
    if protocol == QUERY_PROTOCOL:
        return query_error(code, status, message)
    return json_error(code, status, message)


def json_error(code: str, status: int, message: str, query_code: str | None = None) -> Response:
    # rest-json parsers read the code from x-amzn-ErrorType first, json parsers from
    # __type; sending both keeps one helper valid for Lambda, X-Ray and CloudWatch.
    body = json.dumps({"__type": code, "message": message}).encode()
    headers: tuple[tuple[str, str], ...] = (
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("x-amzn-ErrorType", code),
        ("x-amzn-RequestId", request_id()),
    )
    if query_code is not None:
        # Services that moved from the query protocol to JSON (SQS) still send their old
        # error code here; botocore reports it as Error.Code and keeps __type as
        # QueryErrorCode, which is what the modeled exception classes match on.
        headers = (*headers, ("x-amzn-query-error", f"{query_code};Sender"))
    return Response(status, headers, body)


def query_error(code: str, status: int, message: str) -> Response:
    fault_type = "Receiver" if status >= 500 else "Sender"
    body = (
        "<ErrorResponse><Error>"
        f"<Type>{fault_type}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"</Error><RequestId>{request_id()}</RequestId></ErrorResponse>"
    ).encode()
    headers = (("Content-Type", "text/xml"), ("Content-Length", str(len(body))))
    return Response(status, headers, body)


def request_id() -> str:
    return str(uuid.uuid4())


def invalid_parameter(message: str) -> Response:
    """Lambda's usual 400 for a request AWS refuses on its merits."""
    return json_error("InvalidParameterValueException", 400, message)


def validation_error(message: str) -> Response:
    """The 400 AWS answers when a value breaks a constraint of the API model itself."""
    return json_error("ValidationException", 400, message)


def not_found(message: str) -> Response:
    return json_error("ResourceNotFoundException", 404, message)


def conflict(message: str) -> Response:
    return json_error("ResourceConflictException", 409, message)
