"""The command line's flags: argument types (each refusal the one line the user sees) and
the groups of flags the commands share. Nothing here reaches AWS or loads boto3."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import NoReturn

from reconciler.apply.lease_times import WAIT_S

ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class UsageError(Exception):
    """A bad command line (exit 1: exit 2 means drift, never a typo)."""

    def __init__(self, message: str, prog: str = "reconcile") -> None:
        super().__init__(message)
        self.prog = prog


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.prog)


# --- argument types: each refusal is the one line the user sees ----------------------------


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _positive(text: str) -> float:
    if (value := _number(text)) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def _non_negative(text: str) -> float:
    if (value := _number(text)) < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number above 0")
    return int(text)


def _account_id(text: str) -> str:
    if len(text) != 12 or not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a 12-digit AWS account id")
    return text


def _env_name(text: str) -> str:
    if not ENV_NAME.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an environment name (letters, digits, - and _)"
        )
    return text


def _stack_name(text: str) -> str:
    if not re.match(r"^[a-z][a-z0-9_-]*$", text) or text == "all":
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a stack name (lowercase letters, digits, - and _; not 'all')"
        )
    return text


def _tag(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def _rate(text: str) -> tuple[str, float]:
    key, sep, value = text.partition("=")
    service, _, operation = key.partition(":")
    well_formed = sep and service.isalpha() and service.islower()
    if not well_formed or (operation and not operation.isalnum()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SERVICE=N or SERVICE:Operation=N (e.g. lambda=15)"
        )
    return key, _non_negative(value)


# --- flag groups -----------------------------------------------------------------------------


def where(p: argparse.ArgumentParser) -> None:
    """What every command takes: the suffix, where its desired state is, which account, and
    how it talks."""
    p.add_argument(
        "--suffix",
        default=os.environ.get("RECONCILE_SUFFIX") or None,
        help="environment suffix, e.g. pr42 (default $RECONCILE_SUFFIX)",
    )
    p.add_argument("--region", help="AWS region (default: the stack's, else us-east-1)")
    p.add_argument(
        "--desired-dir",
        type=Path,
        default=None,
        help="folder of <stack>.toml files (default $RECONCILE_DESIRED_DIR, else "
        "./desired_state or the current folder; never the tool's own)",
    )
    p.add_argument(
        "--account",
        action="append",
        type=_account_id,
        default=[],
        metavar="ID",
        help="refuse to run unless AWS says we are in this account (repeatable)",
    )
    p.add_argument(
        "--log-level",
        default=None,
        choices=("debug", "info", "warning", "error"),
        help="the least a log line must be (default: info in JSON; warnings and progress in words)",
    )
    p.add_argument(
        "--log-format",
        default="auto",
        choices=("auto", "text", "json"),
        help="logs on stderr: words on a terminal, JSON otherwise (auto, the default)",
    )
    p.add_argument(
        "--no-color",
        action="store_true",
        help="no colour on a terminal (also $NO_COLOR); never any in files, pipes or JSON",
    )


def which(p: argparse.ArgumentParser) -> None:
    """Which part of the desired state, for which of its environments."""
    p.add_argument(
        "--stack",
        default="all",
        help="a stack of the desired-state folder, several separated by commas, or all (default)",
    )
    p.add_argument(
        "--env",
        type=_env_name,
        default=None,
        help="an environment the stacks' [environments] declare (default dev; destroy and "
        "release need none)",
    )


def importing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stack",
        required=True,
        type=_stack_name,
        help="the new stack's name: <stack>.toml is written, never over a file",
    )
    p.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME",
        help="a function to take in, by its full name (repeatable)",
    )
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        type=_tag,
        metavar="KEY=VALUE",
        help="take in every function carrying this tag (repeatable: all of them)",
    )
    p.add_argument(
        "--plain",
        action="append",
        default=[],
        metavar="VARIABLE",
        help="an environment variable written as plain configuration instead of a "
        "secret reference (repeatable; never one named like a credential)",
    )


def fleet(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fleet",
        type=Path,
        metavar="FILE",
        help="run every target of a fleet file (suffixes, accounts, regions) instead of "
        "one --suffix (docs/fleet.md)",
    )
    p.add_argument(
        "--shard",
        metavar="I/N",
        help="with --fleet: take only shard I of N (0-based) of the fleet's account-regions; "
        "in a Kubernetes Indexed Job, $JOB_COMPLETION_INDEX of $RECONCILE_SHARD_COUNT",
    )


def fleet_policy(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fleet",
        type=Path,
        metavar="FILE",
        help="print the hub's policies and each fleet role's policy and trust policy",
    )
    p.add_argument(
        "--hub",
        metavar="ARN",
        help="with --fleet: the role (or account id) the fleet runs as, which the roles trust",
    )


def report(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--output",
        choices=("text", "json", "markdown"),
        default="text",
        help="text for people (default), one JSON document for scripts, or markdown for a "
        "pull-request comment",
    )


def reads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-workers", type=_positive_int, default=32, help="parallel AWS calls (default 32)"
    )
    p.add_argument(
        "--rate-limit",
        action="append",
        type=_rate,
        default=[],
        metavar="SERVICE[:Operation]=N",
        help="calls per second for an AWS API (0: unpaced); default AWS's "
        "published quotas, e.g. lambda=15 (repeatable)",
    )


def writes(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lock-wait",
        type=_non_negative,
        default=WAIT_S,
        help="seconds to wait for a live run of this suffix (default %(default).0f, longer "
        "than a crashed run's lease lasts)",
    )


def changes(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-replace",
        action="store_true",
        help="allow delete-then-create where AWS cannot update in place",
    )
    p.add_argument(
        "--pc-timeout",
        type=_positive,
        default=900.0,
        help="seconds to wait for provisioned concurrency (default 900)",
    )


def approving(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--yes",
        "--auto-approve",
        dest="yes",
        action="store_true",
        help="apply without asking; off a terminal it never asks",
    )


def adopting(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--adopt",
        action="store_true",
        help="take over declared resources that exist without our tags: tag them and change "
        "them in place (never another suffix's, never a CloudFormation stack's)",
    )


def rolling(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        choices=("status", "abort"),
        help="status: versions, weights, time left and alarm states of each alias; abort: "
        "roll back every rollout in progress (as an alarm would)",
    )


def retrying(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--retry",
        action="store_true",
        help="release again a version whose rollout was rolled back (by default it is held "
        "until the desired state changes)",
    )


def destroying(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--yes",
        "--auto-approve",
        dest="yes",
        action="store_true",
        help="delete without typing the suffix (needed off a terminal)",
    )
    p.add_argument("--dry-run", action="store_true", help="list only, delete nothing")
    p.add_argument(
        "--include-adopted",
        action="store_true",
        help="also delete what was taken over with --adopt (listed apart in the plan); "
        "without it, adopted resources are released; a protected one never is deleted",
    )


def releasing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="a resource's full name, as the plan shows it: our tags are removed, "
        "nothing is deleted, and no later run changes it",
    )
    p.add_argument("--dry-run", action="store_true", help="list only, change nothing")


def saving(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="also write the plan to FILE for review; `--plan FILE` then applies exactly it "
        "(docs/saved-plans.md)",
    )


def reviewed(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--plan",
        dest="plan_file",
        type=Path,
        metavar="FILE",
        help="apply exactly the plan saved in FILE, after checking that nothing it was made "
        "from changed (docs/saved-plans.md)",
    )
    p.add_argument(
        "--max-age",
        type=_positive,
        default=24.0,
        metavar="HOURS",
        help="refuse a saved plan older than this (default 24)",
    )


def costing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--days",
        type=_positive_int,
        default=30,
        help="the period priced, ending now (default 30, at most 455: CloudWatch's retention)",
    )
    p.add_argument(
        "--output",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or one JSON document for scripts",
    )


def initing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "folder",
        type=Path,
        metavar="DIR",
        help="a new (or empty) folder: the stacks' TOML files and their code are written there",
    )
    p.add_argument(
        "--example",
        default="all",
        metavar="NAME",
        help="transactions, etl, or all (default)",
    )


def watching(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--interval",
        type=_positive,
        default=300.0,
        help="seconds between cycles, with 10%% jitter (default 300)",
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="one cycle, exit code as apply (for external schedulers)",
    )
    p.add_argument(
        "--metrics-port",
        type=_positive_int,
        default=None,
        help="serve /metrics (Prometheus) and /healthz on this port",
    )
    p.add_argument(
        "--unhealthy-after",
        type=_positive_int,
        default=3,
        help="/healthz answers 503 after this many failed cycles in a row (default 3)",
    )
    p.add_argument(
        "--stale-after",
        type=_positive,
        default=None,
        help="/healthz answers 503 when no cycle finished for this long "
        "(default 2 x interval + 1800 s)",
    )
