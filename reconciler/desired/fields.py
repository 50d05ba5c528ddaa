"""Load stage: the desired-state format, every table and key the loader accepts, with its
type, default and allowed values (docs/desired-state.md documents each, and a test keeps the
two the same)."""

from __future__ import annotations

import re

from reconciler.desired import runtimes
from reconciler.desired.packaging import SMOKE_SUFFIX
from reconciler.desired.schema import (
    Field,
    Rule,
    in_range,
    list_of_strings,
    one_of,
    string_table,
)
from reconciler.errors import InputError

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
TOP = {
    "stack": Field(dict),
    "tags": Field(dict, check=string_table),
    "tables": Field(dict, required=False, default={}),
    "functions": Field(dict),
    "xray_group": Field(dict, required=False),
    "dashboard": Field(dict, required=False),
    "account_ids": Field(list, required=False, default=[], check=list_of_strings),
    "environments": Field(dict, required=False, default={}),
    "function_defaults": Field(dict, required=False, default={}),
    "layers": Field(dict, required=False, default={}),
    "boundary": Field(dict, required=False),
    "alarms": Field(dict, required=False),
    "ignore": Field(list, required=False, default=[], check=list_of_strings),
}
STACK = {"name": Field(str), "region": Field(str, required=False, default="us-east-1")}
TABLE = {
    "name": Field(str),
    "billing_mode": Field(str, check=one_of(("PAY_PER_REQUEST",), "billing mode")),
    "hash_key": Field(str),
    "hash_key_type": Field(str, check=one_of(("S", "N", "B"), "key type")),
    "range_key": Field(str, required=False, default=""),
    "range_key_type": Field(
        str, required=False, default="", check=one_of(("", "S", "N", "B"), "key type")
    ),
    "deletion_protection": Field(bool, required=False, default=None),
}


def _kms(value: str) -> str | None:
    if value == "" or value.startswith("arn:aws"):
        return None
    return f"{value!r} is not a KMS key ARN (leave it empty for the AWS managed key)"


def _runtime(value: str) -> str | None:
    try:
        runtimes.known_runtime(value)
    except InputError as exc:
        return str(exc)
    return None


def _role_arn(value: str) -> str | None:
    if value == "" or (value.startswith("arn:aws") and ":role/" in value):
        return None
    return f"{value!r} is not an IAM role ARN"


KMS_KEY = Rule("a KMS key ARN, or empty for the AWS managed key", _kms)


def _smoke_file(value: str) -> str | None:
    if value == "" or ("/" not in value and value.endswith(SMOKE_SUFFIX)):
        return None
    return f"{value!r} must be a file name ending {SMOKE_SUFFIX}"


SMOKE_FILE = Rule(f"a file name ending `{SMOKE_SUFFIX}`, or empty for none", _smoke_file)
RUNTIME = Rule(", ".join(sorted(runtimes.RUNTIMES)), _runtime)


FUNCTION = {
    "name": Field(str),
    "source": Field(str),
    "handler": Field(str),
    "runtime": Field(str, check=RUNTIME),
    "architecture": Field(str, check=one_of(("arm64", "x86_64"), "architecture")),
    "memory_mb": Field(int, check=in_range(128, 10240, "Lambda memory (MB)")),
    "timeout_s": Field(int, check=in_range(1, 900, "Lambda timeout (s)")),
    "tracing": Field(str, check=one_of(("Active", "PassThrough"), "tracing mode")),
    "reserved_concurrency": Field(
        int, required=False, check=in_range(0, 100000, "reserved concurrency")
    ),
    "kms_key_arn": Field(str, required=False, default="", check=KMS_KEY),
    "log_retention_days": Field(
        int, required=False, check=one_of(LOG_RETENTION_DAYS, "log retention in days")
    ),
    "log_format": Field(
        str, required=False, default="Text", check=one_of(("Text", "JSON"), "log format")
    ),
    "log_deletion_protection": Field(bool, required=False, default=None),
    "environment": Field(dict, required=False, default={}, check=string_table),
    "secrets": Field(dict, required=False, default={}, check=string_table),
    "alias": Field(dict, required=False),
    "role": Field(dict),
    "layers": Field(list, required=False, default=[], check=list_of_strings),
    "dead_letter_queue": Field(dict, required=False),
    "async": Field(dict, required=False),
    "critical": Field(bool, required=False, default=False),
}
# How long a rollout step holds: a number and a unit (`30s`, `5m`, `2h`), up to a day.
DURATION = re.compile(r"^([0-9]{1,5})([smh])$")
UNIT_S = {"s": 1, "m": 60, "h": 3600}
LONGEST_STEP_S = 86400


def duration_s(text: str) -> int:
    """Seconds of a checked duration (`5m` -> 300)."""
    match = DURATION.match(text)
    assert match is not None, text
    return int(match.group(1)) * UNIT_S[match.group(2)]


def _duration(value: str) -> str | None:
    if DURATION.match(value) and duration_s(value) <= LONGEST_STEP_S:
        return None
    return f"{value!r} is not a duration of up to a day (e.g. 30s, 5m, 2h)"


def _strategy(value: str) -> str | None:
    if value in STRATEGIES:
        return None
    return f"{value!r} is not a rollout strategy ({', '.join(STRATEGIES)})"


