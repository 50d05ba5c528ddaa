"""The smoke file an alias declares: read from beside the function's code, refused in one line
when it cannot be used, never packaged into the zip."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from reconciler.adapters.lambda_.smoke import contains
from reconciler.desired.load import load_stack
from reconciler.desired.packaging import package
from reconciler.errors import InputError
from tests.fixtures import small_stack

GOOD = {"event": {"id": "smoke-1"}, "expect": {"status": "ok"}}


def _stack(tmp_path: Path, setting: str, content: str | None) -> Path:
    path = small_stack.write(
        tmp_path, small_stack.TOML.replace('name = "live"', f'name = "live"\n{setting}', 1)
    )
    if content is not None:
        (tmp_path / "worker" / "live.smoke.json").write_text(content)
    return path


def test_the_smoke_file_is_loaded_onto_the_alias(tmp_path: Path) -> None:
    spec = load_stack(_stack(tmp_path, 'smoke = "live.smoke.json"', json.dumps(GOOD)))
    [worker] = spec.functions
    assert worker.alias is not None and worker.alias.smoke is not None
    assert worker.alias.smoke.file == "live.smoke.json"
    assert json.loads(worker.alias.smoke.event) == {"id": "smoke-1"}
    assert json.loads(worker.alias.smoke.expect or "null") == {"status": "ok"}


BAD = [
    ('smoke = "smoke.txt"', None, "alias.smoke: 'smoke.txt' must be a file name ending .smoke"),
    ('smoke = "../x.smoke.json"', None, "must be a file name ending .smoke.json"),
    ('smoke = "live.smoke.json"', None, "live.smoke.json does not exist"),
    ('smoke = "live.smoke.json"', "{not json", "live.smoke.json is not readable JSON"),
    ('smoke = "live.smoke.json"', '{"expect": 1}', 'must be an object with "event"'),
    ('smoke = "live.smoke.json"', '{"event": 1, "extra": 2}', 'must be an object with "event"'),
    ("smoke = 5", None, "alias.smoke: expected a string, got 5"),
]  # fmt: skip


@pytest.mark.parametrize(("setting", "content", "message"), BAD, ids=[b[2][:40] for b in BAD])
def test_a_smoke_file_that_cannot_be_used_is_refused_in_one_line(
    tmp_path: Path, setting: str, content: str | None, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_stack(_stack(tmp_path, setting, content))
    text = str(caught.value)
    assert message in text and "\n" not in text


def test_the_smoke_file_stays_out_of_the_functions_zip(tmp_path: Path) -> None:
    (tmp_path / "index.js").write_text("exports.handler = async () => 1;")
    (tmp_path / "live.smoke.json").write_text(json.dumps(GOOD))
    with zipfile.ZipFile(BytesIO(package(tmp_path).zip_bytes)) as archive:
        assert archive.namelist() == ["index.js"]


@pytest.mark.parametrize(
    ("answer", "expected", "passes"),
    [
        ({"status": "recorded", "id": "t1"}, {"id": "t1"}, True),
        ({"status": "duplicate", "id": "t1"}, {"id": "t1"}, True),
        ({"status": "recorded"}, {"id": "t1"}, False),
        ({"id": "t2"}, {"id": "t1"}, False),
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}}, True),
        ("ok", "ok", True),
        ([1, 2], [1, 2], True),
        ("ok", {"id": "t1"}, False),
    ],
)
def test_an_answer_passes_when_it_contains_what_is_expected(
    answer: object, expected: object, passes: bool
) -> None:
    assert contains(answer, expected) is passes
