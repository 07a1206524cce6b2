"""Conflict risk of each community given the government drawn in each sample.

A community's *status* follows the Ethnic Power Relations coding used by Cederman, Gleditsch,
Salehyan & Wucherpfennig (2013): seats are split among communities by each list's
``community_base`` (quota seats belong to their quota's community), and a community is in power
when at least ``risk.inclusion_share`` of its seats sit in the government. The community in power
with the most government seats is the *senior partner*, the others in power *junior partners*;
a community out of power is *powerless*, or *discriminated* if the spec flags it so. It is
*downgraded* when its rank (senior > junior > out of power) falls below its rank under the
incumbent government (``risk.incumbent_status``, or else the incumbent lists' seats in the same
sample).

Onset risk in the coming group-year is a logit with the priors of CGSW 2013 (Table 1, model 1):
powerless, discriminated, junior partner (senior partner is the reference), downgraded,
previous conflict, relative group size and log GDP per capita, plus two judgemental terms: the
community's share of the base of the plurality list when that list is left out of government,
and a formation that takes longer than ``duration.protracted_days``. Relative group size is the
balance-of-power measure of Cederman, Wimmer & Min (2010): ``g / (g + G)`` for a community out of
power and ``g / G`` for one in power, ``G`` being the population share of the communities in
power. Coefficients are drawn per sample, so ``conflict_risk`` carries their uncertainty.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.data.spec import Coefficient, ForecastSpec
from forecast.dims import CI_BOUND, COALITION, COMMUNITY, PARTY, SAMPLE, check
from forecast.errors import SpecError
from forecast.government.coalitions import one_blas_thread
from forecast.government.formation import prior_table

__all__ = ["STATUSES", "assess_risk", "default_risk_priors"]

CI_PROB = 0.9
STATUSES = ("senior_partner", "junior_partner", "powerless", "discriminated")
_RANK = {"senior_partner": 2, "junior_partner": 1, "powerless": 0, "discriminated": 0}
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


def _community_bases(spec: ForecastSpec, lists: list[str]) -> np.ndarray:
    """Share of each list's seats that belongs to each community: array (list, community)."""
    index = {c: k for k, c in enumerate(spec.community_ids)}
    base = np.zeros((len(lists), len(index)))
    shares = {p.id: p.community_base for p in spec.party}
    shares.update({q.party: {q.community: 1.0} for q in spec.law.quota})
    for i, name in enumerate(lists):
        for community, share in shares.get(name, {}).items():
            base[i, index[community]] = share
    return base


def _status(
    gov: np.ndarray, house: np.ndarray, share: float, discriminated: np.ndarray
) -> np.ndarray:
    """Status code (index into STATUSES) of each community: array (sample, community), int8."""
    included = (house > 0) & (gov >= share * house)
    senior = np.where(included, gov, -1.0).argmax(axis=1)
    status = np.where(included, 1, np.where(discriminated, 3, 2)).astype(np.int8)
    rows = np.flatnonzero(included.any(axis=1))
    status[rows, senior[rows]] = 0
    return status


def _ranks(status: np.ndarray) -> np.ndarray:
    return np.array([_RANK[s] for s in STATUSES])[status]


def _incumbent_rank(
    spec: ForecastSpec, lists: list[str], seats: np.ndarray, base: np.ndarray, house: np.ndarray
) -> np.ndarray:
    """Rank of each community under the outgoing government: array (sample, community)."""
    stated = spec.risk.incumbent_status
    if stated:
        missing = [c for c in spec.community_ids if c not in stated]
        if missing:
            raise SpecError(
                f"risk.incumbent_status lacks {', '.join(missing)}; give every community",
                file=spec.source_file,
                where="key 'risk.incumbent_status'",
            )
        ranks = np.array([_RANK[stated[c]] for c in spec.community_ids])
        return np.broadcast_to(ranks, house.shape)
    incumbent = np.isin(lists, spec.coalitions.incumbent)
    gov = (seats * incumbent) @ base
    discriminated = np.array([c.discriminated for c in spec.community])
    return _ranks(_status(gov, house, spec.risk.inclusion_share, discriminated))


