"""Preflight stage: resolve secret sources (env:, ssm:) to values, never printing them."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from reconciler.desired.model import SecretRef, StackSpec
from reconciler.errors import InputError

# (stack, function key, environment key): two stacks may reuse a function key.
SecretKey = tuple[str, str, str]


def sources(specs: list[StackSpec]) -> dict[SecretKey, SecretRef]:
    """Every secret the stacks declare, keyed by stack, function and environment key."""
    return {
        (spec.name, fn.key, key): ref
        for spec in specs
        for fn in spec.functions
        for key, ref in fn.secrets
    }


def resolve_env(
    refs: Mapping[SecretKey, SecretRef], environ: Mapping[str, str]
) -> dict[SecretKey, str]:
    """Values of the `env:` sources; a missing or empty variable stops the run, named."""
    values: dict[SecretKey, str] = {}
    for key, ref in refs.items():
        if ref.scheme != "env":
            continue
        value = environ.get(ref.locator, "")
        if not value:
            state = "empty" if ref.locator in environ else "not set"
            raise InputError(
                f"secret {key[2]} of function {key[1]}: environment variable {ref.locator} "
                f"is {state}"
            )
        values[key] = value
    return values


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


def environ() -> Mapping[str, str]:
    return os.environ
