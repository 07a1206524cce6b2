"""Golden: Iraq's two 2005 assembly elections, official seats from official votes.

January 2005, one national 275-seat district (Transitional Administrative Law electoral order,
as applied by the electoral commission): lists with fewer votes than valid votes / 275 are
excluded, the Hare quota is recomputed over the remaining lists, and the seats left after full
quotas go to the largest remainders. The commission's arithmetic is printed by The Times
(TIMES05) and FairVote (FAIRVOTE05): 8,456,266 valid votes, threshold 30,750, 12 lists with
8,011,450 votes, quota 29,133, 4 remainder seats. The votes and seats of the 12 lists are in
data/iraq/2005_jan_parliamentary/national.csv (votes: the commission's figures as printed by the
Associated Press, AP05); they add up to the 8,011,450 of TIMES05.

December 2005, 230 governorate seats: only Baghdad's table is known (MIDEASTREF05), with votes
printed in thousands to one decimal (so +-50 votes) and vote shares to 0.1 point. Baghdad's 59
seats follow from a plain Hare largest remainder over all lists (no threshold: the Kurdistan
Alliance and Mithal al-Alusi won seats with under one quota) for every valid-vote total the
printed shares allow and every rounding of the votes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from forecast.seats.kernels import allocate_district

DATA = Path(__file__).resolve().parents[2] / "data" / "iraq"

JAN_2005_VALID = 8_456_266  # TIMES05, FAIRVOTE05


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def jan_2005_votes() -> dict[str, int]:
    """Certified votes of the 12 lists that passed the threshold (AP05)."""
    rows = read_csv(DATA / "2005_jan_parliamentary" / "national.csv")
    return {r["party"]: int(r["votes"]) for r in rows if r["party"] != "total"}


def test_jan_2005_national_district_reproduced_exactly():
    official = {
        r["party"]: int(r["seats"])
        for r in read_csv(DATA / "2005_jan_parliamentary" / "national.csv")
        if r["party"] != "total"
    }
    certified = jan_2005_votes()
    assert sum(certified.values()) == 8_011_450  # TIMES05
    parties = list(certified)
    votes = np.array([[certified[p] for p in parties]])
    seats = allocate_district(
        votes, 275, method="hare_lr", threshold_quotas=1.0, valid=JAN_2005_VALID
    )[0]
    assert dict(zip(parties, seats.tolist(), strict=True)) == official
    # the margin that decided the last remainder seat: 69,938 votes against 69,920
    assert official["national_independent_cadres_elites"] == 3
    assert official["peoples_union"] == 2


def test_jan_2005_threshold_is_one_quota_of_all_valid_votes():
    # the smallest qualifying list (30,796) clears valid / 275 = 30,750.06; one fewer list
    # qualifies at a threshold of 30,800
    certified = jan_2005_votes()
    votes = np.array([list(certified.values())])
    ok = allocate_district(votes, 275, method="hare_lr", threshold_quotas=1.0, valid=JAN_2005_VALID)
    assert (ok[0] > 0).all()
    tighter = allocate_district(
        votes, 275, method="hare_lr", threshold_quotas=1.0, valid=30_800 * 275
    )
    assert tighter[0, list(certified).index("reconciliation_liberation")] == 0


def test_dec_2005_baghdad_reproduced_for_every_reading_of_the_rounded_figures():
    votes_rows = [
        r
        for r in read_csv(DATA / "2005_dec_parliamentary" / "votes.csv")
        if r["province"] == "baghdad"
    ]
    seats_rows = {
        r["party"]: int(r["seats"])
        for r in read_csv(DATA / "2005_dec_parliamentary" / "seats.csv")
        if r["province"] == "baghdad"
    }
    parties = [r["party"] for r in votes_rows]
    votes = np.array([int(r["votes"]) for r in votes_rows])
    # vote shares as printed by MIDEASTREF05 (to 0.1 point), same order as votes.csv
    shares = {
        "united_iraqi_alliance": 56.6,
        "tawafuq": 21.1,
        "iraqi_national_list": 13.4,
        "hewar": 1.8,
        "risaliyun": 1.8,
        "kurdistan_alliance": 1.0,
        "mithal_alusi": 0.6,
    }
    pct = np.array([shares[p] for p in parties])
    # every valid-vote total consistent with all seven (votes +-50, share +-0.05) pairs
    low = ((votes - 50) / (pct + 0.05) * 100).max()
    high = ((votes + 50) / (pct - 0.05) * 100).min()
    assert 2_600_000 < low < high < 2_700_000
    official = [seats_rows[p] for p in parties]
    assert sum(official) == 59
    rng = np.random.default_rng(2005)
    for valid in np.linspace(low, high, 41):
        jitter = rng.integers(-50, 51, size=(25, len(votes)))
        got = allocate_district(
            votes + jitter, 59, method="hare_lr", quota_base="valid", valid=np.floor(valid)
        )
        assert (got == official).all()
