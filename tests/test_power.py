from __future__ import annotations

import itertools
import math

import numpy as np
import powerindex
import pytest
from conftest import IRAQ_2010_SEATS
from hypothesis import given

from forecast.government.power import power_indices, power_kernel
from forecast.testing import toy_seat_draws, toy_spec, voting_games


def brute_force(weights: list[int], quota: int) -> tuple[np.ndarray, np.ndarray]:
    """Banzhaf by swings over subsets and Shapley-Shubik by orderings, written plainly."""
    n = len(weights)
    swings = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for k in range(n):
            for group in itertools.combinations(others, k):
                total = sum(weights[j] for j in group)
                swings[i] += total < quota <= total + weights[i]
    pivots = np.zeros(n)
    for order in itertools.permutations(range(n)):
        total = 0
        for i in order:
            if total < quota <= total + weights[i]:
                pivots[i] += 1
                break
            total += weights[i]
    with np.errstate(invalid="ignore"):
        return swings / swings.sum(), pivots / math.factorial(n)


@given(voting_games(max_players=6))
def test_kernel_matches_brute_force(game):
    weights, quota = game
    banzhaf, shapley = power_kernel(weights[None, :], quota)
    b, s = brute_force(weights.tolist(), quota)
    np.testing.assert_allclose(banzhaf[0], b, atol=1e-12)
    if np.isnan(b).all():
        assert np.isnan(shapley[0]).all()
    else:
        np.testing.assert_allclose(shapley[0], s, atol=1e-5)
        assert shapley[0].sum() == pytest.approx(1.0, abs=1e-6)
        assert banzhaf[0].sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("weights", "quota"),
    [
        ([49, 49, 2], 51),
        ([40, 30, 20, 10], 51),
        ([91, 89, 70, 43, 8, 6, 4, 4, 5], 163),
        ([3, 2, 1, 1], 4),
    ],
)
def test_kernel_matches_the_powerindex_library(weights, quota):
    game = powerindex.Game(quota, weights=weights)
    game.calc()
    banzhaf, shapley = power_kernel(np.array([weights]), quota)
    np.testing.assert_allclose(banzhaf[0], game.banzhaf, atol=1e-9)
    np.testing.assert_allclose(shapley[0], game.shapley_shubik, atol=1e-5)


def test_hand_computed_games():
    banzhaf, shapley = power_kernel(np.array([[49, 49, 2], [60, 40, 0], [50, 30, 20]]), 51)
    np.testing.assert_allclose(banzhaf[0], [1 / 3] * 3)
    np.testing.assert_allclose(banzhaf[1], [1, 0, 0])
    # 50/30/20 with quota 51: a is in every winning coalition; Banzhaf swings 3, 1, 1.
    np.testing.assert_allclose(banzhaf[2], [0.6, 0.2, 0.2])
    np.testing.assert_allclose(shapley[2], [2 / 3, 1 / 6, 1 / 6], atol=1e-6)


def test_vectorised_rows_agree_with_one_game_at_a_time():
    rng = np.random.default_rng(3)
    weights = rng.integers(0, 30, size=(50, 7))
    banzhaf, shapley = power_kernel(weights, 80)
    for row in range(0, 50, 7):
        b, s = power_kernel(weights[row : row + 1], 80)
        np.testing.assert_allclose(banzhaf[row], b[0])
        np.testing.assert_allclose(shapley[row], s[0], atol=1e-6)


def test_iraq_2010_the_shia_alliance_holds_power_beyond_its_seats():
    parties = {p: ("bloc", {"north": 1.0}) for p in IRAQ_2010_SEATS}
    spec = toy_spec(parties=parties, house_size=325, coalitions={"min_seats": 3})
    power = power_indices(toy_seat_draws(5, IRAQ_2010_SEATS), spec)
    ratio = power["banzhaf_per_seat_share"].to_series()
    assert ratio["iraqi_national_alliance"] > ratio["iraqiya"] > 1.0
    assert power["banzhaf"].sum("party").values == pytest.approx(1.0)
    assert power["p_most_pivotal"].sum().item() == pytest.approx(1.0)
