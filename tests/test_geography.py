"""The geography check: median district seats where a list's base communities are few."""

from __future__ import annotations

import numpy as np
import xarray as xr
from conftest import base_beta_in_minority

from forecast import dims
from forecast.data.ingest import ingest_election
from forecast.data.spec import load_spec
from forecast.evaluate.geography import base_shares, seats_outside_base


def _minority_beta(toy_project):
    """The toy with Beta based in the minority only: 60% of the north, 1% of the south."""
    base_beta_in_minority(toy_project, south_minority=0.01)
    spec = load_spec(toy_project)
    return spec, ingest_election(spec)


def _seats(spec, data, beta_seats: list[int]) -> xr.Dataset:
    """Three samples in which Alpha wins 2 seats everywhere and Beta ``beta_seats`` by province."""
    provinces = data[dims.PROVINCE].values
    seats = np.zeros((3, len(provinces), len(spec.party_ids)), dtype=int)
    seats[:, :, spec.party_ids.index("alpha")] = 2
    seats[:, :, spec.party_ids.index("beta")] = beta_seats
    coords = {dims.PROVINCE: provinces, dims.PARTY: spec.party_ids}
    return xr.Dataset({"district_seats": ((dims.SAMPLE, dims.PROVINCE, dims.PARTY), seats)}, coords)


def test_a_median_seat_where_the_base_is_under_two_percent_is_a_breach(toy_project):
    spec, data = _minority_beta(toy_project)
    base = base_shares(data, spec)
    south, centre = (
        base.sel(province="south", party="beta"),
        base.sel(province="centre", party="beta"),
    )
    assert float(south["share"]) == 0.01 and bool(south["complete"])
    assert not bool(centre["complete"]) and not bool(centre["labelled"])  # no number, no label
    assert bool(base["labelled"].sel(province="centre", party="alpha"))
    found = seats_outside_base(_seats(spec, data, [1, 1, 1]), data, spec)
    assert found["bound"] == 0.02
    assert found["breaches"] == [
        {"province": "south", "party": "beta", "seats_median": 1.0, "base_share": 0.01}
    ]
    assert found["unchecked"] == [{"province": "centre", "party": "beta", "seats_median": 1.0}]


def test_no_seat_where_the_base_is_absent_is_no_breach(toy_project):
    spec, data = _minority_beta(toy_project)
    provinces = list(data[dims.PROVINCE].values)
    beta = [1 if p == "north" else 0 for p in provinces]
    found = seats_outside_base(_seats(spec, data, beta), data, spec)
    assert found["breaches"] == [] and found["unchecked"] == []


def test_the_backtest_note_states_the_geography_check():
    from forecast.report.backtest import backtest_section

    bt = {
        "lists": [],
        "baselines": {},
        "geography": {"bound": 0.02, "breaches": [], "unchecked": []},
    }
    assert (
        "No list has a median district seat where its communities are under 2%."
        in (backtest_section(bt, {})["note"])
    )
    bt["geography"] = {
        "bound": 0.02,
        "breaches": [
            {"province": "south", "party": "beta", "seats_median": 1.0, "base_share": 0.01}
        ],
        "unchecked": [{"province": "centre", "party": "beta", "seats_median": 1.0}],
    }
    note = backtest_section(bt, {"beta": "Beta List"})["note"]
    assert "under 2% of the people: Beta List in south (1 median seat could not be checked" in note
