"""Saved plans, pure: the file refuses edits and other versions, names what differs, and keeps
secrets out of every fingerprint."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from reconciler.errors import InputError
from reconciler.expand.resources import Live, Resource, ResourceId
from reconciler.output import plan_file
from reconciler.planning.plan import plan_apply

WHERE = plan_file.Where("apply", "pr1", "dev", ("etl",), "111111111111", "us-east-1")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
FUNCTION = Resource(
    ResourceId("lambda.function", "f-pr1"),
    {"memory_mb": 512, "environment": {"TOKEN": "s3cr3t-value", "MODE": "fast"}},
    sensitive=frozenset({"environment.TOKEN"}),
)


def _saved(**desired: str) -> str:
    live = {
        FUNCTION.id: Live(
            {"memory_mb": 256, "environment": {"TOKEN": "prev-s3cr3t", "MODE": "fast"}}
        )
    }
    plan = plan_apply([FUNCTION], live, "pr1")
    parts = desired or {"stack file etl.toml": "sha256:" + "0" * 64}
    document = plan_file.document(WHERE, plan, live, parts, now=NOW, extra={})
    return json.dumps(document)


def test_a_saved_plan_reads_back_whole() -> None:
    saved = plan_file.parse(_saved(), "p.json")
    assert saved.where == WHERE and saved.ids == {FUNCTION.id}
    assert saved.data["unverifiable"] == ["lambda.function f-pr1: environment.TOKEN"]
    assert "s3cr3t-value" not in _saved() and "prev-s3cr3t" not in _saved()


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda d: d.update(memory="1"), "changed after it was written"),
        (lambda d: d.update(kind="something"), "not a lambda-reconciler plan"),
    ],
)
def test_an_edited_or_foreign_file_is_refused(edit: object, says: str) -> None:
    data = json.loads(_saved())
    edit(data)  # type: ignore[operator]
    with pytest.raises(InputError, match=says):
        plan_file.parse(json.dumps(data), "p.json")


def test_another_version_is_named() -> None:
    data = json.loads(_saved())
    data["plan_version"] = 2
    body = {k: v for k, v in data.items() if k != "digest"}
    data["digest"] = plan_file.fingerprint(body)
    with pytest.raises(InputError, match="plan version 2, this reconcile reads version 1"):
        plan_file.parse(json.dumps(data), "p.json")
    with pytest.raises(InputError, match="not a whole plan"):
        plan_file.parse(_saved()[:40], "p.json")


def test_where_age_and_desired_state_are_checked_and_named() -> None:
    saved = plan_file.parse(_saved(), "p.json")
    other = plan_file.Where("apply", "pr2", "dev", ("etl",), "111111111111", "us-east-1")
    with pytest.raises(InputError, match="made for suffix pr1, not pr2"):
        plan_file.check_where(saved, other, "p.json")
    with pytest.raises(InputError, match=re.escape("made 25.0 h ago, older than --max-age 24 h")):
        plan_file.check_age(saved, NOW + dt.timedelta(hours=25), dt.timedelta(hours=24), "p.json")
    plan_file.check_age(saved, NOW + dt.timedelta(hours=23), dt.timedelta(hours=24), "p.json")
    changed = {"stack file etl.toml": "sha256:" + "1" * 64}
    with pytest.raises(InputError, match=re.escape("changed since the plan: stack file etl.toml")):
        plan_file.check_desired(saved, changed, "p.json")


def test_live_fingerprints_leave_secrets_out() -> None:
    one = Live({"memory_mb": 256, "environment": {"TOKEN": "a", "MODE": "fast"}})
    two = Live({"memory_mb": 256, "environment": {"TOKEN": "b", "MODE": "fast"}})
    three = Live({"memory_mb": 256, "environment": {"TOKEN": "a", "MODE": "slow"}})
    same = plan_file.live_fingerprint(FUNCTION, one)
    assert same == plan_file.live_fingerprint(FUNCTION, two)  # only a secret differs
    assert same != plan_file.live_fingerprint(FUNCTION, three)
    assert plan_file.live_fingerprint(FUNCTION, None) is None
