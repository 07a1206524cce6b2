from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import IRAQ_2010_SEATS

from forecast.data.spec import load_spec
from forecast.errors import SpecError
from forecast.government.coalitions import score_coalitions
from forecast.government.duration import predict_formation_days
from forecast.government.formation import predict_formation
from forecast.government.power import power_indices
from forecast.government.risk import assess_risk
from forecast.government.risk_check import past_bases, risk_given_government
from forecast.government.risk_terms import under_representation
from forecast.government.status import STATUSES
from forecast.testing import toy_seat_draws, toy_spec

ROOT = Path(__file__).resolve().parent.parent
SEATS = {"alpha": 40, "beta": 30, "gamma": 20, "delta": 10}


def fixed(mean: float) -> dict:
    return {"mean": mean, "sd": 0.0, "source": "test", "judgemental": True}


def staged(spec, seats, *, formed: str | None = None, seed: int = 1):
    table = predict_formation(score_coalitions(seats, spec), spec, seed=seed)
    if formed is not None:
        index = list(table["coalition"].values).index(formed)
        table["formed"] = ("sample", np.full(table.sizes["sample"], index))
    return predict_formation_days(table, spec, seed=seed + 1)


RISK = {"log_gdp_per_capita": 8.0, "gdp_source": "toy"}


def test_risk_rises_when_a_community_moves_from_partner_to_excluded():
    spec = toy_spec(risk=RISK)
    seats = toy_seat_draws(400, SEATS)
    # gamma holds all of the south's seats but beta's half: in alpha+gamma the south is a partner.
    partner = assess_risk(staged(spec, seats, formed="alpha+gamma"), seats, spec, seed=5)
    excluded = assess_risk(staged(spec, seats, formed="alpha+beta"), seats, spec, seed=5)
    assert (partner["status"].sel(community="south") == STATUSES.index("junior_partner")).all()
    assert (excluded["status"].sel(community="south") >= STATUSES.index("powerless")).all()
    assert excluded["p_onset"].sel(community="south") > partner["p_onset"].sel(community="south")


def test_hand_computed_onset_probability():
    coefs = {
        k: fixed(0.0)
        for k in (
            "powerless",
            "discriminated",
            "junior_partner",
            "downgraded",
            "previous_conflict",
            "relative_size",
            "log_gdp_per_capita",
            "plurality_excluded",
            "protracted_formation",
        )
    }
    coefs["constant"] = fixed(-3.0)
    coefs["powerless"] = fixed(1.0)
    coefs["relative_size"] = fixed(2.0)
    spec = toy_spec(risk={**RISK, "coefficients": coefs})
    seats = toy_seat_draws(10, SEATS)
    risk = assess_risk(staged(spec, seats, formed="alpha+beta"), seats, spec, seed=1)
    # alpha+beta: north (0.5) senior, south (0.35) out (beta holds 15 of its 35 seats), east out.
    # Power balance: G = 0.5; north 0.5/0.5 = 1, south 0.35/0.85, east 0.15/0.65.
    expected = {
        "north": -3.0 + 2.0 * 1.0,
        "south": -3.0 + 1.0 + 2.0 * 0.35 / 0.85,
        "east": -3.0 + 1.0 + 2.0 * 0.15 / 0.65,
    }
    for community, eta in expected.items():
        assert risk["p_onset"].sel(community=community).item() == pytest.approx(
            1 / (1 + np.exp(-eta))
        )


def test_summaries_decompose_and_stay_probabilities():
    spec = toy_spec(risk=RISK, coalitions={"incumbent": ["alpha", "beta"]})
    seats = toy_seat_draws(2000, SEATS, concentration=60.0, seed=3)
    risk = assess_risk(staged(spec, seats), seats, spec, seed=2)
    assert list(risk["community"].values) == spec.community_ids
    values = risk["conflict_risk"].values
    assert ((values > 0) & (values < 1)).all()
    assert risk["p_onset_any"].item() >= risk["p_onset"].max().item()
    assert risk["risk_contribution"].sum().item() == pytest.approx(risk["p_onset_any"].item())
    assert risk["p_formed"].sum().item() == pytest.approx(1.0)
    shares = sum(risk[f"p_{s}"] for s in STATUSES)
    np.testing.assert_allclose(shares, 1.0)
    assert set(json.loads(risk.attrs["priors_risk"])) >= {"constant", "powerless", "downgraded"}


