"""The README is the entry and stays true: the two commands first, every module in its table,
every link alive, short enough to read in five minutes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.desired.fields import SECTIONS
from reconciler.desired.schema import Field

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")


def test_the_readme_opens_with_the_two_commands() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.splitlines()] == ["make demo", "make test"]


def test_the_readme_stays_short() -> None:
    assert len(README.encode()) < 15_000


def _modules() -> list[Path]:
    package = ROOT / "reconciler"
    return [
        p.relative_to(package)
        for p in package.rglob("*.py")
        if p.name != "__init__.py" and p.parts[len(package.parts)] != "sandbox"
    ]


@pytest.mark.parametrize("module", _modules(), ids=str)
def test_every_module_is_in_the_readme(module: Path) -> None:
    if len(module.parts) == 1:
        assert f"`{module.name}`" in README
        return
    row = next(line for line in README.splitlines() if line.startswith(f"| `{module.parts[0]}/`"))
    assert f"`{module.stem}`" in row, f"{module} is missing from the README's module table"


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(page: Path) -> None:
    for target in LINK.findall(page.read_text()):
        if "://" not in target:
            assert (page.parent / target).exists(), f"{page.name}: {target}"


def _documented_sections() -> dict[str, list[list[str]]]:
    """Each `## `[table]`` of the reference, with the cells of its key table."""
    sections: dict[str, list[list[str]]] = {}
    current = None
    for line in (ROOT / "docs" / "desired-state.md").read_text().splitlines():
        heading = re.match(r"^##+ `(.+)`$", line)
        if heading:
            current = heading.group(1)
            sections.setdefault(current, [])
        elif current and line.startswith("| `"):
            sections[current].append([cell.strip() for cell in line.strip("|").split(" | ")])
    return sections


def _default(field: Field) -> str:
    if field.required:
        return "required"
    return "none" if field.default is None else repr(field.default).replace("'", '"')


@pytest.mark.parametrize("heading", list(SECTIONS))
def test_every_key_of_the_format_is_documented_as_the_loader_reads_it(heading: str) -> None:
    rows = {row[0].strip("`"): row for row in _documented_sections().get(heading, [])}
    fields = SECTIONS[heading]
    assert sorted(rows) == sorted(fields), f"docs/desired-state.md {heading}: keys differ"
    for key, field in fields.items():
        _, kind, default, allowed, sets = rows[key]
        assert (kind, default) == (field.type_name, _default(field)), f"{heading} {key}"
        assert allowed == (field.allows or "—"), f"{heading} {key}: allowed values"
        assert sets, f"{heading} {key}: say what it sets"
