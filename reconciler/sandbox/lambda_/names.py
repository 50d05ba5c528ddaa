"""Lambda function identifiers: names, ARNs and qualifiers as the API accepts them."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.sandbox.wire.call import Call

LATEST = "$LATEST"


@dataclass(frozen=True)
class FunctionKey:
    """A function's identity inside the sandbox."""

    account: str
    region: str
    name: str

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


def split_function_ref(ref: str) -> tuple[str, str | None]:
    """Name and qualifier of 'f', 'f:q', '123456789012:function:f:q' or a full ARN."""
    tail = ref.split(":function:", 1)[1] if ":function:" in ref else ref
    name, _, qualifier = tail.partition(":")
    return name, qualifier or None


def function_key(call: Call, ref: str) -> FunctionKey:
    name, _ = split_function_ref(ref)
    return FunctionKey(call.account, call.region, name)


def path_function(call: Call) -> tuple[FunctionKey, str | None]:
    """The function named in the URL path, with the qualifier from the path or `?Qualifier=`."""
    ref = call.path_param("FunctionName")
    name, qualifier = split_function_ref(ref)
    return FunctionKey(call.account, call.region, name), qualifier or call.query("Qualifier")


def role_name(role_arn: str) -> str:
    """`arn:aws:iam::123456789012:role/some/path/name` -> `name`."""
    return role_arn.rsplit("/", 1)[-1]
