"""Golden: Czech Chamber of Deputies, 20-21 October 2017, official seats from official votes.

The law (Act 247/1995 Coll. as in force in 2017): 200 deputies in the 14 regions. The regions'
seats are set after the vote by their valid votes: the republic mandate number (national valid
votes / 200, rounded: 25,304) goes into each region's valid votes, and the seats left after
the whole parts go to the largest remainders. A list needs 5% of the national valid votes; in
each region the seats go by D'Hondt among the lists over it. The spec is
tests/golden/specs/czechia_2017.toml (``law.magnitude = {from = "votes", method = "hare_lr",
quota_rounding = "round"}``, ``national_threshold = 0.05``, ``dhondt``), run through
``forecast seats`` on data/czechia/2017_chamber/votes.csv.

The data. The votes of the 31 lists in the 14 regions are votelib's cz_psp_2017.csv (simberaj/
votelib, tests/real/data at commit 94af16c; VOTELIB_CZ_PSP_2017), the Czech Statistical
Office's results (VOLBY_PS2017); Psephos agrees on Jihocesky kraj (PSEPHOS17). votelib's
``test_cz_psp_2017`` (VOTELIB_TEST) asserts the national seats, equal to the official ones
(WIKINEWS17: ANO 78, ODS 25, Pirati 22, SPD 22, KSCM 15, CSSD 15, KDU-CSL 10, TOP 09 7, STAN
6), and the seats of Praha and Karlovarsky kraj list by list; those of Jihocesky kraj are
Psephos's. The seats of the 11 other regions and the regions' magnitudes in seats.csv and
magnitude.csv were computed with votelib's evaluator, not read from the official tables (their
gaps); the sum of the regions' seats is checked against the official national seats, and the
magnitudes against what votelib asserts and the sources print (Praha 24, Karlovarsky 5,
Jihocesky 13; the four largest regions 95, LIDOVKY25).
"""

from __future__ import annotations

import csv
import decimal
from pathlib import Path

import votelib.convert as vconvert
import votelib.evaluate.core as vcore
import votelib.evaluate.proportional as vprop
import votelib.evaluate.threshold as vthreshold

from forecast.seats.command import seats_command

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "golden" / "specs" / "czechia_2017.toml"
DATA = ROOT / "data" / "czechia" / "2017_chamber"


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def allocation(tmp_path: Path) -> tuple[dict[tuple[str, str], int], dict[str, int], Path]:
    """Seats by (region, list) and magnitudes from ``forecast seats``, and the CSV it wrote."""
    out = tmp_path / "seats.csv"
    ds = seats_command(SPEC, DATA / "votes.csv", out).isel(sample=0)
    district = ds["district_seats"]
    seats = {
        (str(p), str(q)): int(district.sel(province=p, party=q))
        for p in district["province"].values
        for q in district["party"].values
    }
    magnitude = dict(
        zip(ds["province"].values.tolist(), ds["magnitude"].values.tolist(), strict=True)
    )
    return seats, magnitude, out


def test_regions_seats_apportioned_from_their_valid_votes(tmp_path):
    _, magnitude, _ = allocation(tmp_path)
    assert magnitude == {r["province"]: int(r["seats"]) for r in read("magnitude.csv")}
    assert (magnitude["praha"], magnitude["karlovarsky"], magnitude["jihocesky"]) == (24, 5, 13)
    big_four = ("praha", "stredocesky", "jihomoravsky", "moravskoslezsky")
    assert sum(magnitude[p] for p in big_four) == 95  # LIDOVKY25


def test_every_official_seat_reproduced(tmp_path):
    seats, _, out = allocation(tmp_path)
    national = {r["party"]: int(r["seats"]) for r in read("national.csv") if r["party"] != "total"}
    assert len(national) == 31
    won = {q: sum(n for (_, party), n in seats.items() if party == q) for q in national}
    assert won == national
    by_region = {(r["province"], r["party"]): int(r["seats"]) for r in read("seats.csv")}
    for region in ("praha", "karlovarsky", "jihocesky"):  # read: votelib's test, Psephos
        for (p, q), n in by_region.items():
            if p == region:
                assert seats[p, q] == n, (p, q)
    assert {k: n for k, n in seats.items() if n} == {k: n for k, n in by_region.items() if n}
    with out.open(encoding="utf-8") as f:
        written = {(r["province"], r["party"]): int(r["seats"]) for r in csv.DictReader(f)}
    assert written == {k: n for k, n in by_region.items() if n}


def test_votelib_gives_the_same_seats_region_by_region(tmp_path):
    """votelib's own components on the same votes (the independent oracle)."""
    seats, _, _ = allocation(tmp_path)
    evaluator = vcore.ByConstituency(
        vprop.HighestAverages("d_hondt"),
        vprop.LargestRemainder("hare"),
        preselector=vthreshold.RelativeThreshold(decimal.Decimal("0.05"), accept_equal=True),
    )
    votes: dict[str, dict[str, int]] = {}
    for r in read("votes.csv"):
        votes.setdefault(r["province"], {})[r["party"]] = int(r["votes"])
    got = evaluator.evaluate(votes, 200)
    assert {(p, q): n for p, res in got.items() for q, n in res.items() if n} == {
        k: n for k, n in seats.items() if n
    }
    assert vconvert.VoteTotals().convert(got)["ano"] == 78
