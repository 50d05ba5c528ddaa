"""Lambda resource policies as AWS keeps them: one per qualifier.

moto files a permission added on an alias under the version the alias points to at that
moment, and copies the function's policy into every version it publishes. AWS keeps a policy
per function, per version and per alias: a permission on `live` stays with `live` when the alias
moves, and a version published after a permission was added has no policy of its own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from reconciler.sandbox.lambda_.deployment import read_call
from reconciler.sandbox.lambda_.names import FunctionKey, path_function
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import json_error
from reconciler.sandbox.wire.wsgi import Response, json_response

LAMBDA = "lambda"
# (function, qualifier): "" is the unqualified function's own policy.
PolicyKey = tuple[FunctionKey, str]
NOT_FOUND = "The resource you requested does not exist."


class ResourcePolicies:
    """AddPermission, RemovePermission and GetPolicy per qualifier, in front of moto."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._statements: dict[PolicyKey, dict[str, dict[str, Any]]] = {}
        self._revisions: dict[PolicyKey, str] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LAMBDA, "AddPermission", self._add
        yield LAMBDA, "RemovePermission", self._remove
        yield LAMBDA, "GetPolicy", self._get
        yield LAMBDA, "DeleteFunction", self._forget
        yield LAMBDA, "DeleteAlias", self._forget

    def reset(self) -> None:
        with self._ctx.lock:
            self._statements.clear()
            self._revisions.clear()

    def _add(self, call: Call, forward: Forward) -> Response:
        key, missing = self._existing(call)
        if missing is not None:
            return missing
        request = call.json()
        sid = str(request.get("StatementId", ""))
        statement = _statement(key, request)
        with self._ctx.lock:
            policy = self._statements.setdefault(key, {})
            if sid in policy:
                return json_error(
                    "ResourceConflictException",
                    409,
                    f"The statement id ({sid}) provided already exists. Please specify a new "
                    "statement id, or remove the existing statement.",
                )
            policy[sid] = statement
            self._revisions[key] = str(uuid.uuid4())
        return json_response(201, {"Statement": json.dumps(statement)})

    def _remove(self, call: Call, forward: Forward) -> Response:
        key, missing = self._existing(call)
        if missing is not None:
            return missing
        sid = call.path_param("StatementId")
        with self._ctx.lock:
            policy = self._statements.get(key, {})
            if sid not in policy:
                return json_error(
                    "ResourceNotFoundException",
                    404,
                    f"Statement {sid} is not found in resource policy.",
                )
            del policy[sid]
            self._revisions[key] = str(uuid.uuid4())
        return Response(204, (("Content-Length", "0"),), b"")

    def _get(self, call: Call, forward: Forward) -> Response:
        key, missing = self._existing(call)
        if missing is not None:
            return missing
        with self._ctx.lock:
            statements = list(self._statements.get(key, {}).values())
            revision = self._revisions.get(key, "")
        if not statements:
            return json_error("ResourceNotFoundException", 404, NOT_FOUND)
        document = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        return json_response(200, {"Policy": json.dumps(document), "RevisionId": revision})

    def _forget(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if response.ok:
            function, qualifier = path_function(call)
            alias = call.path_param("Name")
            with self._ctx.lock:
                for key in list(self._statements):
                    gone = key[0] == function and (
                        (alias and key[1] == alias) or (not alias and not qualifier)
                    )
                    if gone:
                        self._statements.pop(key, None)
                        self._revisions.pop(key, None)
        return response

    def _existing(self, call: Call) -> tuple[PolicyKey, Response | None]:
        """The policy the call names, and AWS's answer when its function or qualifier does
        not exist."""
        function, qualifier = path_function(call)
        key = (function, qualifier or "")
        read = read_call(call, "GetFunctionConfiguration", function, qualifier or "$LATEST")
        response = self._ctx.dispatch(read)
        return key, None if response.ok else response


def _statement(key: PolicyKey, request: dict[str, Any]) -> dict[str, Any]:
    """The statement AWS writes for an AddPermission request."""
    function, qualifier = key
    resource = f"{function.arn}:{qualifier}" if qualifier else function.arn
    principal = str(request.get("Principal", ""))
    if principal.endswith(".amazonaws.com"):
        who: dict[str, str] = {"Service": principal}
    elif principal.isdigit():
        who = {"AWS": f"arn:aws:iam::{principal}:root"}
    else:
        who = {"AWS": principal}
    statement: dict[str, Any] = {
        "Sid": request.get("StatementId"),
        "Effect": "Allow",
        "Principal": who,
        "Action": request.get("Action"),
        "Resource": resource,
    }
    condition: dict[str, dict[str, str]] = {}
    if request.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": str(request["SourceArn"])}
    if request.get("SourceAccount"):
        condition["StringEquals"] = {"AWS:SourceAccount": str(request["SourceAccount"])}
    if condition:
        statement["Condition"] = condition
    return statement
