"""Reviewed plans: `plan --out FILE` writes one; `apply --plan FILE` applies exactly it.

Before any write the applying run checks, in this order: the file is a whole, unedited plan of
this version; it is younger than --max-age; it was made for this account, region, suffix,
stacks, environment and command; the desired state and code are the ones it was made from;
and every resource it touches reads as it did (AWS read again). Any mismatch is one line
naming what changed, exit 1, nothing written. Then only its actions are applied; drift
elsewhere is left for the next plan.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace
from pathlib import Path

import structlog

from reconciler import __version__, pipeline
from reconciler.errors import InputError
from reconciler.model import Options, Prepared
from reconciler.output import plan_file
from reconciler.output.cost import cost_json, prepared_cost

log = structlog.get_logger()
DEFAULT_MAX_AGE = dt.timedelta(hours=24)


def where(prepared: Prepared) -> plan_file.Where:
    options, target = prepared.options, prepared.ctx.target
    return plan_file.Where(
        # What the plan does once applied, whichever command showed it.
        "destroy" if options.goal.removes else "apply",
        options.suffix,
        options.env or "",
        tuple(options.stacks),
        target.account_id,
        target.region,
    )


def check_writable(path: Path) -> None:
    """Refuse an --out that cannot be written before the plan's reads, not after them."""
    folder = path.parent
    if path.is_dir():
        raise InputError(f"--out {path}: is a folder, not a file")
    if not folder.is_dir():
        raise InputError(f"--out {path}: no folder {folder}")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"--out {path}: not writable")


def write(prepared: Prepared, path: Path, now: dt.datetime | None = None) -> None:
    """The plan, saved for review (no secret value, nor a hash of one, is in it)."""
    document = plan_file.document(
        where(prepared),
        prepared.plan,
        prepared.live,
        prepared.desired,
        now=now or dt.datetime.now(dt.UTC),
        extra={
            "tool_version": __version__,
            # A plan that takes resources over needs --adopt to be made again when applied.
            "adopt": prepared.options.adopt,
            "cost": cost_json(prepared_cost(prepared)),
        },
    )
    try:
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--out {path}: {exc.strerror or exc}") from exc


def read(path: Path) -> plan_file.SavedPlan:
    """The plan file, whole and unedited, or a one-line refusal (no AWS call)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"plan file {path}: {exc.strerror or exc}") from exc
    return plan_file.parse(text, path.name)


def prepare(
    options: Options,
    saved: plan_file.SavedPlan,
    name: str,
    max_age: dt.timedelta = DEFAULT_MAX_AGE,
    now: dt.datetime | None = None,
) -> Prepared:
    """The saved plan, checked against now (reads only), ready to execute as approved."""
    plan_file.check_age(saved, now or dt.datetime.now(dt.UTC), max_age, name)
    prepared = pipeline.prepare(options)
    plan_file.check_where(saved, where(prepared), name)
    plan_file.check_desired(saved, prepared.desired, name)
    plan_file.check_pending(saved, prepared.plan, name)
    plan_file.check_live(saved, prepared.plan, prepared.resources, prepared.live, name)
    for change in saved.data["unverifiable"]:
        # No trace of a secret is saved: whether it is still the reviewed one cannot be told.
        log.warning("plan.unverifiable", change=change, detail="a secret, read when applying")
    only = saved.ids
    return replace(prepared, plan=pipeline.restricted(prepared.plan, only), only=only)
