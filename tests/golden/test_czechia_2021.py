"""Golden: Czech Chamber of Deputies, 8-9 October 2021, official seats from official votes.

The law (Act 247/1995 Coll. as amended in 2021) has a national second tier. The regions' seats
follow their valid votes (Hare largest remainder); a list needs 5% nationally (the coalitions'
8% and 11% bind no list here); in each region every list gets a seat per full Imperiali quota
(votes / (seats + 2); too many full quotas are taken back from the smallest remainders); the
seats left in all regions go nationally by Droop largest remainder on each list's unused votes
(its votes less its seats times the regional quota, summed over regions). The spec is
tests/golden/specs/czechia_2021.toml (``imperiali_lr`` with ``remainder = "second_tier"`` and
``law.second_tier = {pool = "unused_votes", method = "droop_lr"}``), run through
``forecast seats`` on data/czechia/2021_chamber/votes.csv.

The data. The votes of the 22 lists in the 14 regions are votelib's cz_psp_2021.csv
(simberaj/votelib, tests/real/data at commit 94af16c; VOTELIB_CZ_PSP_2021); votelib's
``test_cz_psp_2021`` (VOTELIB_TEST) asserts the national seats, ANO 72, SPOLU 71,
Pirati+STAN 37, SPD 20 (AKTUALITY21 prints ANO 72 and SPOLU 71), and Praha's, list by list.
The engine keeps the second tier's seats national (``compensatory_seats``); votelib also hands
them back to regions, and Praha got none of them there, so its first-tier seats are its
seats. The magnitudes are checked against those LIDOVKY25 prints for 2021.
"""

from __future__ import annotations

import csv
import decimal
from pathlib import Path

import votelib.convert as vconvert
import votelib.evaluate.core as vcore
import votelib.evaluate.proportional as vprop
import votelib.evaluate.threshold as vthreshold
from test_czechia_ep_2019 import rows

from forecast.seats.command import seats_command

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "golden" / "specs" / "czechia_2021.toml"
DATA = ROOT / "data" / "czechia" / "2021_chamber"


def read(name: str) -> list[dict[str, str]]:
    return rows(DATA / name)


def test_every_official_seat_reproduced(tmp_path):
    out = tmp_path / "seats.csv"
    ds = seats_command(SPEC, DATA / "votes.csv", out).isel(sample=0)
    got = dict(zip(ds["party"].values.tolist(), ds["seats"].values.tolist(), strict=True))
    official = {r["party"]: int(r["seats"]) for r in read("national.csv")}
    assert len(official) == 22
    assert got == official
    first_tier = int(ds["district_seats"].sum())
    assert int(ds["compensatory_seats"].sum()) == 200 - first_tier > 0
    praha = ds["district_seats"].sel(province="praha").to_series()
    assert {p: int(n) for p, n in praha.items() if n} == {
        "spolu": 11,
        "pirati_stan": 6,
        "ano": 5,
        "spd": 1,
    }
    magnitude = ds["magnitude"].to_series().to_dict()
    printed = {"karlovarsky": 5, "stredocesky": 26, "praha": 23, "jihomoravsky": 23}
    assert {p: magnitude[p] for p in printed} == printed  # LIDOVKY25
    assert (magnitude["moravskoslezsky"], magnitude["ustecky"]) == (22, 14)
    with out.open(encoding="utf-8") as f:
        kinds = {r["seat_type"] for r in csv.DictReader(f)}
    assert kinds == {"district", "second_tier"}


def test_votelib_gives_the_same_national_seats(tmp_path):
    """votelib's own components on the same votes (the independent oracle)."""
    imperiali = vprop.QuotaDistributor("imperiali", on_overaward="subtract")
    tiers = vcore.UnusedVotesDistributor(
        [
            vcore.ByConstituency(imperiali),
            vcore.RemovedApportionment(vcore.ByParty(vprop.LargestRemainder("droop"))),
        ],
        quota_functions=[imperiali.quota_function],
        depth=2,
    )
    evaluator = vcore.PreApportioned(
        evaluator=vcore.Conditioned(
            evaluator=tiers,
            eliminator=vthreshold.RelativeThreshold(decimal.Decimal("0.05"), accept_equal=True),
            depth=2,
        ),
        apportioner=vprop.LargestRemainder("hare"),
    )
    votes: dict[str, dict[str, int]] = {}
    for r in read("votes.csv"):
        votes.setdefault(r["province"], {})[r["party"]] = int(r["votes"])
    got = vconvert.VoteTotals().convert(evaluator.evaluate(votes, 200))
    ds = seats_command(SPEC, DATA / "votes.csv", None).isel(sample=0)
    ours = dict(zip(ds["party"].values.tolist(), ds["seats"].values.tolist(), strict=True))
    assert {p: n for p, n in got.items() if n} == {p: n for p, n in ours.items() if n}
