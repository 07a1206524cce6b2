"""How well a formation model ranks the government that formed, against two baselines.

Scores are per formation: the rank of the formed cabinet among its candidates by probability
(1 = likeliest; ties share the mean of their ranks) and its log probability (the log score).
The baselines are a uniform draw over the candidates, and "largest party plus minimal winning":
the minimal winning coalitions that hold the largest party share ``1 - miss`` equally, the
other candidates ``miss``, where ``miss`` is the share of the training formations whose cabinet
was none of them (its maximum-likelihood value).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.dims import COALITION, SAMPLE
from forecast.government.candidate_sets import TERM

__all__ = ["baseline_probabilities", "lp_mw_miss", "model_probabilities", "score_formations"]


def _segments(cands: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Start of each formation's block of candidates, and each candidate's formation index."""
    ids = cands["formation_id"].values
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(ids)]))
    return starts, seg


def model_probabilities(cands: xr.Dataset, effect: xr.DataArray) -> xr.DataArray:
    """Posterior-predictive probability that each candidate forms: the softmax averaged over draws.

    Parameters
    ----------
    cands : xr.Dataset
        ``candidate_sets`` output: ``x`` (coalition, term).
    effect : xr.DataArray, dims (sample, term)
        Draws of the conditional-logit coefficients.

    Returns
    -------
    xr.DataArray, dims (coalition,)
        Sums to 1 within each formation.
    """
    starts, seg = _segments(cands)
    u = cands["x"].values @ effect.transpose(TERM, SAMPLE).sel({TERM: cands[TERM]}).values
    u -= np.maximum.reduceat(u, starts, axis=0)[seg]
    np.exp(u, out=u)
    u /= np.add.reduceat(u, starts, axis=0)[seg]
    return xr.DataArray(u.mean(axis=1), dims=COALITION)


def _lp_mw(cands: xr.Dataset) -> np.ndarray:
    """Whether each candidate is minimal winning and holds the largest party (coalition,)."""
    x = cands["x"]
    return (x.sel({TERM: "minimal_winning"}) > 0).values & (x.sel({TERM: "largest"}) > 0).values


def lp_mw_miss(cands: xr.Dataset) -> float:
    """Share of formations whose cabinet is not a minimal winning coalition with the largest."""
    formed = cands["formed"].values
    return float(1.0 - _lp_mw(cands)[formed].mean())


def baseline_probabilities(cands: xr.Dataset, *, miss: float | None = None) -> xr.DataArray:
    """Probability of each candidate under the uniform (``miss`` None) or the LP+MW baseline.

    Returns
    -------
    xr.DataArray, dims (coalition,)
        Sums to 1 within each formation; a formation with no LP+MW candidate is uniform.
    """
    starts, seg = _segments(cands)
    size = np.diff(np.r_[starts, len(seg)])[seg].astype(float)
    if miss is None:
        return xr.DataArray(1.0 / size, dims=COALITION)
    inside = _lp_mw(cands)
    n_in = np.add.reduceat(inside.astype(float), starts)[seg]
    n_out = size - n_in
    p = np.where(inside, (1.0 - miss) / np.maximum(n_in, 1), miss / np.maximum(n_out, 1))
    p = np.where(n_in == 0, 1.0 / size, np.where(n_out == 0, 1.0 / size, p))
    return xr.DataArray(p, dims=COALITION)


def score_formations(cands: xr.Dataset, p: xr.DataArray) -> dict[str, float]:
    """Rank and log score of the formed cabinets under candidate probabilities ``p``.

    Parameters
    ----------
    cands : xr.Dataset
        ``candidate_sets`` output with ``formed`` (coalition).
    p : xr.DataArray, dims (coalition,)
        Probabilities summing to 1 within each formation.

    Returns
    -------
    dict
        ``n_formations``, ``mean_rank``, ``median_rank``, ``top1`` (share ranked first),
        ``mean_log_score`` (natural log) and ``mean_candidates``.
    """
    starts, seg = _segments(cands)
    prob = p.values
    formed = cands["formed"].values
    pf = np.empty(len(starts))
    pf[seg[formed]] = prob[formed]
    above = np.add.reduceat((prob > pf[seg]).astype(float), starts)
    tied = np.add.reduceat((prob == pf[seg]).astype(float), starts)
    rank = 1.0 + above + (tied - 1.0) / 2.0
    return {
        "n_formations": len(starts),
        "mean_rank": float(rank.mean()),
        "median_rank": float(np.median(rank)),
        "top1": float((rank == 1.0).mean()),
        "mean_log_score": float(np.log(pf).mean()),
        "mean_candidates": float(len(seg) / len(starts)),
    }
