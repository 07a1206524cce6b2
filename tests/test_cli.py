"""``forecast check-data`` output formats on the real Iraq 2010 spec (no sampling)."""

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from forecast.cli import app

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "models" / "iraq_2010.toml"
runner = CliRunner()


def check_data(*args: str) -> str:
    result = runner.invoke(app, ["check-data", str(SPEC), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_csv_has_one_row_per_election_and_nothing_else():
    rows = list(csv.DictReader(io.StringIO(check_data("--format", "csv"))))
    assert [r["role"] for r in rows].count("target") == 1
    assert {"election", "votes_known", "vote_cells_gap", "seats"} <= set(rows[0])
    assert all(int(r["provinces"]) == 18 for r in rows)


def test_json_matches_the_csv():
    payload = json.loads(check_data("--format", "json"))
    rows = list(csv.DictReader(io.StringIO(check_data("--format", "csv"))))
    assert [e["election"] for e in payload["elections"]] == [r["election"] for r in rows]
    assert [e["votes_known"] for e in payload["elections"]] == [int(r["votes_known"]) for r in rows]


def test_an_unknown_format_is_refused():
    result = runner.invoke(app, ["check-data", str(SPEC), "--format", "xml"])
    assert result.exit_code == 2