def _relative_size(status: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Balance-of-power group size: g/(g+G) out of power, g/G in power (sample, community)."""
    included = status <= 1
    power = (included * size).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(included, size / power, size / (size + power))
    return np.nan_to_num(rel, nan=0.0)


def _group_mean(values: np.ndarray, groups: np.ndarray, n_group: int) -> np.ndarray:
    """Mean of ``values`` (sample, ...) within each group; NaN for empty groups (group, ...)."""
    counts = np.bincount(groups, minlength=n_group).astype(float)
    flat = values.reshape(len(values), -1)
    sums = np.stack([np.bincount(groups, weights=col, minlength=n_group) for col in flat.T], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts[:, None]
    return means.reshape((n_group, *values.shape[1:]))


@one_blas_thread
def assess_risk(
    coalitions: xr.Dataset, seats: xr.Dataset, spec: ForecastSpec, *, seed: int
) -> xr.Dataset:
    """Onset risk of each community in each sample, its summaries and its split by government.

    Parameters
    ----------
    coalitions : xr.Dataset
        ``CoalitionTable`` after ``predict_formation`` and ``predict_formation_days``.
    seats : xr.Dataset
        ``NationalSeats`` (or ``SeatDraws``): ``seats`` with dims (sample, party), every list including non-actors.
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
    >>> from forecast.government.formation import predict_formation, predict_formation_days
    >>> from forecast.testing import toy_seat_draws, toy_spec
    >>> spec = toy_spec(risk={"log_gdp_per_capita": 8.0, "gdp_source": "toy"})
    >>> seats = toy_seat_draws(100, {"alpha": 45, "beta": 35, "gamma": 20})
    >>> table = predict_formation(score_coalitions(seats, spec), spec, seed=1)
    >>> risk = assess_risk(predict_formation_days(table, spec, seed=2), seats, spec, seed=3)
    >>> bool(((risk["p_onset"] > 0) & (risk["p_onset"] < 1)).all())
    True
    """
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
    coefs = {**default_risk_priors(), **spec.risk.coefficients}
    if spec.risk.log_gdp_per_capita is None and coefs["log_gdp_per_capita"].mean != 0:
        raise SpecError(
            "risk.log_gdp_per_capita is missing: the onset model has a log GDP per capita term; "
            "state the figure and its gdp_source",
            file=spec.source_file,
            where="key 'risk.log_gdp_per_capita'",
        )
    formed = coalitions["formed"].values
    n_sample = len(formed)
    lists = [str(p) for p in seats[PARTY].values]
    w = seats["seats"].transpose(SAMPLE, PARTY).values.astype(float)
    base = _community_bases(spec, lists)
    house = w @ base
    # Which seat-draw lists sit in each coalition: (coalition, list), by way of the actors.
    coalition_lists = coalitions["members"].values.astype(float) @ coalitions["actor_lists"].values
    order = [lists.index(str(p)) for p in coalitions["list"].values]
    in_gov = np.zeros((n_sample, len(lists)), dtype=bool)
    in_gov[:, order] = coalition_lists[formed] > 0
    gov_seats = w * in_gov
    gov = gov_seats @ base
    discriminated = np.array([c.discriminated for c in spec.community])
    status = _status(gov, house, spec.risk.inclusion_share, discriminated)
    downgraded = _ranks(status) < _incumbent_rank(spec, lists, w, base, house)
    size = np.array([c.relative_size for c in spec.community])
    previous = np.array([c.previous_conflict for c in spec.community], dtype=float)
    plurality = w.argmax(axis=1)
    left_out = ~in_gov[np.arange(n_sample), plurality]
    plurality_share = base[plurality] * left_out[:, None]
    protracted = coalitions["formation_days"].values > spec.duration.protracted_days
    rng = np.random.default_rng([seed, _RISK_STREAM])
    beta = {k: rng.normal(c.mean, c.sd, size=(n_sample, 1)) for k, c in coefs.items()}
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
    risk = 1.0 / (1.0 + np.exp(-eta))
    any_onset = 1.0 - np.prod(1.0 - risk, axis=1)
    total = gov_seats.sum(axis=1, keepdims=True)
    quota = int(coalitions.attrs["majority"])
    critical = in_gov & (total - w < quota) & (total >= quota)
    pivotal = (critical.astype(float) @ (base >= 0.5)) > 0
    n_coalition = coalitions.sizes[COALITION]
    counts = np.bincount(formed, minlength=n_coalition)
    given = _group_mean(risk, formed, n_coalition)
    any_given = _group_mean(any_onset, formed, n_coalition)
    p_formed = counts / n_sample
    p_any = any_onset.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        without = (any_onset.sum() - np.nan_to_num(any_given) * counts) / (n_sample - counts)
    q = (1 - CI_PROB) / 2
    table = xr.Dataset(
        {
            "conflict_risk": ((SAMPLE, COMMUNITY), risk),
            "status": ((SAMPLE, COMMUNITY), status),
            "p_onset": ((COMMUNITY,), risk.mean(axis=0)),
            "p_onset_eti": ((COMMUNITY, CI_BOUND), np.quantile(risk, [q, 1 - q], axis=0).T),
            "p_onset_any": p_any,
            "p_onset_any_eti": ((CI_BOUND,), np.quantile(any_onset, [q, 1 - q])),
            **{
                f"p_{name}": ((COMMUNITY,), (status == k).mean(axis=0))
                for k, name in enumerate(STATUSES)
            },
            "p_excluded": ((COMMUNITY,), (status >= 2).mean(axis=0)),
            "p_downgraded": ((COMMUNITY,), downgraded.mean(axis=0)),
            "p_pivotal": ((COMMUNITY,), pivotal.mean(axis=0)),
            "p_formed": ((COALITION,), p_formed),
            "p_onset_given": ((COALITION, COMMUNITY), given),
            "p_onset_any_given": ((COALITION,), any_given),
            "risk_contribution": ((COALITION,), p_formed * np.nan_to_num(any_given)),
            "risk_attributable": ((COALITION,), np.where(counts > 0, p_any - without, 0.0)),
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
            "log_gdp_per_capita": log_gdp,
            "gdp_source": spec.risk.gdp_source,
            "status_labels": list(STATUSES),
            "risk_seed": seed,
        },
    )
    return check(table, "RiskTable")
