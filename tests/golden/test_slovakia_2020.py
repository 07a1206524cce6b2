"""Golden: Slovak Republic, National Council 29 February 2020, official seats from official votes.

The law (Act 180/2014 Coll.): 150 deputies in one national district. A party needs 5% of the
valid votes, a coalition of two or three parties 7%, of four or more 10%. The republic
electoral number is the votes of the lists over their thresholds divided by 151 and rounded to
a whole number (the Hagenbach-Bischoff quota); each list gets a seat per full number and the
seats left go to the largest remainders. The spec is tests/golden/specs/slovakia_2020.toml
(``alliance_thresholds`` by each list's ``alliance_size`` in parties.csv, method
``hagenbach_bischoff_lr`` with ``quota_rounding = "round"``), run through ``forecast seats``.

The data. The votes of the 24 lists, the coalition flag and the official seats are
data/slovakia/2020_national_council/, converted from votelib's sk_nr_2020.csv and asserted by
its ``test_sk_nr_2020`` (simberaj/votelib, tests/real/ at commit 94af16c; VOTELIB_SK_NR_2020,
VOTELIB_TEST); they are the Statistical Office of the Slovak Republic's results
(VOLBY_SK_NRSR2020). OLaNO 53, Smer 38, Sme rodina 17, LSNS 17, SaS 13, Za ludi 12. The
coalition PS-SPOLU (two parties) polled 6.97%: over the 5% of a party, under the 7% of a
coalition, so it wins nothing, and this is what the alliance-size thresholds decide.
"""

from __future__ import annotations

import decimal
from pathlib import Path

import votelib.candidate as vcand
import votelib.evaluate.core as vcore
import votelib.evaluate.proportional as vprop
import votelib.evaluate.threshold as vthreshold
from test_czechia_ep_2019 import national_votes_file, rows

from forecast.seats.command import load_law, seats_command, seats_from_table

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "golden" / "specs" / "slovakia_2020.toml"
DATA = ROOT / "data" / "slovakia" / "2020_national_council"


def read(name: str) -> list[dict[str, str]]:
    return rows(DATA / name)


def votes_file(tmp_path: Path) -> Path:
    return national_votes_file(DATA, tmp_path)


def test_every_official_seat_reproduced(tmp_path):
    ds = seats_command(SPEC, votes_file(tmp_path), tmp_path / "seats.csv")
    got = dict(zip(ds["party"].values.tolist(), ds["seats"].values[0].tolist(), strict=True))
    official = {r["party"]: int(r["seats"]) for r in read("national.csv")}
    assert len(official) == 24
    assert got == official


def test_the_coalition_threshold_decides_ps_spolu():
    """Under a flat 5% the two-party coalition PS-SPOLU would have won seats; under 7% none."""
    rows = read("national.csv")
    votes = [{"province": "national", "party": r["party"], "votes": int(r["votes"])} for r in rows]
    share = {r["party"]: int(r["votes"]) for r in rows}
    assert 0.05 < share["ps_spolu"] / sum(share.values()) < 0.07
    sizes = {r["party"]: int(r["alliance_size"]) for r in read("parties.csv")}
    assert sizes["ps_spolu"] == 2 and sum(sizes.values()) == 25
    law, _ = load_law(SPEC)
    flat = law.model_copy(update={"alliance_thresholds": {}, "national_threshold": 0.05})
    by_size = seats_from_table(law, {"national": 150}, votes, alliance_size=sizes)
    by_flat = seats_from_table(flat, {"national": 150}, votes)
    assert int(by_size["seats"].sel(party="ps_spolu").item()) == 0
    assert int(by_flat["seats"].sel(party="ps_spolu").item()) > 0


def test_votelib_gives_the_same_seats():
    """votelib's own components on the same votes and coalitions (the independent oracle)."""

    def relative(share: str) -> vthreshold.RelativeThreshold:
        return vthreshold.RelativeThreshold(decimal.Decimal(share), accept_equal=True)

    bracketer = vthreshold.CoalitionMemberBracketer(
        {1: relative("0.05"), 2: relative("0.07"), 3: relative("0.07")}, relative("0.1")
    )
    evaluator = vcore.Conditioned(bracketer, vprop.LargestRemainder("hagenbach_bischoff_rounded"))
    sizes = {r["party"]: int(r["alliance_size"]) for r in read("parties.csv")}
    lists = {
        p: vcand.Coalition(name=p, parties=[vcand.PoliticalParty(f"{p}_{i}") for i in range(n)])
        if n > 1
        else vcand.PoliticalParty(p)
        for p, n in sizes.items()
    }
    rows = read("national.csv")
    got = evaluator.evaluate({lists[r["party"]]: int(r["votes"]) for r in rows}, 150)
    assert {c.name: n for c, n in got.items()} == {
        r["party"]: int(r["seats"]) for r in rows if int(r["seats"])
    }
