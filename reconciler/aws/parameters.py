"""AWS access: secret values kept in SSM Parameter Store (SecureString, decrypted)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from reconciler.desired.model import SecretRef
from reconciler.desired.secrets import SecretKey
from reconciler.errors import InputError


def resolve_ssm(
    refs: Mapping[SecretKey, SecretRef], ssm: Callable[[], Any]
) -> dict[SecretKey, str]:
    """Values of the `ssm:` sources (SecureString, decrypted), ten per call as SSM allows."""
    wanted = {key: ref.locator for key, ref in refs.items() if ref.scheme == "ssm"}
    if not wanted:
        return {}
    paths = sorted(set(wanted.values()))
    found: dict[str, str] = {}
    client = ssm()
    for start in range(0, len(paths), 10):
        try:
            got = client.get_parameters(Names=paths[start : start + 10], WithDecryption=True)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise InputError(f"cannot read SSM parameters: {code}") from None
        found.update({p["Name"]: p["Value"] for p in got.get("Parameters", [])})
    for key, path in wanted.items():
        if not found.get(path):
            raise InputError(
                f"secret {key[2]} of function {key[1]}: SSM parameter {path} not found"
            )
    return {key: found[path] for key, path in wanted.items()}
