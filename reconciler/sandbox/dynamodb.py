"""DynamoDB table descriptions as AWS gives them: a TableId, and no empty index lists."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.wsgi import Response

DYNAMODB = "dynamodb"
# Operations whose answer holds a TableDescription, and under which key.
DESCRIBED = {
    "CreateTable": "TableDescription",
    "DeleteTable": "TableDescription",
    "UpdateTable": "TableDescription",
    "DescribeTable": "Table",
}
INDEX_LISTS = ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")


class TableDescriptions:
    """moto leaves out TableId and answers `[]` for indexes a table does not have."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        for operation in DESCRIBED:
            yield DYNAMODB, operation, self._described

    def reset(self) -> None:
        """Nothing kept: the id follows from the table's ARN."""

    def _described(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if not response.ok:
            return response
        payload = response.json()
        table = payload.get(DESCRIBED[call.operation])
        if isinstance(table, dict):
            _as_aws_describes(table)
        return response.with_json(payload)


def _as_aws_describes(table: dict[str, Any]) -> None:
    # A table created anew under the same name gets a new ARN's worth of identity in AWS;
    # here the ARN alone decides, which is all a client can observe within one table's life.
    arn = str(table.get("TableArn", ""))
    table.setdefault("TableId", str(uuid.uuid5(uuid.NAMESPACE_URL, arn)))
    for key in INDEX_LISTS:
        if table.get(key) == []:
            del table[key]
