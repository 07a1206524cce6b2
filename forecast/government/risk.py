"""Conflict risk of each community given the government drawn in each sample.

Each community's power status under that government (senior or junior partner, powerless,
discriminated; downgraded or not) is coded in ``forecast.government.status``. Onset risk in the
coming group-year is a logit with the priors of Cederman, Gleditsch, Salehyan & Wucherpfennig
2013 (Table 1, model 1): powerless, discriminated, junior partner (senior partner is the
reference), downgraded, previous conflict, relative group size and log GDP per capita, plus two
judgemental terms: the community's share of the base of the plurality list when that list is
left out of government, and a formation that takes longer than ``duration.protracted_days``.
Relative group size is the balance-of-power measure of Cederman, Wimmer & Min (2010):
``g / (g + G)`` for a community out of power and ``g / G`` for one in power, ``G`` being the
population share of the communities in power. Coefficients are drawn per sample, so
``conflict_risk`` carries their uncertainty.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.data.spec import ForecastSpec
from forecast.data.spec_government import Coefficient
from forecast.dims import CI_BOUND, COALITION, COMMUNITY, PARTY, SAMPLE, check
from forecast.errors import SpecError
from forecast.government.coalitions import one_blas_thread
from forecast.government.priors import prior_table
from forecast.government.status import STATUSES, community_bases, community_status

__all__ = ["assess_risk", "default_risk_priors"]

CI_PROB = 0.9
_RISK_STREAM = 3

_CGSW = (
    "Cederman, Gleditsch, Salehyan & Wucherpfennig 2013, 'Transborder ethnic kin and civil war', "
    "International Organization 67(2):389-410, Table 1 model 1, group-year onset logit; value as "
    "given in issue #4, not read from the paper; sd judgemental"
)


def default_risk_priors() -> dict[str, Coefficient]:
    """Onset-logit priors used when the spec does not state a term (a fresh mapping).

    Returns
    -------
    dict of str to Coefficient
        One entry per risk term, each with its source.
    """
    return {
        "constant": Coefficient(mean=-5.770, sd=0.5, source=_CGSW),
        "powerless": Coefficient(mean=1.425, sd=0.3, source=_CGSW),
        "discriminated": Coefficient(mean=2.001, sd=0.3, source=_CGSW),
        "junior_partner": Coefficient(mean=0.839, sd=0.3, source=_CGSW),
        "downgraded": Coefficient(mean=1.576, sd=0.4, source=_CGSW),
        "previous_conflict": Coefficient(mean=0.557, sd=0.2, source=_CGSW),
        "relative_size": Coefficient(mean=1.389, sd=0.4, source=_CGSW),
        "log_gdp_per_capita": Coefficient(mean=-0.167, sd=0.08, source=_CGSW),
        "plurality_excluded": Coefficient(
            mean=0.0,
            sd=0.0,
            source="judgement: off unless the spec sets a value",
            judgemental=True,
        ),
        "protracted_formation": Coefficient(
            mean=0.0,
            sd=0.0,
            source="judgement: off unless the spec sets a value",
            judgemental=True,
        ),
    }


def _relative_size(status: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Measure the balance-of-power size: g/(g+G) out of power, g/G in power (sample, community)."""
    included = status <= 1
    power = (included * size).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(included, size / power, size / (size + power))
    return np.nan_to_num(rel, nan=0.0)


