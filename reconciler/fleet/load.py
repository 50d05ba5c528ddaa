"""Load stage: read and check a fleet file before any AWS call, one line per problem.

    [defaults]            # any target key; a target's own keys win
    env = "dev"
    stacks = ["all"]
    role_name = "lambda-reconciler"

    [[targets]]
    account = "111111111111"
    region = "us-east-1"
    suffix = "pr42"
    role_arn = "arn:aws:iam::111111111111:role/lambda-reconciler"   # else role_name
    external_id = "env:FLEET_EXTERNAL_ID"                           # a secret reference

Each target is checked as its own run would check it (its stacks load for its environment,
its suffix makes valid names), so a bad one stops the fleet before anything is read.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.aws.regions import known_region
from reconciler.desired.load import secret_ref
from reconciler.desired.model import SecretRef
from reconciler.desired.schema import Field, Rule, list_of_strings, read_table
from reconciler.desired.secrets import templated
from reconciler.errors import InputError
from reconciler.fleet.model import Fleet, FleetTarget

ACCOUNT = re.compile(r"^\d{12}$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role/(?:[\w+=,.@/-]+/)?[\w+=,.@-]{1,64}$"
)


def _matching(pattern: re.Pattern[str], what: str) -> Rule:
    return Rule(what, lambda value: None if pattern.match(value) else f"{value!r} is not {what}")


TARGET_FIELDS = {
    "account": Field(str, check=_matching(ACCOUNT, "a 12-digit account id")),
    "region": Field(str),
    "suffix": Field(str),
    "env": Field(str, required=False, default="dev"),
    "stacks": Field(list, required=False, default=["all"], check=list_of_strings),
    "role_arn": Field(str, required=False, check=_matching(ROLE_ARN, "an IAM role ARN")),
    "role_name": Field(str, required=False, check=_matching(ROLE_NAME, "an IAM role name")),
    "external_id": Field(str, required=False),
}
# Refuses (InputError) a target its own run would refuse: its stacks, environment, names;
# returns the secret sources the target's stacks declare.
TargetCheck = Callable[[FleetTarget], Sequence[SecretRef]]


def load_fleet(path: Path, check: TargetCheck) -> Fleet:
    """The fleet in `path`; `check` refuses a target its own run would refuse."""
    where = path.name
    document = _parse(path)
    unknown = sorted(set(document) - {"defaults", "targets", "shared_secrets"})
    if unknown:
        raise InputError(
            f"{where}: unknown table {unknown[0]!r} (known: defaults, targets, shared_secrets)"
        )
    shared = _shared(where, document.get("shared_secrets", []))
    defaults = document.get("defaults", {})
    read_table(f"{where} defaults", {**_placeholder(), **defaults}, TARGET_FIELDS)
    listed = document.get("targets")
    if not isinstance(listed, list) or not listed:
        raise InputError(f"{where}: declares no [[targets]]")
    targets = tuple(
        _target(f"{where} targets[{i}]", defaults, table) for i, table in enumerate(listed)
    )
    _no_duplicates(where, targets)
    used: dict[str, list[FleetTarget]] = {}
    for i, target in enumerate(targets):
        try:
            refs = check(target)
        except InputError as exc:
            raise InputError(f"{where} targets[{i}] ({target.label}): {exc}") from exc
        for ref in {str(r) for r in refs if _one_value(r)} - shared:
            used.setdefault(ref, []).append(target)
    _secrets_apart(where, used)
    return Fleet(targets)


def _shared(where: str, listed: Any) -> set[str]:
    """Secret sources the file says every target may share on purpose."""
    if not isinstance(listed, list) or not all(isinstance(s, str) for s in listed):
        raise InputError(f"{where}: shared_secrets must be a list of sources (env:NAME)")
    return {str(secret_ref(f"{where} shared_secrets", source)) for source in listed}


def _one_value(ref: SecretRef) -> bool:
    """An environment variable named the same for every target: one value for all of them
    (an `ssm:` path is read in each target's own account and region)."""
    return ref.scheme == "env" and not templated(ref)


def _secrets_apart(where: str, used: Mapping[str, list[FleetTarget]]) -> None:
    """Refuse one value for targets of different accounts or environments: a PR environment
    and production would get one database URL and one API key."""
    for ref, targets in sorted(used.items()):
        places = {(t.account, t.env) for t in targets}
        if len(places) > 1:
            labels = ", ".join(f"{t.label} ({t.env})" for t in targets)
            name = ref.split(":", 1)[1]
            raise InputError(
                f"{where}: secret {ref} would give one value to targets of different accounts "
                f"or environments ({labels}); template it (env:{name}_{{suffix}}, {{env}}, "
                "{account}) or list it in shared_secrets"
            )


def _parse(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"fleet file {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"fleet file {path}: not valid TOML: {exc}") from exc


def _placeholder() -> dict[str, str]:
    # Defaults may leave out the keys every target must give itself.
    return {"account": "000000000000", "region": "us-east-1", "suffix": "x"}


def _target(where: str, defaults: Mapping[str, Any], table: Any) -> FleetTarget:
    if not isinstance(table, dict):
        raise InputError(f"{where}: must be a table")
    if "role_arn" in table and "role_name" in table:
        raise InputError(f"{where}: give role_arn or role_name, not both")
    inherited = {k: v for k, v in defaults.items() if not _overridden(k, table)}
    values = read_table(where, {**inherited, **table}, TARGET_FIELDS)
    region = _region(f"{where}.region", values["region"])
    role_arn = _role_arn(where, values)
    return FleetTarget(
        account=values["account"],
        region=region,
        suffix=values["suffix"],
        env=values["env"],
        stacks=tuple(values["stacks"]) or ("all",),
        role_arn=role_arn,
        external_id=_external_id(where, values, role_arn),
    )


def _overridden(key: str, table: Mapping[str, Any]) -> bool:
    """A target's role_arn replaces the defaults' role_name, and the other way round."""
    role_keys = {"role_arn", "role_name"}
    return key in table or (key in role_keys and bool(role_keys & set(table)))


def _region(where: str, region: str) -> str:
    try:
        return known_region(region)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from exc


def _role_arn(where: str, values: Mapping[str, Any]) -> str | None:
    account = values["account"]
    if values["role_name"]:
        return f"arn:aws:iam::{account}:role/{values['role_name']}"
    arn = values["role_arn"]
    if arn:
        match = ROLE_ARN.match(arn)
        if match is not None and match.group(1) != account:
            role_account = match.group(1)
            raise InputError(
                f"{where}.role_arn: the role is in account {role_account}, the target in {account}"
            )
    return str(arn) if arn else None


def _external_id(where: str, values: Mapping[str, Any], role_arn: str | None) -> SecretRef | None:
    source = values["external_id"]
    if not source:
        return None
    if role_arn is None:
        raise InputError(f"{where}.external_id: given, but there is no role to assume")
    return secret_ref(f"{where}.external_id", source)


def _no_duplicates(where: str, targets: tuple[FleetTarget, ...]) -> None:
    # IAM names are global to an account: one suffix in two regions of an account would
    # make both targets fight over the same roles and policies.
    seen: dict[tuple[str, str], int] = {}
    for i, target in enumerate(targets):
        key = (target.account, target.suffix)
        if key in seen:
            first = targets[seen[key]]
            same = "" if first.region != target.region else " (the same target)"
            raise InputError(
                f"{where} targets[{i}]: suffix {target.suffix!r} in account {target.account} "
                f"is already targets[{seen[key]}] ({first.region}){same}; IAM names are "
                "global to an account, so a suffix lives in one region of it"
            )
        seen[key] = i
