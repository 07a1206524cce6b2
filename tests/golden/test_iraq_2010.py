"""Golden: Iraq, 7 March 2010 Council of Representatives, official seats from official votes.

The rule. Law 16/2005 as amended by Law 26/2009 (Presidency Council decree 20, 9 Dec 2009):
each governorate is a district; a list needs the "electoral divider" (valid votes / seats, one
Hare quota) to win a seat (Al Jazeera's explainer, March 2010); each list gets a seat per full
quota; and the seats left are given to the *winning* lists only, "according to the votes they
obtained" (the provision the Federal Supreme Court struck down in June 2010 at the Communist
Party's request because it handed small lists' votes to the big winners; Reidar Visser, Iraq
Business News, 2012-2013). Read as: the seats left are shared again among the qualifying lists
in proportion to their votes, by Hare largest remainder. In the engine: ``hare_lr`` with
``threshold_quotas = 1``, ``quota_base = "valid"`` and ``remainder = "vote_share"``. The seven
compensatory seats go by D'Hondt over the national votes (2/2/2/1 to Iraqiya, State of Law,
the INA and the Kurdistan List, as certified).

What cannot be known. Only the votes of the 9 winning lists are published per governorate
(MAJLIS10); the votes of the ~80 other lists, and so the valid-vote totals that set each quota,
are not. The national valid total follows from the official vote shares (WIKI10_INFOBOX:
votes / share for the four lists above 14%), and the 0.53% cast for the minority seats is
taken out. The neutral estimate gives every governorate the same share of votes for
non-winning lists (about 5.3% on top of the winners' votes).

Result. Under that estimate the rule reproduces every seat of 12 of the 18 governorates. The 6
others (EXPECTED_DISCREPANCIES) are reproduced exactly when their non-winning lists polled the
amounts in FITTED_LOSERS, all inside what the national total allows; with those totals the whole
law reproduces the official 325 seats. Other readings of the rule fit worse: Jan 2005's
"recompute the quota among qualifying lists" misses 9 governorates, and "leftover seats one
each by votes" cannot give Dohuk 9/1 or Diyala 8/3/1/1 for any valid-vote total.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from forecast.data.spec import load_spec
from forecast.data.spec_law import CompensatorySeats, DistrictRule, ElectoralLaw
from forecast.seats.command import seats_from_table
from forecast.seats.kernels import allocate_district

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "iraq" / "2010_parliamentary"
RULE = DistrictRule(
    method="hare_lr", threshold_quotas=1.0, quota_base="valid", remainder="vote_share"
)
MINORITY_SHARE = 0.0053  # WIKI10_INFOBOX: the 8 minority seats' lists together

# Governorates whose official seats differ from the rule's under the uniform estimate, with
# the engine's result there. Reason for all: the quota depends on the votes of lists that won
# nothing, which are not published; a larger (or, for Ninawa and Sulaymaniyah, different)
# share of such votes than the national average gives the official result (FITTED_LOSERS).
EXPECTED_DISCREPANCIES = {
    "babil": {"state_of_law": 7, "iraqi_national_alliance": 6, "iraqiya": 3},
    "basra": {"state_of_law": 14, "iraqi_national_alliance": 8, "iraqiya": 2},
    "ninawa": {
        "iraqiya": 20,
        "kurdistan_list": 7,
        "tawafuq": 2,
        "unity_alliance_of_iraq": 1,
        "iraqi_national_alliance": 1,
    },
    "qadisiyyah": {"iraqi_national_alliance": 5, "state_of_law": 5, "iraqiya": 1},
    "salahuddin": {"iraqiya": 9, "tawafuq": 2, "unity_alliance_of_iraq": 1},
    "sulaymaniyah": {
        "kurdistan_list": 7,
        "gorran": 6,
        "kurdistan_islamic_union": 3,
        "islamic_group_kurdistan": 1,
    },
}
# Votes of non-winning lists under which those governorates come out as certified (each inside
# the range that does: Babil 34,250-76,050; Basra 43,250-93,050; Ninawa 0-38,250 or
# 62,450-130,100; Qadisiyyah 30,850-134,000; Salahuddin 43,950-169,250; Sulaymaniyah 0-19,250
# or 45,700-161,000), chosen near the range's low end.
FITTED_LOSERS = {
    "babil": 35_000,
    "basra": 44_000,
    "ninawa": 30_000,
    "qadisiyyah": 31_000,
    "salahuddin": 45_000,
    "sulaymaniyah": 15_000,
}


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


VOTES = read_csv("votes.csv")
MAGNITUDE = {r["province"]: int(r["seats"]) for r in read_csv("magnitude.csv")}
NATIONAL = {r["party"]: r for r in read_csv("national.csv")}


def official(province: str) -> dict[str, int]:
    return {
        r["party"]: int(r["seats"])
        for r in read_csv("seats.csv")
        if r["province"] == province and r["seat_type"] == "district"
    }


def winners_votes(province: str) -> dict[str, int]:
    return {r["party"]: int(r["votes"]) for r in VOTES if r["province"] == province}


def national_losers() -> float:
    """Votes of non-winning lists in the governorate contests, from the official shares."""
    valid = np.mean(
        [
            int(NATIONAL[p]["votes"]) / float(NATIONAL[p]["vote_pct"]) * 100
            for p in ("iraqiya", "state_of_law", "iraqi_national_alliance", "kurdistan_list")
        ]
    )
    winners = sum(int(r["votes"]) for r in VOTES)
    return valid * (1 - MINORITY_SHARE) - winners


def uniform_losers() -> dict[str, float]:
    """The neutral estimate: non-winning lists poll the same share everywhere."""
    total = sum(int(r["votes"]) for r in VOTES)
    share = national_losers() / total
    return {p: share * sum(winners_votes(p).values()) for p in MAGNITUDE}


def district(province: str, losers: float, rule: DistrictRule = RULE) -> dict[str, int]:
    votes = winners_votes(province)
    names = list(votes)
    seats = allocate_district(
        np.array([[votes[p] for p in names]]),
        MAGNITUDE[province],
        valid=sum(votes.values()) + round(losers),
        **rule.model_dump(),
    )[0]
    return {p: int(s) for p, s in zip(names, seats, strict=True) if s}


def test_national_losers_estimate():
    # about 11.53 million valid votes; 10.89 million for the 9 winning lists
    assert 560_000 < national_losers() < 585_000


@pytest.mark.parametrize("province", sorted(MAGNITUDE))
def test_2010_governorate_under_uniform_estimate(province):
    got = district(province, uniform_losers()[province])
    expected = EXPECTED_DISCREPANCIES.get(province, official(province))
    assert got == expected
    assert (province in EXPECTED_DISCREPANCIES) == (got != official(province))


def test_2010_reproduced_count():
    assert len(MAGNITUDE) - len(EXPECTED_DISCREPANCIES) == 12


@pytest.mark.parametrize("province", sorted(FITTED_LOSERS))
def test_2010_discrepancies_vanish_at_possible_valid_totals(province):
    assert district(province, FITTED_LOSERS[province]) == official(province)


def fitted_valid() -> dict[str, int]:
    """Valid votes per governorate: winners + fitted or uniform losers, adding up nationally."""
    losers = {**uniform_losers(), **FITTED_LOSERS}
    slack = national_losers() - sum(losers.values())
    assert slack > 0  # the fitted totals fit inside the national total
    losers["najaf"] += slack  # Najaf's seats are the same for 0 to 155,000 such votes
    return {p: sum(winners_votes(p).values()) + round(v) for p, v in losers.items()}


def iraq_law() -> ElectoralLaw:
    return load_spec(ROOT / "models" / "iraq_2010.toml").law.model_copy(update={"district": RULE})


def test_2010_whole_law_reproduces_the_official_325_seats():
    valid = fitted_valid()
    assert abs(sum(valid.values()) - national_losers() - sum(int(r["votes"]) for r in VOTES)) < len(
        valid
    )
    for province, total in valid.items():
        assert district(province, total - sum(winners_votes(province).values())) == official(
            province
        )
    ds = seats_from_table(iraq_law(), MAGNITUDE, VOTES, valid_votes=valid)
    got = {str(p): int(s) for p, s in zip(ds["party"].values, ds["seats"].values[0], strict=True)}
    expected = {p: int(r["seats"]) for p, r in NATIONAL.items() if p != "total"}
    assert got == expected
    assert sum(got.values()) == 325


def test_2010_compensatory_seats_by_dhondt_on_national_votes():
    parties = [p for p, r in NATIONAL.items() if r["votes"]]
    votes = np.array([[int(NATIONAL[p]["votes"]) for p in parties]])
    certified = [int(NATIONAL[p]["seats_national"]) for p in parties]
    law = CompensatorySeats(seats=7, method="dhondt")
    assert allocate_district(votes, law.seats, method=law.method)[0].tolist() == certified
    # a Hare largest remainder with the quota of all 11.5 million valid votes would have given
    # Gorran a seat instead of the INA's second
    valid = (national_losers() + sum(int(r["votes"]) for r in VOTES)) / (1 - MINORITY_SHARE)
    hare = allocate_district(votes, 7, method="hare_lr", quota_base="valid", valid=valid)[0]
    by_list = dict(zip(parties, hare.tolist(), strict=True))
    assert by_list["gorran"] == 1 and by_list["iraqi_national_alliance"] == 1


def test_2010_other_readings_of_the_rule_fit_worse():
    jan_2005 = DistrictRule(method="hare_lr", threshold_quotas=1.0)
    missed = [p for p in MAGNITUDE if district(p, uniform_losers()[p], jan_2005) != official(p)]
    assert len(missed) == 9
    by_votes = DistrictRule(
        method="hare_lr", threshold_quotas=1.0, quota_base="valid", remainder="highest_votes"
    )
    for province in ("dohuk", "diyala"):
        base = sum(winners_votes(province).values())
        for losers in range(0, base // 2, 500):
            assert district(province, losers, by_votes) != official(province)
