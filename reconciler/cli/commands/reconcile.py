"""apply, plan, destroy and release of one suffix: the plan shown, approved where a person
must approve it, applied, and the outcome printed."""

from __future__ import annotations

import argparse
from datetime import timedelta

import structlog

from reconciler import pipeline, reviewed
from reconciler.adapters.lambda_.callers import CUT_OFF
from reconciler.cli.choices import chosen
from reconciler.cli.terminal import Terminal
from reconciler.errors import InputError
from reconciler.model import Options, Outcome, Prepared
from reconciler.output.document import outcome_document
from reconciler.output.exits import exit_code
from reconciler.output.markdown import prepared_markdown
from reconciler.output.plan_file import SavedPlan
from reconciler.output.text import closing_text, prepared_text

# What a saved plan says, and the flag that would say it otherwise.
PLAN_FLAGS = {"--suffix": "suffix", "--stack": "stacks", "--env": "env", "--region": "region"}


def run(args: argparse.Namespace, term: Terminal) -> int:
    saved = _saved_plan(args) if args.plan_file is not None else None
    if args.out is not None:
        reviewed.check_writable(args.out)
    if _asks(args, term, saved) and args.output == "json":
        raise InputError(
            "--output json on a terminal is for scripts: add --yes to apply without asking"
        )
    options = chosen(args)
    started(options)
    prepared = _prepared(args, options, saved)
    _show(args, term, prepared)
    if args.out is not None:
        reviewed.write(prepared, args.out)
        if args.output != "json":
            print(f"Saved the plan to {args.out}; `--plan {args.out}` applies exactly it.")
        return finish(args, pipeline.plan_only(prepared))
    if options.command.reports_drift or args.dry_run:
        return finish(args, pipeline.plan_only(prepared))
    if not prepared.plan.empty and saved is None and not args.yes:
        # A reviewed plan was approved already; otherwise a person approves this one.
        _approved(term, prepared)
    return finish(args, pipeline.execute(prepared))


def started(options: Options) -> None:
    structlog.contextvars.bind_contextvars(suffix=options.suffix, command=options.command.value)
    structlog.get_logger().info(
        "reconcile.started", command=options.command.value, suffix=options.suffix
    )


def _asks(args: argparse.Namespace, term: Terminal, saved: SavedPlan | None) -> bool:
    """An apply on a terminal asks before writing (never a plan, a saved plan or --yes)."""
    return args.command == "apply" and term.asks and saved is None and not args.yes


def _prepared(args: argparse.Namespace, options: Options, saved: SavedPlan | None) -> Prepared:
    if saved is None:
        return pipeline.prepare(options)
    age = timedelta(hours=args.max_age)
    return reviewed.prepare(options, saved, args.plan_file.name, age)


def _show(args: argparse.Namespace, term: Terminal, prepared: Prepared) -> None:
    if args.output == "text":
        term.show(prepared_text(prepared))
    elif args.output == "markdown":
        print(prepared_markdown(prepared), flush=True)


def _approved(term: Terminal, prepared: Prepared) -> None:
    """Apply asks on a terminal; destroy asks for the suffix, twice when callers would be cut
    off; off a terminal apply goes on and destroy needs --yes."""
    options = prepared.options
    if not options.goal.removes:
        if term.asks:
            term.approve(f"Apply {_changes(prepared)} to {where(prepared)}?")
        return
    if not options.goal.deletes:
        # Release deletes nothing: it hands back only what was named.
        return
    suffix = options.suffix
    needs_yes = f"destroy of suffix {suffix!r} off a terminal needs --yes; nothing was deleted"
    term.type_suffix(
        suffix, f"Type the suffix ({suffix}) to delete everything listed above:", needs_yes
    )
    cut = sum(1 for a in prepared.plan.actions for n in a.notes if n.endswith(CUT_OFF))
    if cut:
        warning = f"{cut} caller(s) listed above still invoke what this deletes."
        term.type_suffix(suffix, f"{warning} Type the suffix ({suffix}) again to cut them off:", "")


def _changes(prepared: Prepared) -> str:
    count = len(prepared.plan.actions)
    return f"{count} change" if count == 1 else f"{count} changes"


def where(prepared: Prepared) -> str:
    """`transactions pr42 (dev)`: the stacks, the suffix and the environment."""
    env = prepared.options.env or "no environment"
    return f"{','.join(prepared.stack_names)} {prepared.options.suffix} ({env})"


def _saved_plan(args: argparse.Namespace) -> SavedPlan:
    """The plan file, read before any AWS call; flags given beside it must agree with it."""
    if args.out is not None:
        raise InputError("--out and --plan: a saved plan is applied as it is, not saved again")
    saved = reviewed.read(args.plan_file)
    made = saved.where
    said = {
        "suffix": made.suffix,
        "stacks": ",".join(made.stacks),
        "env": made.env or None,
        "region": made.region,
    }
    for flag, key in PLAN_FLAGS.items():
        given = vars(args)[flag.lstrip("-")]
        if flag in args.given and given != said[key]:
            raise InputError(f"{flag} {given} disagrees with the plan file's {key} {said[key]}")
    # The account is checked once the credentials say where they act (reviewed.prepare).
    args.suffix, args.stack, args.env, args.region = (said[k] for k in PLAN_FLAGS.values())
    # Made with --adopt, it takes resources over: applied the same way.
    args.adopt = bool(saved.data.get("adopt"))
    return saved


def finish(args: argparse.Namespace, outcome: Outcome) -> int:
    code = exit_code(outcome)
    print(outcome_document(outcome, code) if args.output == "json" else closing_text(outcome))
    structlog.get_logger().info(
        "reconcile.finished",
        exit_code=code,
        reads=outcome.calls.reads,
        writes=outcome.calls.writes,
        duration_s=outcome.duration_s,
    )
    return code
