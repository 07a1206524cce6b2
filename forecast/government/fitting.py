"""Fit the formation and duration priors on ParlGov's post-election formations.

Formation is the engine's conditional logit (``forecast.government.formation``) over every
coalition of each formation's parties (``candidate_sets``), on the terms ParlGov can measure;
each coefficient has a weakly informative ``Normal(0, 2.5)`` prior. Formation days follow the
engine's Weibull hazard (``forecast.government.duration``); only post-election formations have
dates in ParlGov, so the baseline is a post-election one and ``post_election`` is 0. A held-out
share of formations (seeded) is scored against the uniform and the largest-party-plus-minimal-
winning baselines (``formation_scores``); the priors come from a fit on every formation.

Run ``forecast fit-priors [--out TOML] [--seed N]``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from forecast.dims import COALITION, SAMPLE
from forecast.government.candidate_sets import TERM, candidate_sets
from forecast.government.fitted_priors import FitResult, write_priors
from forecast.government.formation_scores import (
    baseline_probabilities,
    lp_mw_miss,
    model_probabilities,
    score_formations,
)
from forecast.government.parlgov import FORMATION, formation_actors, read_formations
from forecast.votes.diagnostics import convergence_summary

__all__ = [
    "DURATION_TERMS",
    "duration_model",
    "fit_priors",
    "formation_model",
    "formed_cabinets",
    "sample_model",
    "split_formations",
]


DURATION_TERM = "duration_term"
DURATION_TERMS = ("range", "n_parties", "minority")
FORMATION_PRIOR_SD = 2.5
DURATION_PRIOR_SD = 1.0
HOLDOUT = 0.2
MAX_PARTIES = 6  # the engine's duration.max_parties default
PREDICTIVE_DRAWS = 200


def split_formations(ids: np.ndarray, *, holdout: float, seed: int) -> np.ndarray:
    """Choose a held-out share of formations at random: bool array (formation,), True = held out."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(ids), dtype=bool)
    out[rng.choice(len(ids), size=round(holdout * len(ids)), replace=False)] = True
    return out


