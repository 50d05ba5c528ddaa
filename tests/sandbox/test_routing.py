"""Service and operation detection straight from the signature and botocore's models."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.wire.routing import identify

AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/{}/aws4_request, Signature=x"


def environ(service: str, method: str, path: str, query: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "HTTP_AUTHORIZATION": AUTH.format(service),
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        **extra,
    }


def test_the_monitoring_signing_name_means_cloudwatch() -> None:
    target = {"HTTP_X_AMZ_TARGET": "GraniteServiceVersion20100801.PutDashboard"}
    route = identify(environ("monitoring", "POST", "/", **target), b"{}")

    assert route is not None
    assert (route.service, route.operation, route.region) == (
        "cloudwatch",
        "PutDashboard",
        "eu-west-1",
    )


def test_the_query_action_is_read_from_the_form_body() -> None:
    form = {"CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8"}
    route = identify(environ("iam", "POST", "/", **form), b"Action=CreateRole&RoleName=r")

    assert route is not None
    assert (route.service, route.operation, route.protocol) == ("iam", "CreateRole", "query")


def test_a_required_query_key_makes_a_rest_path_more_specific() -> None:
    path = "/2019-09-30/functions/app/provisioned-concurrency"
    listing = identify(environ("lambda", "GET", path, "List=ALL"), b"")
    single = identify(environ("lambda", "GET", path, "Qualifier=live"), b"")

    assert listing is not None and single is not None
    assert listing.operation == "ListProvisionedConcurrencyConfigs"
    assert single.operation == "GetProvisionedConcurrencyConfig"
    assert single.path_params == {"FunctionName": "app"}


def test_function_arns_in_the_path_are_captured_whole() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:app"
    route = identify(environ("lambda", "PUT", f"/2015-03-31/functions/{arn}/configuration"), b"")

    assert route is not None
    assert route.operation == "UpdateFunctionConfiguration"
    assert route.path_params == {"FunctionName": arn}


def test_unknown_paths_keep_their_service_but_have_an_unknown_operation() -> None:
    route = identify(environ("lambda", "GET", "/no/such/path"), b"")

    assert route is not None
    assert (route.service, route.operation) == ("lambda", "Unknown")


def test_unsigned_requests_are_not_routed() -> None:
    assert identify({"REQUEST_METHOD": "POST", "PATH_INFO": "/moto-api/reset"}, b"") is None
