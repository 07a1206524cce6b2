"""Prior predictive and simulation-based calibration of the vote model on the toy spec."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from forecast.data.ingest import ingest_election
from forecast.data.spec import load_spec
from forecast.votes.calibration import prior_predictive, rank_uniformity, sbc_ranks
from forecast.votes.model import build_model

SIMS = 20


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    from forecast.toy_project import write_toy_project

    spec = load_spec(write_toy_project(tmp_path_factory.mktemp("sbc")))
    return spec, ingest_election(spec)


def test_prior_predictive_gives_valid_shares_that_cover_the_observed_ones(toy):
    spec, data = toy
    prior = prior_predictive(build_model(data, spec), draws=300, seed=5)["prior"]
    share = prior["share"].values
    assert np.all((share > 0) & (share < 1))
    np.testing.assert_allclose(share.sum(axis=-1), 1.0, rtol=1e-9)
    turnout = prior["turnout"].values
    assert np.all((turnout > 0) & (turnout < 1))
    # Every observed province share of the evidence lies inside the prior's 99% range: the
    # prior does not rule out what happened.
    past = prior["past_share_e2005"].stack(s=("chain", "draw"))
    low, high = past.quantile([0.005, 0.995], dim="s")
    lists = ["a_old", "b_old"]
    observed = data["votes"].sel(election="e2005", party=lists) / data["valid_votes"].sel(
        election="e2005"
    )
    observed = observed.rename(party="source_e2005").dropna("province")
    assert observed.sizes["province"] == 2
    band = (
        low.sel(province=observed.province, source_e2005=lists),
        high.sel(province=observed.province, source_e2005=lists),
    )
    assert bool(((observed >= band[0]) & (observed <= band[1])).all())


def test_sbc_ranks_of_the_toy_model_are_uniform(toy):
    spec, data = toy
    ranks = sbc_ranks(spec, data, sims=SIMS, draws=100, tune=300, chains=2, thin=1, seed=3)
    assert ranks.sizes["sim"] == SIMS
    assert ranks.attrs["n_draws"] == 200
    for var in ranks.data_vars.values():
        assert int(var.min()) >= 0 and int(var.max()) <= ranks.attrs["n_draws"]
    checks = rank_uniformity(ranks)
    # Bonferroni over every scalar checked, at a 1% family-wise level.
    alpha = 0.01 / checks.sizes["quantity"]
    worst = checks["p_value"].idxmin().item()
    assert float(checks["p_value"].min()) > alpha, worst
    # No quantity sits systematically above or below its posterior (mean rank 0.5 if calibrated;
    # the standard error of a mean of 20 uniform ranks is 0.065).
    assert np.all(np.abs(checks["mean_rank"].values - 0.5) < 0.25)


def test_rank_uniformity_flags_biased_and_overconfident_ranks():
    rng = np.random.default_rng(0)
    n_draws, sims = 100, 200

    def ranks(values: np.ndarray) -> xr.Dataset:
        out = xr.Dataset({"x": ("sim", values.astype(int))})
        out.attrs["n_draws"] = n_draws
        return out

    flat = rank_uniformity(ranks(rng.integers(0, n_draws + 1, sims)))
    assert float(flat["p_value"].item()) > 0.01
    biased = rank_uniformity(ranks(rng.integers(60, n_draws + 1, sims)))
    assert float(biased["p_value"].item()) < 1e-6
    assert float(biased["mean_rank"].item()) > 0.7
    # An overconfident posterior puts the truth in its tails: a U-shaped histogram.
    tails = np.concatenate([rng.integers(0, 10, sims // 2), rng.integers(91, 101, sims // 2)])
    assert float(rank_uniformity(ranks(tails))["p_value"].item()) < 1e-6
