"""`reconcile init`: the shipped stacks written into a new folder that plans on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.desired import stacks
from reconciler.desired.compat import checked_packages
from reconciler.desired.load import load_stack

SHIPPED = Path(__file__).parents[2] / "desired_state"


def test_init_writes_both_stacks_and_the_code_they_deploy(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    assert main(["init", str(folder)]) == 0
    specs = stacks.load_specs(folder, ("all",), "dev")
    assert [s.name for s in specs] == ["etl", "transactions"]
    for spec in specs:
        shipped = load_stack(SHIPPED / spec.path.name)
        # Every function's and layer's code is inside the folder, and deploys the same code.
        assert all(f.source.is_relative_to(folder) for f in spec.functions)
        assert all(layer.source.is_relative_to(folder) for layer in spec.layers)
        ours, theirs = checked_packages(spec), checked_packages(shipped)
        assert {k: p.sha256 for k, p in ours.items()} == {k: p.sha256 for k, p in theirs.items()}
    # The code's own tests stay behind.
    assert not list(folder.rglob("test")) and not list(folder.rglob("*.test.mjs"))


def test_one_example_alone(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "one"), "--example", "transactions"]) == 0
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["handlers", "transactions.toml"]


@pytest.mark.parametrize(
    ("setup", "argv", "says"),
    [
        ("file", ["init", "{dir}"], "exists and is not empty; init writes only into a new folder"),
        (None, ["init", "{dir}", "--example", "etll"], "no such example; did you mean 'etl'?"),
        (None, ["init"], "the following arguments are required: DIR"),
    ],
)
def test_init_refuses_an_occupied_folder_and_an_unknown_example(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    setup: str | None,
    argv: list[str],
    says: str,
) -> None:
    folder = tmp_path / "taken"
    if setup == "file":
        folder.mkdir()
        (folder / "notes.txt").write_text("mine")
    assert main([a.replace("{dir}", str(folder)) for a in argv]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and says in line
    if setup == "file":
        assert [p.name for p in folder.iterdir()] == ["notes.txt"]