STRATEGIES = ("all-at-once", "canary", "linear")
DURATION_RULE = Rule("a duration: 30s, 5m, 2h (up to 24h)", _duration)
ROLLOUT = {
    "strategy": Field(
        str,
        required=False,
        default="all-at-once",
        check=Rule(", ".join(STRATEGIES), _strategy),
    ),
    # Canary: the first step's share; linear: each step's.
    "percent": Field(int, required=False, default=0, check=in_range(1, 99, "rollout percent")),
    "interval": Field(str, required=False, default="", check=DURATION_RULE),
    # Keys of the stack's [alarms]: this function's alarm of each.
    "alarms": Field(list, required=False, default=[], check=list_of_strings),
    # Alarms the stack does not manage, by name: checked to exist before any write.
    "existing_alarms": Field(list, required=False, default=[], check=list_of_strings),
    "bake": Field(str, required=False, default="0s", check=DURATION_RULE),
}


def _target(value: float) -> str | None:
    if 0.1 <= value <= 0.9:
        return None
    return f"{value} is out of target utilization's range 0.1..0.9"


# Cooldowns are durations too (Application Auto Scaling's default for Lambda is 0).
SCALING = {
    "min": Field(int, check=in_range(0, 100000, "scaling min")),
    "max": Field(int, check=in_range(1, 100000, "scaling max")),
    # Target tracking on LambdaProvisionedConcurrencyUtilization; absent: none.
    "target": Field((int, float), required=False, check=Rule("0.1..0.9", _target)),
    "scale_in_cooldown": Field(str, required=False, default="0s", check=DURATION_RULE),
    "scale_out_cooldown": Field(str, required=False, default="0s", check=DURATION_RULE),
    "schedule": Field(list, required=False, default=[]),
}
SCHEDULE = {
    "name": Field(str),
    # Application Auto Scaling's cron: six fields, read in `timezone`.
    "cron": Field(str),
    "timezone": Field(str, required=False, default="UTC"),
    "min": Field(int, check=in_range(0, 100000, "scheduled min")),
    "max": Field(int, check=in_range(1, 100000, "scheduled max")),
}
ALIAS = {
    "name": Field(str),
    "provisioned_concurrency": Field(
        int, required=False, default=0, check=in_range(0, 100000, "provisioned concurrency")
    ),
    # A `*.smoke.json` file in the function's source folder (never packaged into its zip).
    "smoke": Field(str, required=False, default="", check=SMOKE_FILE),
    "rollout": Field(dict, required=False),
    # Application Auto Scaling holds the capacity instead of `provisioned_concurrency`.
    "scaling": Field(dict, required=False),
}
ROLE_ARN = Rule("an IAM role ARN (arn:aws:iam::<account>:role/<name>)", _role_arn)
ROLE = {
    "name": Field(str, required=False, default=""),
    "arn": Field(str, required=False, default="", check=ROLE_ARN),
    "dynamodb": Field(list, required=False, default=[]),
    "invoke": Field(list, required=False, default=[], check=list_of_strings),
}
TABLE_ACCESS = {"table": Field(str), "actions": Field(list, check=list_of_strings)}
QUEUE = {
    "name": Field(str),
    # SQS keeps messages 60 s to 14 days.
    "retention_s": Field(int, check=in_range(60, 1209600, "SQS message retention (s)")),
    "visibility_timeout_s": Field(int, check=in_range(0, 43200, "SQS visibility timeout (s)")),
}
ASYNC = {
    "max_retry_attempts": Field(int, check=in_range(0, 2, "Lambda async retry attempts")),
    "max_event_age_s": Field(int, check=in_range(60, 21600, "Lambda async event age (s)")),
}
LAYER = {
    "name": Field(str),
    "source": Field(str),
    "compatible_runtimes": Field(list, check=list_of_strings),
    "compatible_architectures": Field(list, check=list_of_strings),
}
BOUNDARY = {"name": Field(str)}
COMPARISONS = (
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
ALARM = {
    "name": Field(str),
    "source": Field(str, check=one_of(("function", "dlq"), "alarm source")),
    "namespace": Field(str),
    "metric": Field(str),
    "statistic": Field(
        str, check=one_of(("Sum", "Average", "Maximum", "Minimum", "SampleCount"), "statistic")
    ),
    "period_s": Field(int, check=one_of((10, 30, 60, 300, 900, 3600, 21600, 86400), "period")),
    "evaluation_periods": Field(int, check=in_range(1, 100, "evaluation periods")),
    "threshold": Field((int, float)),
    "comparison": Field(str, check=one_of(COMPARISONS, "comparison")),
}
XRAY = {"name": Field(str), "filter_expression": Field(str), "insights": Field(bool)}
DASHBOARD = {
    "name": Field(str),
    "period_s": Field(int, check=one_of((10, 30, 60, 300, 900, 3600), "dashboard period")),
    "metrics": Field(list, check=list_of_strings),
}


# Every table of the format, by the heading docs/desired-state.md gives it.
SECTIONS: dict[str, dict[str, Field]] = {
    "(top level)": TOP,
    "[stack]": STACK,
    "[tables.<key>]": TABLE,
    "[layers.<key>]": LAYER,
    "[boundary]": BOUNDARY,
    "[functions.<key>]": FUNCTION,
    "[functions.<key>.alias]": ALIAS,
    "[functions.<key>.alias.rollout]": ROLLOUT,
    "[functions.<key>.alias.scaling]": SCALING,
    "[[functions.<key>.alias.scaling.schedule]]": SCHEDULE,
    "[functions.<key>.role]": ROLE,
    "[[functions.<key>.role.dynamodb]]": TABLE_ACCESS,
    "[functions.<key>.dead_letter_queue]": QUEUE,
    "[functions.<key>.async]": ASYNC,
    "[alarms.<key>]": ALARM,
    "[xray_group]": XRAY,
    "[dashboard]": DASHBOARD,
}
