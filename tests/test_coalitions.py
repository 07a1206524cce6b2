from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecast.government.candidates import SMALL_LISTS, subset_sums
from forecast.government.coalitions import score_coalitions
from forecast.testing import toy_seat_draws, toy_spec

SEATS = {"alpha": 40, "beta": 30, "gamma": 20, "delta": 10}


def test_hand_computed_majorities_and_minimal_winning():
    table = score_coalitions(toy_seat_draws(3, SEATS), toy_spec())
    p = table["p_majority"].to_series()
    mw = table["p_minimal_winning"].to_series()
    assert p["alpha+beta"] == 1.0
    assert p["alpha"] == 0.0
    assert mw["alpha+beta"] == 1.0 and mw["alpha+gamma"] == 1.0
    assert mw["beta+delta+gamma"] == 1.0
    assert p["alpha+beta+delta+gamma"] == 1.0 and mw["alpha+beta+delta+gamma"] == 0.0
    assert table.attrs["majority"] == 51


def test_exactly_half_is_not_a_majority():
    table = score_coalitions(toy_seat_draws(2, {"alpha": 50, "beta": 50}), toy_spec())
    assert table["p_majority"].sel(coalition="alpha").item() == 0.0
    assert table["p_majority"].sel(coalition="alpha+beta").item() == 1.0


def test_subset_sums_match_brute_force():
    w = np.array([[3, 5, 7, 11], [0, 2, 9, 1]])
    sums = subset_sums(w)
    for m in range(16):
        members = [j for j in range(4) if m >> j & 1]
        np.testing.assert_array_equal(sums[:, m], w[:, members].sum(axis=1))


seat_maps = (
    st.lists(st.integers(0, 40), min_size=2, max_size=7)
    .map(lambda xs: {f"list_{i}": x for i, x in enumerate(xs)})
    .filter(lambda d: sum(d.values()) > 0)
)


@given(seat_maps, st.integers(0, 2**31 - 1))
def test_supersets_of_winning_coalitions_win(seats_mean, seed):
    parties = {p: ("bloc", {"north": 1.0}) for p in seats_mean}
    spec = toy_spec(parties=parties, house_size=max(1, round(sum(seats_mean.values()))))
    seats = toy_seat_draws(20, seats_mean, concentration=20.0, seed=seed)
    table = score_coalitions(seats, spec)
    members = table["members"].values
    win = table["majority"].values
    for a, b in itertools.permutations(range(len(members)), 2):
        if (members[a] <= members[b]).all():
            assert not (win[:, a] & ~win[:, b]).any()
    # Minimal winning, checked member by member against the seats of each sample.
    w = table["actor_seats"].values
    quota = table.attrs["majority"]
    for c, row in enumerate(members):
        total = w[:, row].sum(axis=1)
        each_needed = np.all(total[:, None] - w[:, row] < quota, axis=1)
        np.testing.assert_array_equal(
            table["minimal_winning"].values[:, c], (total >= quota) & each_needed
        )
        assert table["coalition"].values[c] == "+".join(sorted(table["party"].values[row]))


def test_candidates_hold_singles_grand_coalition_and_incumbent_within_cap():
    spec = toy_spec(coalitions={"incumbent": ["beta", "delta"], "max_candidates": 8})
    table = score_coalitions(toy_seat_draws(3, SEATS), spec)
    labels = set(table["coalition"].values)
    assert {"alpha", "beta", "gamma", "delta", "beta+delta", "alpha+beta+delta+gamma"} <= labels
    assert table.sizes["coalition"] == 8


def test_surplus_extensions_add_lists_at_least_as_large_as_the_smallest_member():
    table = score_coalitions(toy_seat_draws(3, SEATS), toy_spec())
    labels = set(table["coalition"].values)
    assert "alpha+beta+gamma" in labels  # alpha+gamma (smallest member 20) plus beta (30)
    assert "alpha+beta+delta" not in labels  # delta (10) is below the smallest member of any MW


def test_small_lists_are_grouped_only_when_the_spec_says_so():
    seats = toy_seat_draws(3, {"alpha": 45, "beta": 45, "gamma": 6, "delta": 4})
    apart = score_coalitions(seats, toy_spec(coalitions={"min_seats": 5}))
    grouped = score_coalitions(seats, toy_spec(coalitions={"min_seats": 5, "group_small": True}))
    assert list(apart["party"].values) == ["alpha", "beta", "gamma"]
    assert SMALL_LISTS in grouped["party"].values
    assert grouped["actor_lists"].sel(party=SMALL_LISTS, list="delta").item()
    # The non-actor's seats still count in the house: alpha+gamma (51) wins, alpha alone does not.
    assert apart["p_majority"].sel(coalition="alpha+gamma").item() == 1.0


def test_range_and_connectedness_follow_the_bloc_axis():
    spec = toy_spec(coalitions={"bloc_positions": {"left": 0.0, "centre": 5.0, "right": 10.0}})
    table = score_coalitions(toy_seat_draws(3, SEATS), spec)
    assert table["ideological_range"].sel(coalition="alpha+gamma").item() == 10.0
    assert not table["connected"].sel(coalition="alpha+gamma").item()  # beta sits between
    assert table["connected"].sel(coalition="alpha+beta").item()


def test_unknown_bloc_in_positions_is_named():
    spec = toy_spec(coalitions={"bloc_positions": {"centr": 5.0}})
    with pytest.raises(Exception, match="did you mean 'centre'"):
        score_coalitions(toy_seat_draws(3, SEATS), spec)


def test_too_many_actors_asks_for_min_seats_or_grouping():
    seats_mean = {f"list_{i}": 4 for i in range(25)}
    parties = {p: ("bloc", {"north": 1.0}) for p in seats_mean}
    with pytest.raises(ValueError, match="min_seats"):
        score_coalitions(toy_seat_draws(2, seats_mean), toy_spec(parties=parties))
