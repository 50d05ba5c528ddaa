"""CLI: parse, run the pipeline, render, and map the outcome to the documented exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from reconciler.pipeline import Options, Outcome, Prepared

from reconciler.output.exits import EXIT_FAILED, EXIT_OK, exit_code

COMMANDS = ("apply", "plan", "destroy", "watch", "unlock", "policy")


class UsageError(Exception):
    """A bad command line (exit 1: exit 2 means drift, never a typo)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="reconcile",
        description="Keep AWS Lambda systems in the shape their owners declared.",
        epilog="exit codes: 0 in sync, 1 failed or bad input, 2 drift found (plan), "
        "3 apply left work undone",
    )
    p.add_argument("command", nargs="?", default="apply", choices=COMMANDS,
                   help="apply (default): show and fix drift; plan: show drift only; "
                   "destroy: remove everything this suffix owns; "
                   "watch: apply every --interval seconds, for months; "
                   "unlock: remove a crashed run's lease on the suffix; "
                   "policy: print the IAM policy the reconciler needs (no AWS call)")  # fmt: skip
    p.add_argument("--suffix", default=os.environ.get("RECONCILE_SUFFIX") or None,
                   help="environment suffix, e.g. pr42 (default $RECONCILE_SUFFIX; policy: "
                   "optional, default any suffix)")  # fmt: skip
    p.add_argument("--stack", default="all", help="transactions, etl or all (default)")
    p.add_argument("--env", choices=("dev", "prod"), default="dev",
                   help="environment whose values apply (default dev)")  # fmt: skip
    p.add_argument("--region", help="AWS region (default: the stack's, us-east-1)")
    p.add_argument("--output", choices=("text", "json"), default="text")
    p.add_argument(
        "--account",
        action="append",
        type=_account_id,
        default=[],
        metavar="ID",
        help="refuse to run unless AWS says we are in this account (repeatable)",
    )
    p.add_argument("--yes", action="store_true", help="destroy without typing the suffix")
    p.add_argument("--dry-run", action="store_true", help="destroy: list only, delete nothing")
    p.add_argument("--allow-replace", action="store_true",
                   help="allow delete-then-create where AWS cannot update in place")  # fmt: skip
    p.add_argument("--desired-dir", type=Path, default=None,
                   help="folder of <stack>.toml files (default $RECONCILE_DESIRED_DIR, else "
                   "./desired_state)")  # fmt: skip
    p.add_argument("--pc-timeout", type=_positive, default=900.0,
                   help="seconds to wait for provisioned concurrency (default 900)")  # fmt: skip
    p.add_argument("--lock-wait", type=_non_negative, default=30.0,
                   help="seconds to wait for another run of this suffix (default 30)")  # fmt: skip
    p.add_argument("--max-workers", type=_positive_int, default=32,
                   help="parallel AWS calls (default 32)")  # fmt: skip
    p.add_argument("--rate-limit", action="append", type=_rate, default=[],
                   metavar="SERVICE[:Operation]=N",
                   help="calls per second for an AWS API (0: unpaced); default AWS's "
                   "published quotas, e.g. lambda=15 (repeatable)")  # fmt: skip
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    w = p.add_argument_group("watch")
    w.add_argument(
        "--interval",
        type=_positive,
        default=300.0,
        help="seconds between cycles, with 10%% jitter (default 300)",
    )
    w.add_argument(
        "--once",
        action="store_true",
        help="one cycle, exit code as apply (for external schedulers)",
    )
    w.add_argument(
        "--metrics-port",
        type=_positive_int,
        default=None,
        help="serve /metrics (Prometheus) and /healthz on this port",
    )
    w.add_argument(
        "--unhealthy-after",
        type=_positive_int,
        default=3,
        help="/healthz answers 503 after this many failed cycles in a row (default 3)",
    )
    w.add_argument("--stale-after", type=_positive, default=None,
                   help="/healthz answers 503 when no cycle finished for this long "
                   "(default 2 x interval + 1800 s)")  # fmt: skip
    return p


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def _account_id(text: str) -> str:
    if len(text) != 12 or not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a 12-digit AWS account id")
    return text


