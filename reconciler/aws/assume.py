"""AWS access: a session in another account, through STS AssumeRole.

One session per role, shared by every target of that account; its credentials are refreshed
by botocore shortly before they expire (15 minutes ahead), so a long fleet run never acts on
expired ones. The call goes to the target region's own STS endpoint (botocore's `regional`
default), which keeps working when another region's STS does not.
"""

from __future__ import annotations

import contextlib
import functools
import re
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError, DataNotFoundError

from reconciler.aws.services import NAMES
from reconciler.errors import PreflightError

SESSION_SECONDS = 3600
# RoleSessionName: 2 to 64 of these characters.
SESSION_NAME_CHARS = re.compile(r"[^\w+=,.@-]")


def session_name(suffixes: list[str]) -> str:
    """Names the tool and the suffixes it acts for, as CloudTrail will show them."""
    name = "lambda-reconciler-" + "+".join(suffixes)
    return SESSION_NAME_CHARS.sub("-", name)[:64]


def assumed_credentials(
    base: boto3.session.Session,
    role_arn: str,
    region: str,
    name: str,
    external_id: str | None = None,
) -> RefreshableCredentials:
    """Credentials acting as `role_arn`; the first AssumeRole happens here, so a missing role
    or a refused trust fails at once, named."""
    sts = base.client("sts", region_name=region)

    def fetch() -> dict[str, Any]:
        request: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": name,
            "DurationSeconds": SESSION_SECONDS,
        }
        if external_id:
            request["ExternalId"] = external_id
        try:
            got = sts.assume_role(**request)["Credentials"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise PreflightError(f"cannot assume {role_arn}: {code}") from None
        return {
            "access_key": got["AccessKeyId"],
            "secret_key": got["SecretAccessKey"],
            "token": got["SessionToken"],
            "expiry_time": got["Expiration"].isoformat(),
        }

    return RefreshableCredentials.create_from_metadata(
        fetch(), refresh_using=fetch, method="sts-assume-role"
    )


def session_with(credentials: RefreshableCredentials | None, region: str) -> boto3.session.Session:
    """A session in `region` on shared credentials (one AssumeRole serves every region), or
    on the environment's when None. Every such session reads botocore's service models
    through one loader, so a fleet's sessions parse each model once, not once each."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    if credentials is not None:
        # set_credentials takes static keys only; refreshable ones go where botocore's own
        # credential providers put theirs.
        core._credentials = credentials  # type: ignore[attr-defined]
    return boto3.session.Session(botocore_session=core, region_name=region)


@functools.cache
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


def warm(region: str) -> None:
    """Load every model a run needs into the shared loader, once, before a fleet's threads
    start: a loader's cache has no lock, so threads that miss it together each parse the
    same files (and list botocore's data directories) again."""
    session = session_with(None, region)
    for service in NAMES:
        client = session.client(service, aws_access_key_id="-", aws_secret_access_key="-")  # type: ignore[call-overload]
        client.close()
        with contextlib.suppress(DataNotFoundError):
            _loader().load_service_model(service, "paginators-1")
