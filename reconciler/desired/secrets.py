"""Load stage: where each secret comes from, and the values of `env:` sources; `ssm:`
ones are read by `reconciler.aws.parameters`. Values are never printed."""

from __future__ import annotations

import re
from collections.abc import Mapping

from reconciler.desired.model import SecretRef, StackSpec
from reconciler.errors import InputError

# Names that carry credentials: a literal value under one is refused when the file loads, and
# a live value under one is never shown, declared or not (a system taken over has its own).
SECRET_LIKE = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|DATABASE_URL")
# (stack, function key, environment key): two stacks may reuse a function key.
SecretKey = tuple[str, str, str]
# What a source may name of where it is used, so that each target reads its own value.
TEMPLATE = re.compile(r"\{(suffix|env|account)\}")


def templated(ref: SecretRef) -> bool:
    return bool(TEMPLATE.search(ref.locator))


def needs_account(ref: SecretRef) -> bool:
    """Known only once the credentials say where they act."""
    return "{account}" in ref.locator


def rendered(
    refs: Mapping[SecretKey, SecretRef], place: Mapping[str, str]
) -> dict[SecretKey, SecretRef]:
    """Each source with `{suffix}`, `{env}` and `{account}` filled in for one target. In an
    environment variable's name a `-` becomes `_` (a shell cannot export `KEY_pr-42`)."""

    def one(ref: SecretRef) -> SecretRef:
        def value(match: re.Match[str]) -> str:
            filled = place[match.group(1)]
            return filled.replace("-", "_") if ref.scheme == "env" else filled

        return SecretRef(ref.scheme, TEMPLATE.sub(value, ref.locator))

    return {key: one(ref) for key, ref in refs.items()}


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