def _rate(text: str) -> tuple[str, float]:
    key, sep, value = text.partition("=")
    service, _, operation = key.partition(":")
    if (
        not sep
        or not service.isalpha()
        or not service.islower()
        or (operation and not operation.isalnum())
    ):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SERVICE=N or SERVICE:Operation=N (e.g. lambda=15)"
        )
    return key, _non_negative(value)


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number above 0")
    return int(text)


def default_desired_dir() -> Path:
    configured = os.environ.get("RECONCILE_DESIRED_DIR")
    if configured:
        return Path(configured)
    here = Path.cwd() / "desired_state"
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "desired_state"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        if args.suffix is None and args.command != "policy":
            raise UsageError("--suffix is required (or set RECONCILE_SUFFIX)")
    except UsageError as exc:
        print(f"error: {exc} (see reconcile --help)", file=sys.stderr)
        return EXIT_FAILED
    from reconciler.output import log as logs

    logs.configure(args.log_level)
    return _guarded(args)


def _guarded(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from reconciler.errors import ReconcileError
    from reconciler.output.log import REDACT

    try:
        return _run(args)
    except ReconcileError as exc:
        print(f"error: {REDACT.text(str(exc))}", file=sys.stderr)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        message = REDACT.text(str(error.get("Message")))
        print(f"error: AWS {exc.operation_name} failed: {error.get('Code')}: {message}",
              file=sys.stderr)  # fmt: skip
    except BotoCoreError as exc:
        print(f"error: {REDACT.text(str(exc))}", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
    return EXIT_FAILED


def _options(args: argparse.Namespace) -> Options:
    from reconciler.pipeline import Options

    stacks = tuple(s.strip() for s in args.stack.split(",") if s.strip())
    return Options(
        command=args.command,
        suffix=args.suffix,
        stacks=stacks or ("all",),
        desired_dir=args.desired_dir or default_desired_dir(),
        region=args.region,
        env=args.env,
        accounts=tuple(args.account),
        lock_wait_s=args.lock_wait,
        allow_replace=args.allow_replace,
        pc_timeout_s=args.pc_timeout,
        max_workers=args.max_workers,
        rate_limits=tuple(args.rate_limit),
    )


def _run(args: argparse.Namespace) -> int:
    import structlog

    from reconciler import pipeline

    if args.command == "policy":
        return _policy(args)
    log = structlog.get_logger()
    options = _options(args)
    structlog.contextvars.bind_contextvars(suffix=options.suffix, command=options.command)
    log.info("reconcile.started", command=options.command, suffix=options.suffix)
    if options.command == "unlock":
        return _unlock(options)
    if options.command == "watch":
        return _watch(args, options)
    prepared = pipeline.prepare(options)
    _show_plan(args, prepared)
    if options.command == "plan" or (options.command == "destroy" and args.dry_run):
        outcome = pipeline.plan_only(prepared)
        return _finish(args, outcome)
    if options.command == "destroy" and not prepared.plan.empty and not args.yes:
        _confirm(options.suffix)
    return _finish(args, pipeline.execute(prepared))


def _watch(args: argparse.Namespace, options: Options) -> int:
    from dataclasses import replace

    from reconciler.watch import loop as watch

    schedule = watch.Schedule(
        interval_s=args.interval, once=args.once, metrics_port=args.metrics_port,
        unhealthy_after=args.unhealthy_after, stale_after_s=args.stale_after,
    )  # fmt: skip
    return watch.run(replace(options, command="apply"), schedule)


def _policy(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from reconciler import pipeline
    from reconciler.errors import InputError
    from reconciler.output import reconciler_policy as permissions

    if len(args.account) > 1:
        raise InputError("policy takes at most one --account: the account it is written for")
    options = replace(_options(args), suffix=args.suffix or "*")
    specs = pipeline.load(options) if args.suffix else pipeline.load_specs(options)
    region = pipeline.known_region(args.region) if args.region else "*"
    scope = permissions.PolicyScope(options.suffix, next(iter(args.account), "*"), region)
    print(permissions.rendered(specs, scope), end="")
    return EXIT_OK


def _unlock(options: Options) -> int:
    from reconciler import pipeline
    from reconciler.apply import lock

    ctx = pipeline.connect(options)
    holder = lock.force_unlock(ctx.client("dynamodb"), options.suffix)
    if holder is None:
        print(f"Suffix {options.suffix!r} was not locked.")
    else:
        print(f"Removed the lease of {holder.describe()}.")
    return EXIT_OK


def _show_plan(args: argparse.Namespace, prepared: Prepared) -> None:
    if args.output != "text":
        return
    from reconciler.output import report

    target = prepared.ctx.target
    header = (f"{prepared.options.command} for suffix {target.suffix!r} in account "
              f"{target.account_id}, {target.region}")  # fmt: skip
    print(report.plan_text(prepared.plan, header), flush=True)


def _confirm(suffix: str) -> None:
    from reconciler.errors import InputError

    print(f"Type the suffix ({suffix}) to delete everything listed above: ", end="", flush=True)
    answer = sys.stdin.readline().strip()
    if answer != suffix:
        raise InputError("confirmation did not match the suffix; nothing was deleted")


def _finish(args: argparse.Namespace, outcome: Outcome) -> int:
    import structlog

    code = exit_code(outcome)
    if args.output == "json":
        print(_json(outcome, code))
    else:
        print(_closing_text(outcome))
    structlog.get_logger().info(
        "reconcile.finished", exit_code=code, reads=outcome.calls.reads,
        writes=outcome.calls.writes, duration_s=outcome.duration_s,
    )  # fmt: skip
    return code


def _closing_text(outcome: Outcome) -> str:
    from reconciler.output import report

    lines = []
    if outcome.prepared.replanned:
        lines.append(report.plan_text(outcome.prepared.plan, "The state changed while taking "
                                      "the lease; this plan was applied instead:"))  # fmt: skip
    if outcome.result is not None:
        for failure in outcome.result.failed:
            lines.append(f"failed: {failure.action.id}: {failure.reason}")
        if outcome.result.not_attempted:
            lines.append(f"not attempted: {len(outcome.result.not_attempted)} actions")
        lines.append(f"Applied {len(outcome.result.applied)} actions.")
    if outcome.remaining is not None and not outcome.remaining.empty:
        lines.append(report.plan_text(outcome.remaining, "Still differs after apply:"))
    elif outcome.remaining is not None:
        lines.append(_done_line(outcome))
    lines.append(f"{report.calls_line(outcome.calls)} in {outcome.duration_s:.1f} s.")
    return "\n".join(lines)


def _done_line(outcome: Outcome) -> str:
    options = outcome.prepared.options
    if options.command != "destroy":
        return "In sync."
    if outcome.result is None:
        return f"Nothing owned by suffix {options.suffix!r} was found: nothing to delete."
    return "Destroyed."


def _json(outcome: Outcome, code: int) -> str:
    from reconciler.output import report

    prepared = outcome.prepared
    result = outcome.result
    return report.document(
        command=prepared.options.command,
        suffix=prepared.options.suffix,
        env=prepared.options.env,
        stacks=sorted({r.stack for r in prepared.resources}),
        account=prepared.ctx.target.account_id,
        region=prepared.ctx.target.region,
        plan=report.plan_json(prepared.plan),
        applied=len(result.applied) if result else 0,
        failed=[{"resource": str(f.action.id), "reason": f.reason} for f in result.failed]
        if result else [],
        remaining=report.plan_json(outcome.remaining) if outcome.remaining else None,
        api_calls=report.calls_json(outcome.calls),
        duration_s=outcome.duration_s,
        warnings=list(prepared.warnings),
        exit_code=code,
    )  # fmt: skip