def _group_mean(values: np.ndarray, groups: np.ndarray, n_group: int) -> np.ndarray:
    """Average ``values`` (sample, ...) within each group; NaN for empty groups (group, ...)."""
    counts = np.bincount(groups, minlength=n_group).astype(float)
    flat = values.reshape(len(values), -1)
    sums = np.stack([np.bincount(groups, weights=col, minlength=n_group) for col in flat.T], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts[:, None]
    return means.reshape((n_group, *values.shape[1:]))


def _check_inputs(coalitions: xr.Dataset, seats: xr.Dataset, spec: ForecastSpec) -> None:
    """Raise unless formation has run, the spec has communities and ``seats`` is valid."""
    if "formation_days" not in coalitions:
        raise ValueError(
            "the coalition table has no formation_days: run predict_formation and "
            "predict_formation_days first"
        )
    if not spec.community:
        raise SpecError(
            "the spec has no [[community]]: conflict risk is per community",
            file=spec.source_file,
            where="[[community]]",
        )
    check(seats, "NationalSeats")


def _risk_coefficients(spec: ForecastSpec) -> dict[str, Coefficient]:
    """Merge the spec's risk terms over the defaults; raise if a GDP term lacks its figure."""
    coefs = {**default_risk_priors(), **spec.risk.coefficients}
    if spec.risk.log_gdp_per_capita is None and coefs["log_gdp_per_capita"].mean != 0:
        raise SpecError(
            "risk.log_gdp_per_capita is missing: the onset model has a log GDP per capita term; "
            "state the figure and its gdp_source",
            file=spec.source_file,
            where="key 'risk.log_gdp_per_capita'",
        )
    return coefs


def _in_government(coalitions: xr.Dataset, lists: list[str], formed: np.ndarray) -> np.ndarray:
    """Say which seat-draw lists sit in the government drawn in each sample: (sample, list)."""
    # Which seat-draw lists sit in each coalition: (coalition, list), by way of the actors.
    coalition_lists = coalitions["members"].values.astype(float) @ coalitions["actor_lists"].values
    order = [lists.index(str(p)) for p in coalitions["list"].values]
    in_gov = np.zeros((len(formed), len(lists)), dtype=bool)
    in_gov[:, order] = coalition_lists[formed] > 0
    return in_gov


def _plurality_excluded(w: np.ndarray, in_gov: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Give each community's share of the plurality list's base when that list is out of power.

    Returns
    -------
    np.ndarray, shape (sample, community)
        Zero in the samples where the plurality list is in the government.
    """
    plurality = w.argmax(axis=1)
    left_out = ~in_gov[np.arange(len(w)), plurality]
    return base[plurality] * left_out[:, None]


def _onset_risk(
    spec: ForecastSpec,
    coefs: dict[str, Coefficient],
    status: np.ndarray,
    downgraded: np.ndarray,
    plurality_share: np.ndarray,
    protracted: np.ndarray,
    seed: int,
) -> np.ndarray:
    """Draw the coefficients per sample and give the onset probability (sample, community).

    ``status``, ``downgraded`` and ``plurality_share`` are (sample, community), ``protracted``
    (sample,) says whether formation took longer than ``duration.protracted_days``.
    """
    size = np.array([c.relative_size for c in spec.community])
    previous = np.array([c.previous_conflict for c in spec.community], dtype=float)
    rng = np.random.default_rng([seed, _RISK_STREAM])
    beta = {k: rng.normal(c.mean, c.sd, size=(len(status), 1)) for k, c in coefs.items()}
    log_gdp = spec.risk.log_gdp_per_capita or 0.0
    eta = (
        beta["constant"]
        + beta["powerless"] * (status == 2)
        + beta["discriminated"] * (status == 3)
        + beta["junior_partner"] * (status == 1)
        + beta["downgraded"] * downgraded
        + beta["previous_conflict"] * previous
        + beta["relative_size"] * _relative_size(status, size)
        + beta["log_gdp_per_capita"] * log_gdp
        + beta["plurality_excluded"] * plurality_share
        + beta["protracted_formation"] * protracted[:, None]
    )
    return 1.0 / (1.0 + np.exp(-eta))


def _pivotal(
    in_gov: np.ndarray, gov_seats: np.ndarray, w: np.ndarray, base: np.ndarray, quota: int
) -> np.ndarray:
    """Say whether each community holds a critical list of the government (sample, community).

    A list is critical when the government holds the majority and would lose it without that
    list; it counts for each community that makes up at least half of its base.
    """
    total = gov_seats.sum(axis=1, keepdims=True)
    critical = in_gov & (total - w < quota) & (total >= quota)
    return (critical.astype(float) @ (base >= 0.5)) > 0


def _risk_draws(
    coalitions: xr.Dataset,
    seats: xr.Dataset,
    spec: ForecastSpec,
    coefs: dict[str, Coefficient],
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw each community's onset risk under the government of each sample, with its status.

    Returns
    -------
    risk, status, downgraded, pivotal : np.ndarray, shape (sample, community)
        Onset probability, status code (index into ``STATUSES``), whether the community is
        downgraded and whether it holds a critical list of the government.
    """
    formed = coalitions["formed"].values
    lists = [str(p) for p in seats[PARTY].values]
    w = seats["seats"].transpose(SAMPLE, PARTY).values.astype(float)
    base = community_bases(spec, lists)
    in_gov = _in_government(coalitions, lists, formed)
    gov_seats = w * in_gov
    status, downgraded = community_status(spec, lists, w, gov_seats, base)
    plurality_share = _plurality_excluded(w, in_gov, base)
    protracted = coalitions["formation_days"].values > spec.duration.protracted_days
    risk = _onset_risk(spec, coefs, status, downgraded, plurality_share, protracted, seed)
    pivotal = _pivotal(in_gov, gov_seats, w, base, int(coalitions.attrs["majority"]))
    return risk, status, downgraded, pivotal


def _summaries(
    risk: np.ndarray,
    any_onset: np.ndarray,
    status: np.ndarray,
    downgraded: np.ndarray,
    pivotal: np.ndarray,
) -> dict[str, tuple]:
    """Summarise onset risk and status of each community, and onset in any, over the samples."""
    q = (1 - CI_PROB) / 2
    return {
        "p_onset": ((COMMUNITY,), risk.mean(axis=0)),
        "p_onset_eti": ((COMMUNITY, CI_BOUND), np.quantile(risk, [q, 1 - q], axis=0).T),
        "p_onset_any": any_onset.mean(),
        "p_onset_any_eti": ((CI_BOUND,), np.quantile(any_onset, [q, 1 - q])),
        **{
            f"p_{name}": ((COMMUNITY,), (status == k).mean(axis=0))
            for k, name in enumerate(STATUSES)
        },
        "p_excluded": ((COMMUNITY,), (status >= 2).mean(axis=0)),
        "p_downgraded": ((COMMUNITY,), downgraded.mean(axis=0)),
        "p_pivotal": ((COMMUNITY,), pivotal.mean(axis=0)),
    }


def _by_government(
    risk: np.ndarray, any_onset: np.ndarray, formed: np.ndarray, n_coalition: int
) -> dict[str, tuple]:
    """Split onset risk by the drawn government: its probability, risk given it, its share."""
    n_sample = len(formed)
    counts = np.bincount(formed, minlength=n_coalition)
    given = _group_mean(risk, formed, n_coalition)
    any_given = _group_mean(any_onset, formed, n_coalition)
    p_formed = counts / n_sample
    p_any = any_onset.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        without = (any_onset.sum() - np.nan_to_num(any_given) * counts) / (n_sample - counts)
    return {
        "p_formed": ((COALITION,), p_formed),
        "p_onset_given": ((COALITION, COMMUNITY), given),
        "p_onset_any_given": ((COALITION,), any_given),
        "risk_contribution": ((COALITION,), p_formed * np.nan_to_num(any_given)),
        "risk_attributable": ((COALITION,), np.where(counts > 0, p_any - without, 0.0)),
    }


@one_blas_thread
def assess_risk(
    coalitions: xr.Dataset, seats: xr.Dataset, spec: ForecastSpec, *, seed: int
) -> xr.Dataset:
    """Assess the onset risk of each community in each sample, with summaries and by government.

    Parameters
    ----------
    coalitions : xr.Dataset
        ``CoalitionTable`` after ``predict_formation`` and ``predict_formation_days``.
    seats : xr.Dataset
        ``NationalSeats`` (or ``SeatDraws``): ``seats`` with dims (sample, party), every list
        including non-actors.
    spec : ForecastSpec
        ``community`` (size, previous conflict, discrimination), ``party`` community bases,
        ``law.quota`` communities, ``risk`` priors and covariates, ``duration.protracted_days``.
    seed : int
        Seed of the coefficient draws.

    Returns
    -------
    xr.Dataset
        ``RiskTable``: ``conflict_risk`` (sample, community), the one-year onset probability;
        ``status`` (sample, community), an index into ``STATUSES``; ``p_onset`` and
        ``p_onset_eti`` (community[, ci_bound]); ``p_onset_any`` and ``p_onset_any_eti``
        ([ci_bound]) for at least one community; ``p_senior_partner``, ``p_junior_partner``,
        ``p_powerless``, ``p_discriminated``, ``p_excluded``, ``p_downgraded``, ``p_pivotal``
        (community); by drawn government ``p_formed`` (coalition), ``p_onset_given``
        (coalition, community), ``p_onset_any_given``, ``risk_contribution`` (its share of
        ``p_onset_any``) and ``risk_attributable`` (how far ``p_onset_any`` falls without it)
        (coalition); ``formation_days_eti`` (ci_bound); attrs ``priors_risk`` (JSON) and the GDP
        figure with its source.

    Examples
    --------
    >>> from forecast.government.coalitions import score_coalitions
    >>> from forecast.government.duration import predict_formation_days
    >>> from forecast.government.formation import predict_formation
    >>> from forecast.testing import toy_seat_draws, toy_spec
    >>> spec = toy_spec(risk={"log_gdp_per_capita": 8.0, "gdp_source": "toy"})
    >>> seats = toy_seat_draws(100, {"alpha": 45, "beta": 35, "gamma": 20})
    >>> table = predict_formation(score_coalitions(seats, spec), spec, seed=1)
    >>> risk = assess_risk(predict_formation_days(table, spec, seed=2), seats, spec, seed=3)
    >>> bool(((risk["p_onset"] > 0) & (risk["p_onset"] < 1)).all())
    True
    """
    _check_inputs(coalitions, seats, spec)
    coefs = _risk_coefficients(spec)
    formed = coalitions["formed"].values
    risk, status, downgraded, pivotal = _risk_draws(coalitions, seats, spec, coefs, seed)
    any_onset = 1.0 - np.prod(1.0 - risk, axis=1)
    table = xr.Dataset(
        {
            "conflict_risk": ((SAMPLE, COMMUNITY), risk),
            "status": ((SAMPLE, COMMUNITY), status),
            **_summaries(risk, any_onset, status, downgraded, pivotal),
            **_by_government(risk, any_onset, formed, coalitions.sizes[COALITION]),
            "formation_days_eti": ((CI_BOUND,), coalitions["formation_days_eti"].values),
        },
        coords={
            SAMPLE: seats[SAMPLE].values,
            COMMUNITY: spec.community_ids,
            COALITION: coalitions[COALITION].values,
            CI_BOUND: ["lower", "upper"],
        },
        attrs={
            "sample_dims": [SAMPLE],
            "ci_kind": "eti",
            "ci_prob": CI_PROB,
            "horizon": "one group-year after the government forms",
            "priors_risk": prior_table(coefs),
            "log_gdp_per_capita": spec.risk.log_gdp_per_capita or 0.0,
            "gdp_source": spec.risk.gdp_source,
            "status_labels": list(STATUSES),
            "risk_seed": seed,
        },
    )
    return check(table, "RiskTable")
