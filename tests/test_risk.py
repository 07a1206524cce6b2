from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from forecast.data.spec import load_spec
from forecast.errors import SpecError
from forecast.government.coalitions import score_coalitions
from forecast.government.duration import predict_formation_days
from forecast.government.formation import predict_formation
from forecast.government.power import power_indices
from forecast.government.risk import assess_risk
from forecast.government.status import STATUSES
from forecast.testing import IRAQ_2010_SEATS, toy_seat_draws, toy_spec

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
    # Formation takes months, with a real chance of more than six.
    assert 30 < table["formation_days_median"].item() < 300
    assert 0.05 < table["p_formation_over"].item() < 0.8
    # Power: the INA (with the Sadrists) holds power far beyond its seats.
    assert power["banzhaf_per_seat_share"].sel(party="iraqi_national_alliance").item() > 1.3
    # Risk: Sunni Arabs are riskier when the government leaves Iraqiya out.
    given = risk["p_onset_given"].sel(community="sunni_arab").to_series().dropna()
    without = [c for c in given.index if "iraqiya" not in c.split("+")]
    within = [c for c in given.index if "iraqiya" in c.split("+")]
    assert given[without].mean() > given[within].mean()
    assert 0 < risk["p_onset_any"].item() < 0.5
    # Every prior prints with its source and is marked unverified.
    for key in ("priors_formation", "priors_duration"):
        for term in json.loads(table.attrs[key]).values():
            assert term["source"] and term["verified"] is False
    for term in json.loads(risk.attrs["priors_risk"]).values():
        assert term["source"] and term["verified"] is False
    assert "assumption" in risk.attrs["gdp_source"]