def test_missing_gdp_is_a_spec_error():
    spec = toy_spec()
    seats = toy_seat_draws(5, SEATS)
    with pytest.raises(SpecError, match="log_gdp_per_capita"):
        assess_risk(staged(spec, seats), seats, spec, seed=1)


def test_iraq_2010_actual_seats():
    spec = load_spec(ROOT / "models/iraq_2010.toml")
    seats = toy_seat_draws(4000, {**IRAQ_2010_SEATS, "other": 0})
    table = predict_formation(score_coalitions(seats, spec), spec, seed=20100307)
    table = predict_formation_days(table, spec, seed=20100308)
    risk = assess_risk(table, seats, spec, seed=20100309)
    power = power_indices(seats, spec)
    # The table: majority is 163 of 325, the big three and the Kurdistan List are actors.
    assert table.attrs["majority"] == 163
    assert {"iraqiya", "state_of_law", "iraqi_national_alliance", "kurdistan_list"} <= set(
        table["party"].values
    )
    p = table["p_majority"].to_series()
    assert p["iraqiya+state_of_law"] == 1.0 and p["iraqiya"] == 0.0
    shia_kurd = "iraqi_national_alliance+kurdistan_list+state_of_law"
    assert (table["seats"].sel(coalition=shia_kurd) == 202).all() and p[shia_kurd] == 1.0
    np.testing.assert_allclose(table["p_form_sample"].sum("coalition"), 1.0, rtol=1e-5)
    # Premiership goes to one of the two big lists.
    pm = table["p_pm"].to_series()
    assert pm["iraqiya"] + pm["state_of_law"] > 0.95
    # Formation: the ParlGov-fitted hazard gives weeks at the median, a thin tail past six months.
    assert 10 < table["formation_days_median"].item() < 300
    assert 0 < table["p_formation_over"].item() < 0.5
    # Power: the INA (with the Sadrists) holds power far beyond its seats.
    assert power["banzhaf_per_seat_share"].sel(party="iraqi_national_alliance").item() > 1.3
    # Risk: Sunni Arabs are riskier when the government leaves Iraqiya out.
    given = risk["p_onset_given"].sel(community="sunni_arab").to_series().dropna()
    without = [c for c in given.index if "iraqiya" not in c.split("+")]
    within = [c for c in given.index if "iraqiya" in c.split("+")]
    assert given[without].mean() > given[within].mean()
    assert 0 < risk["p_onset_any"].item() < 0.5
    # Every prior prints with its source; fitted and read terms are verified, the rest judgement.
    fitted = {"minority", "minimal_winning", "n_parties", "largest", "range", "incumbent"}
    for key in ("priors_formation", "priors_duration"):
        for name, term in json.loads(table.attrs[key]).items():
            assert term["source"]
            assert term["verified"] is (name in fitted or key == "priors_duration")
    read = {"constant", "powerless", "discriminated", "junior_partner", "downgraded"}
    for name, term in json.loads(risk.attrs["priors_risk"]).items():
        assert term["source"] and (term["verified"] or term["judgemental"])
        assert term["verified"] or name not in read
    assert "assumption" in risk.attrs["gdp_source"]
    # Sunni Arabs already fight the state: theirs is a continuation risk, left out of P(any onset).
    assert risk["risk_kind"].sel(community="sunni_arab").item() == "continuation"
    assert risk["p_onset"].sel(community="sunni_arab").item() > risk["p_onset_any"].item()


def _staged_risk(spec, seats, formed, seed=1):
    return assess_risk(staged(spec, seats, formed=formed, seed=seed), seats, spec, seed=seed + 2)


