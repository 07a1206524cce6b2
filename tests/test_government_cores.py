from __future__ import annotations

import numpy as np
import pytest

from forecast.government.coalitions import score_coalitions
from forecast.government.cores import government_cores
from forecast.government.formation import predict_formation
from forecast.testing import toy_seat_draws, toy_spec

SEATS = {"alpha": 45, "beta": 35, "gamma": 17, "delta": 3}


def formed_table(n: int = 400, **kwargs):
    spec = toy_spec(**kwargs)
    seats = toy_seat_draws(n, SEATS, concentration=60.0, seed=3)
    return predict_formation(score_coalitions(seats, spec), spec, seed=5)


def test_cores_partition_the_samples():
    table = formed_table()
    assert table["p_core"].sum().item() == pytest.approx(1.0)
    which = table["core_of_sample"].values
    counts = np.bincount(which, minlength=table.sizes["core"]) / table.sizes["sample"]
    np.testing.assert_allclose(counts, table["p_core"].values)
    assert (np.diff(table["p_core"].values) <= 0).all()  # likeliest first
    assert len(set(table["core"].values)) == table.sizes["core"]


def test_a_core_is_the_members_with_the_stated_share_of_the_government_seats():
    table = formed_table()
    share = table.attrs["core_share"]
    assert share == 0.1
    w = table["actor_seats"].values
    gov = table["members"].values[table["formed"].values]
    core = table["core_members"].values[table["core_of_sample"].values]
    assert not (core & ~gov).any()  # a core is inside its government
    total = (w * gov).sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(core, gov & (w >= share * total))
    np.testing.assert_array_equal(table["core_seats"].values, (w * core).sum(axis=1))


def test_governments_that_differ_by_a_small_list_share_a_core():
    seats = toy_seat_draws(2, SEATS)
    spec = toy_spec()
    table = score_coalitions(seats, spec)
    labels = list(table["coalition"].values)
    table = table.assign(
        formed=(
            "sample",
            np.array([labels.index("alpha+beta+gamma"), labels.index("alpha+beta+delta+gamma")]),
        ),
        p_form=("coalition", np.full(len(labels), 1.0 / len(labels))),
    )
    cores = government_cores(table, core_share=0.1)
    assert list(cores["core"].values) == ["alpha+beta+gamma"]
    assert cores["p_core"].item() == 1.0
    # delta (3 of 100 seats) falls out; with a share of 0.02 it stays in
    assert government_cores(table, core_share=0.02).sizes["core"] == 2


def test_each_list_governs_with_the_formation_probability_of_its_coalitions():
    table = formed_table()
    members = table["members"].values
    p = table["p_form"].values
    expected = (p[:, None] * members).sum(axis=0)
    np.testing.assert_allclose(table["p_in_government"].values, expected)
    assert table["p_in_government"].max().item() <= 1.0 + 1e-9


def test_a_known_result_is_scored_at_its_core_and_its_lists():
    from forecast.government.formation_check import formation_given_seats, known_government

    spec = toy_spec(parties={**_parties(), "other": ("other", {"north": 1.0})})
    # "zeta" is not in the spec: its 2 seats go to the spec's "other" list
    seats = {"alpha": 45, "beta": 35, "gamma": 15, "delta": 3, "zeta": 2}
    table = formation_given_seats(spec, seats, samples=300, seed=2)
    assert int(table["actor_seats"].sel(party="other").max()) == 2
    assert (table["actor_seats"].values == table["actor_seats"].values[0]).all()
    members = ["alpha", "beta", "gamma", "delta"]
    found = known_government(table, seats, members, pm="alpha")
    # delta holds 3 of the government's 98 seats, under the 10% core share: the core is the rest
    assert found["core"] == "alpha+beta+gamma"
    drawn = table["core"].values[table["core_of_sample"].values]
    p = (drawn == "alpha+beta+gamma").mean()
    assert found["p_core"] == pytest.approx(p)
    assert found["core_rank"] == 1 + len({c for c in drawn if (drawn == c).mean() > p})
    assert found["p_likeliest_core"] == pytest.approx(table["p_core"].max().item())
    labels = list(table["coalition"].values)
    k = labels.index("alpha+beta+delta+gamma")
    assert found["p_form"] == pytest.approx(table["p_form"].values[k])
    assert found["coalition_rank"] == 1 + int((table["p_form"].values > found["p_form"]).sum())
    assert found["p_in_government"] == {
        m: pytest.approx(table["p_in_government"].sel(party=m).item()) for m in members
    }
    assert found["p_pm"] == pytest.approx(table["p_pm"].sel(party="alpha").item())
    # a government that is no candidate (alpha + gamma already win) has no rank and no chance
    other = known_government(table, seats, ["alpha", "gamma", "delta"])
    assert other["coalition_rank"] is None and other["p_form"] == 0.0
    assert other["core"] == "alpha+gamma" and "p_pm" not in other


def test_a_known_result_with_an_unnamed_list_needs_an_other_list():
    from forecast.government.formation_check import formation_given_seats

    with pytest.raises(ValueError, match="zeta"):
        formation_given_seats(toy_spec(), {"alpha": 60, "zeta": 40}, samples=10, seed=1)


def _parties():
    from forecast.testing import _TOY_PARTIES

    return dict(_TOY_PARTIES)
