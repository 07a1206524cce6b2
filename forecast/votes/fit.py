"""``fit_model``: sample the posterior (nutpie by default, PyMC's NUTS as fallback).

The result is a ``Posterior``: an ``xr.DataTree`` with ArviZ's groups (``posterior``,
``sample_stats``, ...) whose attrs carry the spec hash, the package version, the seed, the
sampler used and the convergence summary. A fit that fails the convergence gate is refitted with
more tuning, a higher target acceptance and more draws (at most ``sampler.retries`` times, each
logged and kept in ``fit_attempts``); failing after that is loud in the logs and recorded as
``converged = false``; ``strict=True`` turns it into a ``ConvergenceError``.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from hashlib import sha256

import pymc as pm
import xarray as xr

from forecast import __version__
from forecast.data.spec import SamplerSpec
from forecast.errors import ConvergenceError
from forecast.votes.diagnostics import convergence_summary, report_convergence

__all__ = ["fit_model"]

log = logging.getLogger("forecast")


def digamma(x: float) -> float:
    """Compute digamma (as scipy.special.psi) in plain arithmetic, which numba can cache.

    Recurrence up to x >= 10, then the asymptotic series (error below 1e-15 there); reflection
    for negative x. Poles: -inf at 0, nan at the negative integers.
    """
    if x <= 0.0 and x == math.floor(x):
        return -math.inf if x == 0.0 else math.nan
    shift = 0.0
    if x < 0.0:
        shift = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return shift + math.log(x) - 0.5 / x - series


@functools.cache
def enable_compile_cache() -> None:
    """Let PyTensor cache the whole compiled log-density on disk, across processes.

    PyTensor's numba backend caches a function only if every op in it can be: its digamma (the
    gradient of the Dirichlet-multinomial's log-gamma terms) calls SciPy through a pointer and
    cannot, so every process would recompile the model from scratch (minutes). Registering
    :func:`digamma` for it makes the graph cacheable.
    """
    from pytensor.link.numba.dispatch.basic import numba_njit, register_funcify_and_cache_key
    from pytensor.scalar.math import Psi

    compiled = numba_njit(digamma)
    key = sha256(f"{Psi.__module__}.Psi:forecast.votes.fit.digamma:1".encode()).hexdigest()

    @register_funcify_and_cache_key(Psi)
    def _funcify_psi(op, node=None, **kwargs):
        return compiled, key


def escalate(sampler: SamplerSpec, attempt: int) -> SamplerSpec:
    """Return the sampler settings of a retry: the stated escalation after a failed gate.

    Retry ``k`` (1, 2) has ``2**k`` times the tuning steps (adaptation was too short), a target
    acceptance ``2**k`` times closer to 1 (smaller steps, fewer divergences) and ``1 + k / 2``
    times the draws (ESS grows with draws).
    """
    if attempt == 0:
        return sampler
    return sampler.model_copy(
        update={
            "tune": sampler.tune * 2**attempt,
            "target_accept": round(1 - (1 - sampler.target_accept) / 2**attempt, 4),
            "draws": int(sampler.draws * (1 + attempt / 2)),
        }
    )


def _sample(
    model: pm.Model, sampler: SamplerSpec, *, seed: int, backend: str, progress: bool
) -> xr.DataTree:
    kwargs = dict(
        draws=sampler.draws,
        tune=sampler.tune,
        chains=sampler.chains,
        target_accept=sampler.target_accept,
        random_seed=seed,
        progressbar=progress,
        model=model,
        compute_convergence_checks=False,
    )
    if backend == "nutpie":
        enable_compile_cache()
        options = {"low_rank_modified_mass_matrix": sampler.low_rank_mass_matrix}
        return pm.sample(nuts_sampler="nutpie", nuts=options, **kwargs)
    return pm.sample(cores=min(sampler.chains, 2), **kwargs)


def _log_retry(sampler: SamplerSpec, attempt: int) -> None:
    """Warn that fit ``attempt`` failed the gate and say the settings of the next one."""
    nxt = escalate(sampler, attempt + 1)
    log.warning(
        "convergence gate failed (fit %d of %d): refitting with tune %d, target_accept %.3f, "
        "draws %d",
        attempt + 1,
        sampler.retries + 1,
        nxt.tune,
        nxt.target_accept,
        nxt.draws,
    )


def _attempt_record(
    settings: SamplerSpec, summary: dict[str, float | int | bool], seconds: float
) -> dict[str, float | int | bool]:
    """Return one fit attempt's settings and diagnostics, as kept in the posterior's attrs."""
    keep = ("rhat_max", "ess_bulk_min", "divergences", "converged")
    return {
        "tune": settings.tune,
        "draws": settings.draws,
        "target_accept": settings.target_accept,
        **{k: summary[k] for k in keep},
        "seconds": round(seconds, 2),
    }


def fit_model(
    model: pm.Model,
    sampler: SamplerSpec,
    *,
    seed: int,
    spec_hash: str,
    progress: bool = True,
    strict: bool = False,
) -> xr.DataTree:
    """Sample the model's posterior and check convergence.

    Parameters
    ----------
    model : pm.Model
        From :func:`forecast.votes.model.build_model`.
    sampler : SamplerSpec
        Backend, chains, draws, tuning steps and target acceptance.
    seed : int
        Random seed; the same seed gives the same draws.
    spec_hash : str
        Identity of the spec and data the model was built from (stored in attrs).
    progress : bool
        Show the sampler's progress bar.
    strict : bool
        Raise :class:`ConvergenceError` instead of flagging a failed convergence gate.

    Returns
    -------
    xr.DataTree
        The Posterior, groups ``posterior`` (chain, draw, ...), ``sample_stats``; attrs
        ``spec_hash``, ``forecast_version``, ``seed``, ``sampler``, ``sampling_seconds``,
        ``rhat_max``, ``ess_bulk_min``, ``divergences``, ``converged`` (of the last fit) and
        ``fit_attempts``: each fit's settings and diagnostics. A fit that fails the gate is
        retried up to ``sampler.retries`` times with the settings of :func:`escalate`.
    """
    backend = sampler.backend
    free = [v.name for v in model.free_RVs]
    attempts: list[dict[str, float | int | bool]] = []
    for attempt in range(sampler.retries + 1):
        settings = escalate(sampler, attempt)
        start = time.perf_counter()
        try:
            tree = _sample(model, settings, seed=seed + attempt, backend=backend, progress=progress)
        except ImportError as exc:
            log.warning("nutpie is not usable here (%s); falling back to PyMC's NUTS", exc)
            backend = "pymc"
            tree = _sample(model, settings, seed=seed + attempt, backend=backend, progress=progress)
        seconds = time.perf_counter() - start
        summary = convergence_summary(tree, free)
        attempts.append(_attempt_record(settings, summary, seconds))
        report_convergence(summary)
        if summary["converged"] or attempt == sampler.retries:
            break
        _log_retry(sampler, attempt)
    if strict and not summary["converged"]:
        raise ConvergenceError(
            f"R-hat max {summary['rhat_max']}, bulk ESS min {summary['ess_bulk_min']}, "
            f"{summary['divergences']} divergences (worst: {summary['worst_parameter']})"
        )
    tree.attrs.update(
        {
            "spec_hash": spec_hash,
            "forecast_version": __version__,
            "seed": seed,
            "sampler": backend,
            "sampling_seconds": round(sum(a["seconds"] for a in attempts), 2),
            "fit_attempts": attempts,
            "free_parameters": free,
            **{k: (int(v) if isinstance(v, bool) else v) for k, v in summary.items()},
        }
    )
    return tree
