"""Expand stage: where a stack goes and how its name templates expand (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.desired.model import FunctionSpec, StackSpec
from reconciler.errors import InputError

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


@dataclass(frozen=True)
class Target:
    """Where the stack goes: suffix, account, region."""

    suffix: str
    account_id: str
    region: str

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        return "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"


def base_name(fn: FunctionSpec) -> str:
    """A function's name without its suffix (`batch-load-{suffix}` -> `batch-load`)."""
    return fn.name.removesuffix("-{suffix}").replace("{suffix}", "") or fn.key


class Names:
    """Rendered names: `{suffix}`, `{env}`, `{tables.X}`, `{functions.X}`, `{layers.X}`."""

    def __init__(self, spec: StackSpec, suffix: str) -> None:
        self.values: dict[str, str] = {"suffix": suffix, "env": spec.env}
        for table in spec.tables:
            self.values[f"tables.{table.key}"] = table.name.replace("{suffix}", suffix)
        for fn in spec.functions:
            self.values[f"functions.{fn.key}"] = fn.name.replace("{suffix}", suffix)
        for layer in spec.layers:
            self.values[f"layers.{layer.key}"] = layer.name.replace("{suffix}", suffix)

    def expand(self, text: str, where: str, **extra: str) -> str:
        values = {**self.values, **extra}

        def one(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in values:
                raise InputError(f"{where}: unknown placeholder {{{key}}}")
            return values[key]

        return PLACEHOLDER.sub(one, text)
