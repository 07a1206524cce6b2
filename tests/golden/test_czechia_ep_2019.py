"""Golden: Czech Republic, European Parliament 24-25 May 2019, official seats from official votes.

The law (Act 62/2003 Coll.): 21 members in one national district; a list needs 5% of the valid
votes; D'Hondt among the lists over it. The spec is tests/golden/specs/czechia_ep_2019.toml,
run through ``forecast seats``.

The data. The votes of all 39 lists and the official seats are
data/czechia/2019_european/national.csv, converted from votelib's ``test_cz_ep_2019``
(simberaj/votelib, tests/real/test_real_proportional.py at commit 94af16c; VOTELIB_TEST), which
holds the Czech Statistical Office's figures (VOLBY_EP2019) inline and asserts the seats; they
equal the seats published by AC24_EP19 and ORLOVA_EP19: ANO 6, ODS 4, Pirati 3, STAN+TOP 09 3,
SPD 2, KDU-CSL 2, KSCM 1. Every list is checked, the 32 without a seat included.
"""

from __future__ import annotations

import csv
import decimal
from pathlib import Path

import votelib.evaluate.core as vcore
import votelib.evaluate.proportional as vprop
import votelib.evaluate.threshold as vthreshold
from typer.testing import CliRunner

from forecast.cli import app
from forecast.seats.command import seats_command

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "golden" / "specs" / "czechia_ep_2019.toml"
DATA = ROOT / "data" / "czechia" / "2019_european"


def rows(path: Path) -> list[dict[str, str]]:
    """A data table's rows, without the row of totals (the golden tests of other laws too)."""
    with path.open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["party"] != "total"]


def national_votes_file(folder: Path, tmp_path: Path) -> Path:
    """An election's ``national.csv`` votes as the ``forecast seats`` votes CSV.

    One national district, ``national``, as in the election's magnitude.csv.
    """
    path = tmp_path / "votes.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["province", "party", "votes"])
        w.writerows(("national", r["party"], r["votes"]) for r in rows(folder / "national.csv"))
    return path


def national() -> list[dict[str, str]]:
    """The 39 lists' official votes and seats."""
    return rows(DATA / "national.csv")


def votes_file(tmp_path: Path) -> Path:
    return national_votes_file(DATA, tmp_path)


def test_every_official_seat_reproduced(tmp_path):
    out = tmp_path / "seats.csv"
    ds = seats_command(SPEC, votes_file(tmp_path), out)
    got = dict(zip(ds["party"].values.tolist(), ds["seats"].values[0].tolist(), strict=True))
    official = {r["party"]: int(r["seats"]) for r in national()}
    assert len(official) == 39
    assert got == official
    with out.open(encoding="utf-8") as f:
        written = {r["party"]: int(r["seats"]) for r in csv.DictReader(f)}
    assert written == {p: n for p, n in official.items() if n}


def test_the_cli_prints_the_same_seats(tmp_path):
    result = CliRunner().invoke(app, ["seats", str(SPEC), "--votes", str(votes_file(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "Seats (21 in all, majority 11)" in result.output
    ano = next(line for line in result.output.splitlines() if "│ ano " in line)
    assert ano.split("│")[-2].strip() == "6"


def test_votelib_gives_the_same_seats():
    """votelib's own components on the same votes (the independent oracle)."""
    evaluator = vcore.FixedSeatCount(
        vcore.Conditioned(
            vthreshold.RelativeThreshold(decimal.Decimal("0.05"), accept_equal=True),
            vprop.HighestAverages("d_hondt"),
        ),
        21,
    )
    rows = national()
    got = evaluator.evaluate({r["party"]: int(r["votes"]) for r in rows})
    assert got == {r["party"]: int(r["seats"]) for r in rows if int(r["seats"])}
