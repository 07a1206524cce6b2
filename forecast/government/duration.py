"""How long formation takes: days from the election to the government drawn in each sample.

Formation time follows the hazard model of Martin & Vanberg (2003) with a Weibull baseline:
``h(t | x) = h0(t) exp(beta . x) t**(gamma n)``, ``n`` the cabinet's number of parties (held at
``duration.max_parties``, the range of Martin & Vanberg's data) and ``gamma`` their
number-of-parties x log(t) term. The baseline is fixed by its median: a one-party majority
cabinet formed between elections, with no ideological range, takes ``exp(baseline_log_days)``
days at the median. With ``a = shape + gamma n`` the cumulative hazard is
``H(t | x) = ln 2 (a_ref / a) exp(beta . (x - x_ref)) t**a / median**a_ref``, inverted in closed
form for the draws; exponents are floored at 0.2 so that every formation ends.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.data.spec import ForecastSpec
from forecast.data.spec_government import Coefficient
from forecast.dims import CI_BOUND, SAMPLE
from forecast.government.priors import draw_coefficients, prior_table

__all__ = ["default_duration_priors", "predict_formation_days"]

CI_PROB = 0.9
_DURATION_STREAM = 2
_MIN_EXPONENT = 0.2

_CX = (
    "Martin & Vanberg 2003 (BJPS 33:323-344) Cox model re-estimated on their data in the coxed R "
    "package vignette (Kropko & Harden), printed summary(mv.cox): coef and se(coef) (secondary)"
)


def default_duration_priors() -> dict[str, Coefficient]:
    """Hazard-model priors used when the spec does not state a term (a fresh mapping).

    Returns
    -------
    dict of str to Coefficient
        The log-hazard terms plus ``baseline_log_days`` and ``baseline_shape``.
    """
    return {
        "post_election": Coefficient(mean=-0.57665, sd=0.16862, source=_CX + ": postel, HR 0.56"),
        "range": Coefficient(
            mean=-0.0264,
            sd=0.0149,
            source=(
                _CX + ": rgovm -0.21312 (se 0.12036), HR 0.81, per rgovm unit; judgement: the "
                "widest coalition of the vignette (rgovm 1.24) taken as 10 points of the bloc axis"
            ),
            judgemental=True,
        ),
        "n_parties": Coefficient(mean=1.19057, sd=0.12405, source=_CX + ": pgovno, HR 3.29"),
        "n_parties_log_t": Coefficient(
            mean=-0.43189, sd=0.03476, source=_CX + ": tpgovno, HR 0.65 (parties x log days)"
        ),
        "minority": Coefficient(mean=-0.42759, sd=0.20793, source=_CX + ": minority, HR 0.65"),
        "baseline_log_days": Coefficient(
            mean=float(np.log(10.0)),
            sd=0.5,
            source=(
                "judgement: a one-party majority cabinet formed between elections takes about 10 "
                "days at the median; the vignette's whole-sample median is 19 days"
            ),
            judgemental=True,
        ),
        "baseline_shape": Coefficient(
            mean=3.0,
            sd=0.3,
            source=(
                "judgement: Weibull shape large enough that the hazard stays increasing for "
                "cabinets of up to six parties under the parties x log(t) term"
            ),
            judgemental=True,
        ),
    }


def _duration_coefficients(spec: ForecastSpec) -> dict[str, Coefficient]:
    """Merge the spec's duration terms and baseline over the defaults."""
    coefs = {**default_duration_priors(), **spec.duration.coefficients}
    if spec.duration.baseline_log_days is not None:
        coefs["baseline_log_days"] = spec.duration.baseline_log_days
    if spec.duration.baseline_shape is not None:
        coefs["baseline_shape"] = spec.duration.baseline_shape
    return coefs


def _formed(coalitions: xr.Dataset) -> np.ndarray:
    """Return the drawn government of each sample; raise if formation has not run."""
    if "formed" not in coalitions:
        raise ValueError(
            "the coalition table has no 'formed' government: run predict_formation first"
        )
    return coalitions["formed"].values


def predict_formation_days(coalitions: xr.Dataset, spec: ForecastSpec, *, seed: int) -> xr.Dataset:
    """Draw the days from the election to the government of each sample, from the hazard model.

    Parameters
    ----------
    coalitions : xr.Dataset
        ``CoalitionTable`` after ``predict_formation``.
    spec : ForecastSpec
        ``duration`` priors (defaults: ``default_duration_priors``), its ``max_parties`` and
        ``protracted_days``.
    seed : int
        Seed of the coefficient and duration draws.

    Returns
    -------
    xr.Dataset
        The table with ``formation_days`` (sample), ``formation_days_median``,
        ``formation_days_eti`` (ci_bound), ``p_formation_over`` (the probability that formation
        takes longer than ``duration.protracted_days``, six months by default),
        ``p_formation_censored`` (no government by ``duration.max_days``), and attrs
        ``priors_duration`` (JSON).

    Examples
    --------
    >>> from forecast.government.coalitions import score_coalitions
    >>> from forecast.government.formation import predict_formation
    >>> from forecast.testing import toy_seat_draws, toy_spec
    >>> spec = toy_spec()
    >>> table = score_coalitions(toy_seat_draws(200, {"alpha": 45, "beta": 35, "gamma": 20}), spec)
    >>> days = predict_formation_days(predict_formation(table, spec, seed=1), spec, seed=2)
    >>> bool((days["formation_days"] > 0).all())
    True
    """
    formed = _formed(coalitions)
    coefs = _duration_coefficients(spec)
    n_sample = len(formed)
    rng = np.random.default_rng([seed, _DURATION_STREAM])
    beta = draw_coefficients(coefs, n_sample, rng)
    idx = np.arange(n_sample)
    n = np.minimum(coalitions["n_parties"].values[formed], spec.duration.max_parties).astype(float)
    span = coalitions["ideological_range"].values[formed]
    minority = ~coalitions["majority"].values[idx, formed]
    # Log hazard ratio against the reference: one-party majority, no range, between elections.
    log_hr = (
        beta["post_election"]
        + beta["range"] * span
        + beta["n_parties"] * (n - 1.0)
        + beta["minority"] * minority
    )
    shape = beta["baseline_shape"]
    a_ref = np.maximum(shape + beta["n_parties_log_t"], _MIN_EXPONENT)
    a = np.maximum(shape + beta["n_parties_log_t"] * n, _MIN_EXPONENT)
    log_median = beta["baseline_log_days"]
    e = rng.exponential(size=n_sample)
    log_days = (np.log(e * a / (np.log(2.0) * a_ref)) - log_hr + a_ref * log_median) / a
    # Censored at the end of the term: the fitted hazard's tail for cabinets of five or six
    # lists decays too slowly to be read beyond the durations in its data.
    days = np.minimum(np.exp(log_days), spec.duration.max_days)
    q = (1 - CI_PROB) / 2
    limit = spec.duration.protracted_days
    out = coalitions.assign(
        formation_days=((SAMPLE,), days),
        formation_days_median=float(np.median(days)),
        formation_days_eti=((CI_BOUND,), np.quantile(days, [q, 1 - q])),
        p_formation_over=float((days > limit).mean()),
        p_formation_censored=float((days >= spec.duration.max_days).mean()),
    )
    out["p_formation_over"].attrs["days"] = limit
    out.attrs.update(priors_duration=prior_table(coefs), duration_seed=seed)
    if CI_BOUND not in out.coords:
        out = out.assign_coords({CI_BOUND: ["lower", "upper"]})
    return out
