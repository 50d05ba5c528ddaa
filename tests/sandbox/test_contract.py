"""The contract check itself: an answer AWS would never give is caught, one AWS gives is not."""

from __future__ import annotations

import json

from reconciler.sandbox.contract import breaches
from reconciler.sandbox.wire.wsgi import Response, json_response

CONFIG = {"FunctionName": "f", "FunctionArn": "arn:aws:lambda:us-east-1:1:function:f"}


def _lambda(body: dict[str, object]) -> Response:
    return json_response(200, body, "application/json")


def test_an_answer_as_aws_gives_it_has_no_breach() -> None:
    answer = _lambda({**CONFIG, "State": "Active", "MemorySize": 128, "Architectures": ["arm64"]})
    assert breaches("lambda", "GetFunctionConfiguration", "rest-json", answer) == []


def test_an_enum_value_aws_does_not_have_is_a_breach() -> None:
    answer = _lambda({**CONFIG, "State": "Sleeping"})
    (found,) = breaches("lambda", "GetFunctionConfiguration", "rest-json", answer)
    assert (
        found == "lambda:GetFunctionConfiguration: State: 'Sleeping' is not one of State's values"
    )


def test_a_value_of_the_wrong_type_is_a_breach() -> None:
    answer = _lambda({**CONFIG, "MemorySize": "128", "Timeout": True})
    found = breaches("lambda", "GetFunctionConfiguration", "rest-json", answer)
    assert sorted(found) == [
        "lambda:GetFunctionConfiguration: MemorySize: str '128' where integer belongs",
        "lambda:GetFunctionConfiguration: Timeout: bool True where integer belongs",
    ]


def test_an_answer_a_client_cannot_parse_is_a_breach() -> None:
    answer = _lambda({**CONFIG, "Layers": {"Arn": "x"}})
    (found,) = breaches("lambda", "GetFunctionConfiguration", "rest-json", answer)
    assert found.startswith("lambda:GetFunctionConfiguration: unparseable answer")


def test_a_missing_required_member_is_a_breach() -> None:
    # Each of a table's KeySchema elements requires AttributeName and KeyType.
    body = {"Table": {"TableName": "t", "KeySchema": [{"AttributeName": "k"}]}}
    answer = Response(
        200, (("Content-Type", "application/x-amz-json-1.0"),), json.dumps(body).encode()
    )
    (found,) = breaches("dynamodb", "DescribeTable", "json", answer)
    assert found == "dynamodb:DescribeTable: Table.KeySchema[0].KeyType: required, missing"


def test_an_error_answer_is_not_checked_against_the_output_shape() -> None:
    answer = json_response(404, {"Message": "nope"}, "application/json")
    assert breaches("lambda", "GetFunctionConfiguration", "rest-json", answer) == []
