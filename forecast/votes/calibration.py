"""Prior predictive and simulation-based calibration (SBC) of the vote model.

SBC (Talts, Betancourt, Simpson, Vehtari & Gelman 2018, arXiv:1804.06788): draw parameters from
the prior, simulate the past elections' observations from them, fit the model to the simulated
data, and rank each true value among its posterior draws. If the model, its likelihood and the
sampler are right, every rank is uniform; a skewed or humped histogram shows bias or over- or
under-dispersion. The model is compiled once (nutpie) and refitted with new data each time, which
is why the likelihood's observations are named data containers in ``build_model``.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pymc as pm
import xarray as xr
from scipy import stats

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.data.spec_model import PriorSpec
from forecast.votes.blocks import (
    TURNOUT_DATA,
    TURNOUT_NOISE_RATE,
    turnout_noise_draws,
    turnout_noise_prior,
)
from forecast.votes.likelihood import VOTES_DATA
from forecast.votes.model import build_model, vote_observations

__all__ = [
    "prior_predictive",
    "rank_uniformity",
    "sbc_ranks",
    "simulate_turnout",
    "simulate_votes",
]

log = logging.getLogger(__name__)

# Scalars and target quantities whose ranks SBC checks: the hyper-parameters a user reads in the
# diagnostics, and the forecast itself (target share and turnout by province).
SBC_VARS = (
    "turnout_mu",
    "turnout_noise",
    "swing_sigma",
    "province_party_sigma",
    "log_kappa_mu",
    "cross_share_mu",
    "share",
    "turnout",
)


def prior_predictive(model: pm.Model, draws: int, seed: int) -> xr.DataTree:
    """Prior draws of every parameter (PyMC's forward sampler).

    The likelihoods are potentials, which forward sampling ignores: the vote counts of a prior
    draw come from :func:`simulate_votes`, its reported turnout from :func:`simulate_turnout`.
    """
    with model, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The effect of Potentials", UserWarning)
        return pm.sample_prior_predictive(draws, random_seed=seed)


def simulate_votes(
    obs: dict[str, np.ndarray], prior: xr.Dataset, past: list[str], rng: np.random.Generator
) -> np.ndarray:
    """Vote counts of every observed row, drawn from the likelihood at one prior draw.

    Each row keeps its observed total and mask; its counts are Dirichlet-multinomial with the
    prior draw's shares of the reported lists (and of the rest, where observed) and its
    election's concentration, as the likelihood's conditional form says.

    Raises
    ------
    ValueError
        If a row is a national total: their shares are not kept in the trace.
    """
    n_province = prior.sizes[dims.PROVINCE]
    counts = np.zeros_like(obs["counts"])
    for i, (row, mask, total) in enumerate(
        zip(obs["row"], obs["mask"], obs["counts"].sum(axis=1), strict=True)
    ):
        v, p = divmod(int(row), n_province)
        if v >= len(past):
            raise ValueError("simulation-based calibration needs province rows only")
        shares = prior[f"past_share_{past[v]}"].values[p]
        listed = np.zeros(mask.shape)
        listed[: len(shares) - 1] = shares[:-1]
        listed[-1] = max(1.0 - listed[:-1][mask[:-1]].sum(), 1e-9)
        sel = listed[mask]
        p_row = rng.dirichlet(float(prior["kappa"].values[v]) * sel / sel.sum())
        counts[i, mask] = rng.multinomial(int(round(total)), p_row)
    return counts


def simulate_turnout(
    prior: xr.Dataset, turnout_obs: np.ndarray, priors: PriorSpec, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the reported turnout (logit, draw x measured cell) of each prior draw, and its noise.

    The noise variance is drawn from its inverse-gamma prior, since the model integrates it out.
    """
    shape, scale = turnout_noise_prior(priors)
    noise = np.sqrt(scale / rng.gamma(shape, size=prior.sizes["draw"]))
    expected = prior["turnout_all"].values[:, np.isfinite(turnout_obs)]
    eta = np.log(expected) - np.log1p(-expected)
    return eta + noise[:, None] * rng.normal(size=eta.shape), noise


def sbc_ranks(
    spec: ForecastSpec,
    data: xr.Dataset,
    *,
    sims: int,
    draws: int = 200,
    tune: int = 300,
    chains: int = 2,
    thin: int = 2,
    seed: int = 0,
) -> xr.Dataset:
    """Rank of each true value among its posterior draws, over ``sims`` simulated datasets.

    Returns
    -------
    xr.Dataset
        One integer variable per name in ``SBC_VARS`` (dims ``sim`` and the variable's own),
        each rank in ``0 .. chains * draws // thin``; attrs ``n_draws`` (the rank's maximum)
        and ``divergences`` (per simulation).
    """
    import nutpie

    model = build_model(data, spec)
    obs = vote_observations(data, spec)
    past = [str(e) for e in model.coords["past_election"]]
    turnout_obs = data["turnout_pct"].values / 100.0
    n_seen = int(np.isfinite(turnout_obs).sum())
    prior = prior_predictive(model, sims, seed)
    truth = prior["prior"].to_dataset().isel(chain=0)
    rng = np.random.default_rng(seed)
    observed, noise = simulate_turnout(truth, turnout_obs, spec.priors, rng)
    truth = truth.assign(turnout_noise=("draw", noise))
    compiled = nutpie.compile_pymc_model(model, freeze_model=False)
    ranks, divergences = [], []
    for i in range(sims):
        one = truth.isel(draw=i)
        fitted = compiled.with_data(
            **{VOTES_DATA: simulate_votes(obs, one, past, rng), TURNOUT_DATA: observed[i]}
        )
        tree = nutpie.sample(
            fitted,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed + 1 + i,
            progress_bar=False,
            target_accept=spec.sampler.target_accept,
        )
        post = tree["posterior"].to_dataset().isel(draw=slice(None, None, thin))
        post["turnout_noise"] = turnout_noise_draws(post[TURNOUT_NOISE_RATE], n_seen, rng)
        ranks.append(xr.Dataset({v: (post[v] < one[v]).sum(("chain", "draw")) for v in SBC_VARS}))
        divergences.append(int(tree["sample_stats"]["diverging"].sum()))
        log.info("SBC simulation %d of %d: %d divergences", i + 1, sims, divergences[-1])
    out = xr.concat(ranks, dim="sim").drop_vars(["chain", "draw"], errors="ignore")
    out.attrs.update(n_draws=chains * len(range(0, draws, thin)), divergences=divergences)
    return out


def rank_uniformity(ranks: xr.Dataset, bins: int = 5) -> xr.Dataset:
    """Chi-square test of uniform ranks per scalar (each cell of a vector variable on its own).

    Returns
    -------
    xr.Dataset
        ``p_value`` and ``mean_rank`` (rank / n_draws; 0.5 when calibrated), dims
        ``quantity``; a small p-value says the rank histogram is not flat.
    """
    n_draws = ranks.attrs["n_draws"]
    names, p_values, means = [], [], []
    for var, da in ranks.data_vars.items():
        cells = da.transpose("sim", ...)
        other = [d for d in cells.dims if d != "sim"]
        flat = cells.values.reshape(cells.sizes["sim"], -1)
        labels = [
            ",".join(str(cells[d].values[k]) for d, k in zip(other, index, strict=True))
            for index in np.ndindex(*(cells.sizes[d] for d in other))
        ]
        for r, label in zip(flat.T, labels, strict=True):
            hist = np.histogram(r, bins=bins, range=(0, n_draws + 1))[0]
            p_values.append(float(stats.chisquare(hist).pvalue))
            means.append(float(np.mean(r) / n_draws))
            names.append(f"{var}[{label}]" if label else str(var))
    return xr.Dataset(
        {"p_value": ("quantity", p_values), "mean_rank": ("quantity", means)},
        coords={"quantity": names},
    )
