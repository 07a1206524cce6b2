"""docs/new_country.md, followed: its tables are the shipped ones and its spec and commands work.

The tutorial's fenced blocks carry their file in the info string: ``file=PATH`` is written (TOML
blocks of one path are joined in page order; a CSV block must be the whole shipped file),
``excerpt=PATH`` must be lines of the shipped file. The test copies ``data/belgium`` into an empty
project, writes the blocks, then runs what steps 4 and 6 run: ``forecast seats`` on the 2014
law, whose seats must be the official ones, and ``forecast check-data`` on the spec.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.data.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "new_country.md"
BLOCK = re.compile(r"^```(\w+) (file|excerpt)=(\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
runner = CliRunner()


def blocks(kind: str) -> list[tuple[str, str, str]]:
    """(language, path, text) of every block of ``kind`` (file or excerpt), in page order."""
    text = TUTORIAL.read_text(encoding="utf-8")
    return [(m[1], m[3], m[4]) for m in BLOCK.finditer(text) if m[2] == kind]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """An empty project with data/belgium copied in and the tutorial's files written."""
    root = tmp_path_factory.mktemp("tutorial")
    shutil.copytree(ROOT / "data" / "belgium", root / "data" / "belgium")
    written: dict[str, str] = {}
    for lang, rel, text in blocks("file"):
        if lang == "toml":
            written[rel] = written.get(rel, "") + ("\n" if rel in written else "") + text
        else:
            written[rel] = text
    for rel, text in written.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_page_has_its_blocks():
    files = {rel for _, rel, _ in blocks("file")}
    assert {"drafts/belgium_2014_law.toml", "drafts/belgium_2019.toml"} <= files
    assert len(blocks("excerpt")) >= 5


TABLES = [(rel, text) for lang, rel, text in blocks("file") + blocks("excerpt") if lang == "csv"]


@pytest.mark.parametrize(("rel", "text"), TABLES)
def test_every_table_shown_is_the_shipped_one(rel, text):
    shipped = (ROOT / rel).read_text(encoding="utf-8")
    if rel in {r for _, r, _ in blocks("file")}:
        assert text == shipped, f"{rel}: the page shows another table than the one shipped"
    else:
        lines = shipped.splitlines()
        for line in text.splitlines():
            assert line in lines, f"{rel} has no line {line!r}"


def test_the_law_reproduces_the_official_2014_seats(project):
    out = project / "seats_2014.csv"
    votes = project / "data/belgium/2014_federal/votes.csv"
    result = runner.invoke(
        app,
        [
            "seats",
            str(project / "drafts/belgium_2014_law.toml"),
            "--votes",
            str(votes),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output

    def rows(path: Path) -> set[tuple[str, str, int]]:
        with path.open(encoding="utf-8") as f:
            return {
                (r["province"], r["party"], int(r["seats"]))
                for r in csv.DictReader(f)
                if int(r["seats"])
            }

    assert rows(out) == rows(project / "data/belgium/2014_federal/seats.csv")


def test_check_data_passes_on_the_spec(project):
    spec_path = project / "drafts/belgium_2019.toml"
    result = runner.invoke(app, ["check-data", str(spec_path)])
    assert result.exit_code == 0, result.output
    assert "spec and data are valid" in result.output
    spec = load_spec(spec_path)
    assert [e.id for e in spec.evidence] == ["2010_federal", "2014_federal"]
    assert len(spec.party) == 14 and spec.law.house_size == 150
