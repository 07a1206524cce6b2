"""Convergence summaries and posterior predictive checks.

The convergence gate is R-hat < 1.01 and bulk ESS > 400 over every free parameter, with the
number of divergent transitions reported. A fit that fails it is flagged in its attrs and logged
loudly; it is never silently accepted.
"""

from __future__ import annotations

import logging
import warnings

import arviz as az
import numpy as np
import xarray as xr

from forecast import dims

__all__ = ["RHAT_MAX", "ESS_MIN", "convergence_summary", "predictive_coverage"]

log = logging.getLogger("forecast")

RHAT_MAX = 1.01
ESS_MIN = 400


def convergence_summary(idata: az.InferenceData, var_names: list[str]) -> dict[str, float | int | bool]:
    """R-hat, bulk ESS and divergences over the free parameters of a fit.

    Parameters
    ----------
    idata : az.InferenceData
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
    rhat_max, worst = max((float(rhat[v].max()), v) for v in rhat.data_vars)
    ess_min = min(float(ess[v].min()) for v in ess.data_vars)
    divergences = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else 0
    converged = bool(rhat_max < RHAT_MAX and ess_min > ESS_MIN)
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
        f"{summary['ess_bulk_min']} (gate > {ESS_MIN}), {summary['divergences']} divergences"
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


def predictive_coverage(
    observed: np.ndarray, draws: np.ndarray, *, prob: float = 0.9
) -> float:
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
    out = ds.stack({dims.SAMPLE: (dims.CHAIN, dims.DRAW)}).drop_vars([dims.SAMPLE, dims.CHAIN, dims.DRAW])
    out = out.assign_coords({dims.SAMPLE: np.arange(out.sizes[dims.SAMPLE])}).transpose(dims.SAMPLE, ...)
    out.attrs["sample_dims"] = [dims.SAMPLE]
    return out