def _blocks(cands: xr.Dataset) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Dense blocks of formations with equal candidate counts: size -> (x (f, c, term), formed)."""
    ids = cands["formation_id"].values
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    sizes = np.diff(np.r_[starts, len(ids)])
    x, formed = cands["x"].values, cands["formed"].values
    out = {}
    for size in np.unique(sizes):
        index = starts[sizes == size][:, None] + np.arange(size)
        out[int(size)] = (x[index], formed[index].argmax(axis=1))
    return out


def formation_model(cands: xr.Dataset) -> pm.Model:
    """Build the conditional logit: which candidate of each formation formed.

    Parameters
    ----------
    cands : xr.Dataset
        ``candidate_sets`` output: ``x`` (coalition, term), ``formed`` (coalition).

    Returns
    -------
    pm.Model
        Free variable ``formation_effect`` (term); one observed ``formed_<size>`` per block of
        formations with ``size`` candidates.
    """
    terms = [str(t) for t in cands[TERM].values]
    with pm.Model(coords={TERM: terms}) as model:
        # How much each property of a coalition raises its log-odds of forming.
        effect = pm.Normal("formation_effect", 0.0, FORMATION_PRIOR_SD, dims=TERM)
        for size, (x, formed) in _blocks(cands).items():
            pm.Categorical(f"formed_{size}", logit_p=pt.dot(x, effect), observed=formed)
    return model


def formed_cabinets(cands: xr.Dataset, actors: xr.Dataset) -> xr.Dataset:
    """Return the duration model's data: one row per formation, its cabinet's terms and days.

    Returns
    -------
    xr.Dataset
        Dims (formation,): ``days``, ``n_parties``, ``range``, ``minority``.
    """
    x = cands["x"].isel({COALITION: np.flatnonzero(cands["formed"].values)})
    ids = cands["formation_id"].values[cands["formed"].values]
    return xr.Dataset(
        {t: ((FORMATION,), x.sel({TERM: t}).values) for t in DURATION_TERMS}
        | {"days": ((FORMATION,), actors["days"].sel({FORMATION: ids}).values)},
        coords={FORMATION: ids},
    )


def duration_model(cabinets: xr.Dataset, *, max_parties: int = MAX_PARTIES) -> pm.Model:
    """Build the engine's Weibull formation hazard with a number-of-parties x log(t) term.

    ``H(t) = ln 2 (a_1 / a_n) exp(eta) t**a_n / median**a_1`` with ``a_n = shape + gamma n``.
    The exponents of one and of ``max_parties`` parties are the free (positive) parameters, so
    every exponent in between is positive too. A formation of 0 days ended within the first day.

    Parameters
    ----------
    cabinets : xr.Dataset
        ``formed_cabinets`` output, dims (formation,).
    max_parties : int
        Number of parties held at this many, as the engine does.

    Returns
    -------
    pm.Model
        Free ``baseline_log_days``, ``exponent_one``, ``exponent_max``, ``duration_effect``
        (duration_term); deterministics ``baseline_shape`` and ``n_parties_log_t``.
    """
    n = np.minimum(cabinets["n_parties"].values, max_parties)
    days = cabinets["days"].values.astype(float)
    log_t = np.log(np.maximum(days, 1.0))
    with pm.Model(coords={DURATION_TERM: list(DURATION_TERMS)}) as model:
        # Log median days of a one-party majority cabinet formed after an election.
        log_median = pm.Normal("baseline_log_days", math.log(30.0), 1.5)
        a_one = pm.LogNormal("exponent_one", 0.0, 1.0)
        a_max = pm.LogNormal("exponent_max", 0.0, 1.0)
        gamma = pm.Deterministic("n_parties_log_t", (a_max - a_one) / (max_parties - 1))
        pm.Deterministic("baseline_shape", a_one - gamma)
        # Log hazard ratios: wider, larger and minority cabinets against the one-party majority.
        beta = pm.Normal("duration_effect", 0.0, DURATION_PRIOR_SD, dims=DURATION_TERM)
        eta = (
            beta[0] * cabinets["range"].values
            + beta[1] * (n - 1)
            + beta[2] * (cabinets["minority"].values)
        )
        a = a_one + gamma * (n - 1)
        log_h0 = math.log(math.log(2.0)) + pt.log(a_one) + eta - a_one * log_median
        cum_hazard = pt.exp(log_h0 - pt.log(a) + a * log_t)
        event = log_h0 + (a - 1.0) * log_t - cum_hazard
        within_first_day = pt.log1mexp(-cum_hazard)
        pm.Potential("days", pt.where(days > 0, event, within_first_day).sum())
    return model


def sample_model(
    model: pm.Model, *, seed: int, draws: int, tune: int, chains: int, backend: str = "nutpie"
) -> xr.DataTree:
    """Sample a fitting model (nutpie for real fits, PyMC's NUTS for small test fits)."""
    kwargs = dict(
        draws=draws, tune=tune, chains=chains, random_seed=seed, progressbar=False, model=model
    )
    if backend == "nutpie":
        return pm.sample(nuts_sampler="nutpie", **kwargs)
    return pm.sample(cores=1, compute_convergence_checks=False, **kwargs)


def _summary(post: xr.Dataset, name: str, dim: str | None = None) -> dict[str, tuple[float, float]]:
    """Posterior mean and sd of a variable, per coordinate of ``dim`` (or under its own name)."""
    var = post[name]
    mean, sd = var.mean(("chain", "draw")), var.std(("chain", "draw"))
    if dim is None:
        return {name: (float(mean), float(sd))}
    return {str(k): (float(mean.sel({dim: k})), float(sd.sel({dim: k}))) for k in var[dim].values}


def _effect_draws(tree: xr.DataTree, n: int, seed: int) -> xr.DataArray:
    """Up to ``n`` posterior draws of the formation coefficients, dims (sample, term)."""
    stacked = tree["posterior"]["formation_effect"].stack({SAMPLE: ("chain", "draw")})
    pick = np.random.default_rng(seed).permutation(stacked.sizes[SAMPLE])[:n]
    return stacked.isel({SAMPLE: pick}).drop_vars([SAMPLE, "chain", "draw"])


def _heldout_scores(
    cands: xr.Dataset, held_ids: np.ndarray, *, seed: int, **sampling: int
) -> tuple[dict[str, dict[str, float]], dict[str, float | int | bool | str]]:
    """Fit on the training formations and score the held-out ones against both baselines."""
    held = np.isin(cands["formation_id"].values, held_ids)
    train, heldout = cands.isel({COALITION: ~held}), cands.isel({COALITION: held})
    tree = sample_model(formation_model(train), seed=seed, **sampling)
    probabilities = {
        "conditional logit": model_probabilities(
            heldout, _effect_draws(tree, PREDICTIVE_DRAWS, seed)
        ),
        "uniform": baseline_probabilities(heldout),
        "largest party + minimal winning": baseline_probabilities(heldout, miss=lp_mw_miss(train)),
    }
    scores = {k: score_formations(heldout, p) for k, p in probabilities.items()}
    return scores, convergence_summary(tree, ["formation_effect"])


def fit_priors(
    out_path: Path, seed: int, *, draws: int = 1000, tune: int = 1000, chains: int = 4
) -> FitResult:
    """Fit the formation and duration models on ParlGov and write the priors they imply.

    Parameters
    ----------
    out_path : Path
        TOML file to write, in the shape of a spec's ``[formation]`` and ``[duration]`` sections.
    seed : int
        Seed of the held-out split and of the samplers.
    draws, tune, chains : int
        Sampler settings of each of the three fits (held-out, formation, duration).

    Returns
    -------
    FitResult
        Posterior mean and sd per coefficient, held-out scores by model and diagnostics.
    """
    sampling = dict(draws=draws, tune=tune, chains=chains)
    actors = formation_actors(read_formations())
    cands = candidate_sets(actors)
    ids = actors[FORMATION].values
    test = split_formations(ids, holdout=HOLDOUT, seed=seed)
    heldout, heldout_fit = _heldout_scores(cands, ids[test], seed=seed, **sampling)
    tree = sample_model(formation_model(cands), seed=seed + 1, **sampling)
    cabinets = formed_cabinets(cands, actors)
    dur = sample_model(duration_model(cabinets), seed=seed + 2, **sampling)
    post = dur["posterior"].to_dataset()
    duration = _summary(post, "duration_effect", DURATION_TERM)
    for name in ("n_parties_log_t", "baseline_log_days", "baseline_shape"):
        duration |= _summary(post, name)
    result = FitResult(
        formation=_summary(tree["posterior"].to_dataset(), "formation_effect", TERM),
        duration=duration,
        heldout=heldout,
        diagnostics={
            "held-out formation fit": heldout_fit,
            "formation fit": convergence_summary(tree, ["formation_effect"]),
            "duration fit": convergence_summary(
                dur, ["baseline_log_days", "exponent_one", "exponent_max", "duration_effect"]
            ),
        },
        facts={
            "n_formations": actors.sizes[FORMATION],
            "n_heldout": int(test.sum()),
            "n_candidates": cands.sizes[COALITION],
            "median_days": float(np.median(cabinets["days"].values)),
            "seed": seed,
        },
    )
    write_priors(out_path, result)
    return result
