"""Convergence summaries and posterior predictive checks.

The convergence gate is R-hat < 1.01 and bulk ESS > 400 over every free parameter, and no
divergent transition (a divergence says the sampler met geometry it could not follow, so the
draws may miss part of the posterior however good R-hat looks). A fit that fails it is retried
(``forecast.votes.fit``), then flagged in its attrs and logged loudly; it is never silently
accepted.
"""

from __future__ import annotations

import logging
import warnings

import arviz as az
import numpy as np
import xarray as xr

from forecast import dims
from forecast.votes.blocks import TURNOUT_NOISE_RATE, turnout_noise_draws

__all__ = [
    "RHAT_MAX",
    "ESS_MIN",
    "convergence_summary",
    "predictive_coverage",
    "turnout_coverage",
    "vote_share_coverage",
]

log = logging.getLogger("forecast")

RHAT_MAX = 1.01
ESS_MIN = 400


def convergence_summary(idata: xr.DataTree, var_names: list[str]) -> dict[str, float | int | bool]:
    """R-hat, bulk ESS and divergences over the free parameters of a fit.

    Parameters
    ----------
    idata : xr.DataTree
        With ``posterior`` (chain, draw, ...) and ``sample_stats``.
    var_names : list of str
        The free parameters (deterministics repeat them and constants have no R-hat).

    Returns
    -------
    dict
        ``rhat_max``, ``ess_bulk_min``, ``divergences``, ``converged`` and the worst parameter.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = az.rhat(idata, var_names=var_names)
        ess = az.ess(idata, var_names=var_names, method="bulk")
    # a parameter of size 0 (no lineage row with two shares, say) has nothing to diagnose
    sized = [v for v in rhat.data_vars if rhat[v].size]
    rhat_max, worst = max((float(rhat[v].max()), v) for v in sized)
    ess_min = min(float(ess[v].min()) for v in sized)
    divergences = (
        int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else 0
    )
    converged = bool(rhat_max < RHAT_MAX and ess_min > ESS_MIN and divergences == 0)
    return {
        "rhat_max": round(rhat_max, 4),
        "ess_bulk_min": round(ess_min, 1),
        "divergences": divergences,
        "converged": converged,
        "worst_parameter": worst,
    }


def report_convergence(summary: dict[str, float | int | bool]) -> None:
    """Log the convergence summary: a warning that cannot be missed when the gate fails."""
    line = (
        f"R-hat max {summary['rhat_max']} (gate < {RHAT_MAX}), bulk ESS min "
        f"{summary['ess_bulk_min']} (gate > {ESS_MIN}), {summary['divergences']} divergences "
        "(gate 0)"
    )
    if summary["converged"]:
        log.info("sampler converged: %s", line)
    else:
        log.warning(
            "SAMPLER DID NOT CONVERGE: %s; worst parameter %s. Results are flagged "
            "'converged = false'; do not rely on them.",
            line,
            summary["worst_parameter"],
        )
    if summary["divergences"]:
        log.warning("%d divergent transitions", summary["divergences"])


def predictive_coverage(observed: np.ndarray, draws: np.ndarray, *, prob: float = 0.9) -> float:
    """Share of observed values inside their central ``prob`` predictive interval.

    Parameters
    ----------
    observed : np.ndarray, shape (n,)
        Observed values (NaN ignored).
    draws : np.ndarray, shape (sample, n)
        Posterior predictive draws of the same quantities.
    """
    lo, hi = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    ok = np.isfinite(observed)
    return float(np.mean((observed[ok] >= lo[ok]) & (observed[ok] <= hi[ok])))


def stack_samples(ds: xr.Dataset) -> xr.Dataset:
    """Stack ``chain, draw`` into ``sample`` (an integer index), as downstream stages expect."""
    out = ds.stack({dims.SAMPLE: (dims.CHAIN, dims.DRAW)}).drop_vars(
        [dims.SAMPLE, dims.CHAIN, dims.DRAW]
    )
    out = out.assign_coords({dims.SAMPLE: np.arange(out.sizes[dims.SAMPLE])}).transpose(
        dims.SAMPLE, ...
    )
    out.attrs["sample_dims"] = [dims.SAMPLE]
    return out


def vote_share_coverage(
    posterior: xr.DataTree, data: xr.Dataset, elections: list[str], *, seed: int, draws: int = 400
) -> dict[str, dict[str, float]]:
    """Check how often past results fall inside their 90% posterior predictive intervals.

    For each past election and each province with reported lists, the reported lists' shares
    (and the share of all other lists, where the valid total is known) are compared with
    Dirichlet-multinomial draws from the fitted model, conditional on the same totals.

    Returns
    -------
    dict
        election -> ``coverage_90`` (share of observed shares inside their interval; about 0.9
        for a calibrated model) and ``n`` (how many shares were checked).
    """
    from forecast.votes.model import observed_cells

    rng = np.random.default_rng(seed)
    post = stack_samples(posterior["posterior"].to_dataset())
    pick = rng.choice(
        post.sizes[dims.SAMPLE], size=min(draws, post.sizes[dims.SAMPLE]), replace=False
    )
    out = {}
    for v, election in enumerate(elections):
        share = (
            post[f"past_share_{election}"].isel({dims.SAMPLE: pick}).values
        )  # (s, province, source)
        kappa = post["kappa"].isel({dims.SAMPLE: pick}).values[:, v]
        sources = [str(x) for x in post[f"source_{election}"].values]
        rows, counts, mask = observed_cells(data, election, sources[:-1])
        if not len(rows):
            continue
        listed = np.where(mask[None, :, :-1], share[:, rows, :-1], 0.0)
        rest = np.clip(1.0 - listed.sum(axis=-1, keepdims=True), 1e-9, 1.0)
        probs = np.where(mask[None], np.concatenate([listed, rest], axis=-1), 0.0)
        probs = probs / probs.sum(axis=-1, keepdims=True)
        n = counts.sum(axis=-1).astype(np.int64)
        gam = rng.gamma(np.maximum(kappa[:, None, None] * probs, 1e-12)) * mask[None]
        sim = rng.multinomial(
            np.broadcast_to(n, gam.shape[:2]), gam / gam.sum(axis=-1, keepdims=True)
        )
        sim_share = sim / n[None, :, None]
        obs_share = counts / n[:, None]
        lo, hi = np.quantile(sim_share, [0.05, 0.95], axis=0)
        inside = (obs_share >= lo) & (obs_share <= hi)
        out[election] = {"coverage_90": round(float(inside[mask].mean()), 3), "n": int(mask.sum())}
    return out


def turnout_coverage(
    posterior: xr.DataTree, data: xr.Dataset, *, seed: int, draws: int = 400
) -> dict[str, float]:
    """Share of observed turnout figures inside their 90% posterior predictive intervals."""
    rng = np.random.default_rng(seed)
    post = stack_samples(posterior["posterior"].to_dataset()[["turnout_all", TURNOUT_NOISE_RATE]])
    pick = rng.choice(
        post.sizes[dims.SAMPLE], size=min(draws, post.sizes[dims.SAMPLE]), replace=False
    )
    post = post.isel({dims.SAMPLE: pick})
    obs = data["turnout_pct"].values / 100.0
    ok = np.isfinite(obs)
    noise = turnout_noise_draws(post[TURNOUT_NOISE_RATE], int(ok.sum()), rng)
    eta = np.log(post["turnout_all"].values) - np.log1p(-post["turnout_all"].values)
    sim = eta + rng.normal(size=eta.shape) * noise.values[:, None, None]
    logit = np.log(obs[ok]) - np.log1p(-obs[ok])
    return {"coverage_90": round(predictive_coverage(logit, sim[:, ok]), 3), "n": int(ok.sum())}
