"""AWS access: who and where we are (STS), the first call of every run, so reach and
credential problems surface before anything else."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from reconciler.errors import PreflightError

REJECTED_CREDENTIALS = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "AccessDenied",
    "InvalidAccessKeyId",
}


def account_id(sts: Any, endpoint: str) -> str:
    """Who we are; the first AWS call, so reach and credential problems surface here."""
    try:
        return str(sts.get_caller_identity()["Account"])
    except (NoCredentialsError, PartialCredentialsError):
        raise PreflightError(
            "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
        ) from None
    except EndpointConnectionError:
        raise PreflightError(f"cannot reach AWS at {endpoint}") from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in REJECTED_CREDENTIALS:
            raise PreflightError(f"AWS rejected the credentials ({code})") from None
        raise PreflightError(f"cannot identify the AWS account: {code}") from None


def check_account_allowed(account: str, allowed: Sequence[str]) -> None:
    if allowed and account not in allowed:
        raise PreflightError(
            f"account {account} is not in the allowed accounts ({', '.join(allowed)})"
        )