def test_under_representation_is_zero_when_seats_follow_population():
    sizes = np.array([0.5, 0.3, 0.2])
    seats = np.array([[50.0, 30.0, 20.0], [100.0, 60.0, 40.0]])
    np.testing.assert_array_equal(under_representation(seats, sizes), 0.0)
    short = under_representation(np.array([[60.0, 30.0, 10.0]]), sizes)
    np.testing.assert_allclose(short, [[0.0, 0.0, 0.5]])
    assert under_representation(np.array([[70.0, 30.0, 0.0]]), sizes)[0, 2] == 1.0


def test_an_unrepresented_community_is_riskier_by_the_stated_term():
    parties = {"alpha": ("a", {"north": 1.0}), "beta": ("b", {"south": 1.0})}
    communities = {"north": 0.5, "south": 0.5}
    coefs = {"under_representation": fixed(1.0)} | {
        t: fixed(0.0) for t in ("constant", "relative_size", "previous_conflict")
    }
    spec = toy_spec(parties=parties, communities=communities, risk={**RISK, "coefficients": coefs})
    fair = toy_seat_draws(50, {"alpha": 50, "beta": 50})
    tilted = toy_seat_draws(50, {"alpha": 75, "beta": 25})
    base = _staged_risk(spec, fair, "alpha+beta")
    short = _staged_risk(spec, tilted, "alpha+beta")
    np.testing.assert_allclose(base["under_representation"], 0.0, atol=1e-9)
    assert short["under_representation"].sel(community="south").item() == pytest.approx(0.5)
    added = short["risk_added"].sel(risk_term="under_representation", community="south").item()
    assert added > 0
    assert base["risk_added"].sel(risk_term="under_representation").max().item() == 0.0


def test_a_community_at_war_has_a_continuation_risk_and_its_status_row():
    coefs = {"continuation": fixed(1.4)}
    risk_spec = {**RISK, "coefficients": coefs, "ongoing_conflict": ["south"]}
    spec = toy_spec(risk=risk_spec)
    seats = toy_seat_draws(200, SEATS)
    risk = _staged_risk(spec, seats, "alpha+beta")
    assert list(risk["risk_kind"].values) == ["onset", "continuation", "onset"]
    south = risk["p_onset"].sel(community="south").item()
    assert south > 0.5 and risk["p_onset_any"].item() < south
    # The what-if row at the status the community holds gives back its risk.
    for c in spec.community_ids:
        held = int(risk["status"].sel(community=c).values[0])
        assert (risk["status"].sel(community=c) == held).all()
        row = risk["p_onset_if_status"].sel(community=c).values
        assert row[held] == pytest.approx(risk["p_onset"].sel(community=c).item(), rel=1e-9)
    with pytest.raises(SpecError, match="continuation"):
        bare = toy_spec(risk={**RISK, "ongoing_conflict": ["south"]})
        assess_risk(staged(bare, seats), seats, bare, seed=1)


def test_risk_given_a_known_government_and_lineage_bases():
    spec = toy_spec(
        risk=RISK,
        lineage=[
            {
                "election": "past",
                "source": "old",
                "shares": {"alpha": 0.5, "gamma": 0.5},
                "concentration": 5.0,
            }
        ],
    )
    bases = past_bases(spec, "past", ["alpha", "old"])
    assert bases["old"] == pytest.approx({"north": 0.5, "south": 0.5})
    with pytest.raises(ValueError, match="unknown"):
        past_bases(spec, "past", ["unknown"])
    seats = {"alpha": 60, "gamma": 40}
    risk = risk_given_government(
        spec,
        seats,
        ["alpha"],
        days=30,
        bases=past_bases(spec, "past", list(seats)),
        samples=50,
        seed=1,
    )
    assert (risk["status"].sel(community="south") == STATUSES.index("powerless")).all()
    # East holds no seats: fully under-represented; the others follow their seat shares.
    assert risk["under_representation"].sel(community="east").item() == 1.0
    assert risk["seat_share"].sel(community="north").item() == pytest.approx(0.6)
