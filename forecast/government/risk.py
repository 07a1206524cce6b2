"""Conflict risk of each community given the government drawn in each sample.

Each community's power status under that government (senior or junior partner, powerless,
discriminated; downgraded or not) is coded in ``forecast.government.status``; the logit and its
terms (CGSW 2013's onset model read from the paper, plus under-representation, exclusion of the
plurality list's base, a protracted formation and the continuation of an ongoing conflict) are
in ``forecast.government.risk_terms``. Coefficients are drawn per sample, so ``conflict_risk``
carries their uncertainty. Beside the risk: how much each term adds to it (the risk with the
term set to 0, subtracted), and each community's risk had it held each status instead, the
others' governments as drawn (the "what if they were out of power" row).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.data.spec import ForecastSpec
from forecast.dims import CI_BOUND, COALITION, COMMUNITY, PARTY, SAMPLE, check
from forecast.errors import SpecError
from forecast.government.coalitions import one_blas_thread
from forecast.government.priors import prior_table
from forecast.government.risk_terms import DRIVERS, logit, risk_coefficients, term_values
from forecast.government.status import STATUSES, community_bases, community_status, status_rank

__all__ = ["POWER_STATUS", "RISK_TERM", "any_onset_of", "assess_risk"]

CI_PROB = 0.9
POWER_STATUS = "power_status"  # the what-if statuses, STATUSES
RISK_TERM = "risk_term"  # the terms whose share of the risk is reported, DRIVERS
_RISK_STREAM = 3


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
    coalitions: xr.Dataset, seats: xr.Dataset, spec: ForecastSpec, beta: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Draw each community's risk under the government of each sample, with what it came from.

    Returns
    -------
    dict of str to np.ndarray
        ``eta`` (log-odds), ``risk``, ``status``, ``downgraded``, ``before`` (rank under the
        outgoing government), ``pivotal``, ``seats`` (the community's seats), all (sample,
        community), and
        ``values``: term -> its value (sample, community).
    """
    formed = coalitions["formed"].values
    lists = [str(p) for p in seats[PARTY].values]
    w = seats["seats"].transpose(SAMPLE, PARTY).values.astype(float)
    base = community_bases(spec, lists)
    in_gov = _in_government(coalitions, lists, formed)
    gov_seats = w * in_gov
    status, downgraded, before = community_status(spec, lists, w, gov_seats, base)
    held = w @ base
    protracted = coalitions["formation_days"].values > spec.duration.protracted_days
    values = term_values(
        spec, status, downgraded, held, _plurality_excluded(w, in_gov, base), protracted
    )
    eta = logit(values, beta)
    return {
        "eta": eta,
        "risk": _sigmoid(eta),
        "status": status,
        "downgraded": downgraded,
        "before": before,
        "pivotal": _pivotal(in_gov, gov_seats, w, base, int(coalitions.attrs["majority"])),
        "seats": held,
        "values": values,
    }


def any_onset_of(risk: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Give P(at least one onset) per sample among the communities at risk of onset (sample,).

    Communities already at war (``onset`` False) are left out: theirs is a risk of continuation.
    """
    return 1.0 - np.prod(1.0 - risk[:, onset], axis=1)


def _sigmoid(eta: np.ndarray) -> np.ndarray:
    """Turn log-odds into probabilities."""
    return 1.0 / (1.0 + np.exp(-eta))


def _drivers(draws: dict[str, np.ndarray], beta: dict[str, np.ndarray]) -> dict[str, tuple]:
    """How much each term adds to each community's risk and to the risk of any onset.

    The added risk of a term is the mean risk minus the mean risk with that term set to 0.
    """
    risk, eta = draws["risk"], draws["eta"]
    onset = draws["values"]["constant"][0] > 0
    any_onset = any_onset_of(risk, onset)
    added = np.zeros((len(DRIVERS), risk.shape[1]))
    added_any = np.zeros(len(DRIVERS))
    for k, term in enumerate(DRIVERS):
        without = _sigmoid(eta - beta[term] * draws["values"][term])
        added[k] = risk.mean(axis=0) - without.mean(axis=0)
        added_any[k] = any_onset.mean() - any_onset_of(without, onset).mean()
    return {
        "risk_added": ((RISK_TERM, COMMUNITY), added),
        "p_onset_any_added": ((RISK_TERM,), added_any),
    }


def _what_if(
    spec: ForecastSpec, draws: dict[str, np.ndarray], beta: dict[str, np.ndarray]
) -> np.ndarray:
    """Each community's mean risk had it held each status, all else as drawn (community, status).

    Its status terms, downgrading (against its rank under the outgoing government) and relative
    size follow the status; the other communities keep theirs.
    """
    size = np.array([c.relative_size for c in spec.community])
    status, values = draws["status"], draws["values"]
    included = status <= 1
    power = (included * size).sum(axis=1)
    eta = draws["eta"]
    out = np.zeros((len(size), len(STATUSES)))
    for k in range(len(size)):
        onset = values["constant"][0, k]
        others = power - included[:, k] * size[k]
        fixed = eta[:, k] - sum(
            beta[t][:, 0] * values[t][:, k]
            for t in ("junior_partner", "powerless", "discriminated", "downgraded", "relative_size")
        )
        for s, name in enumerate(STATUSES):
            inside = s <= 1
            rel = size[k] / (others + size[k]) if inside else size[k] / (size[k] + others)
            down = status_rank(np.array([s]))[0] < draws["before"][:, k]
            terms = beta["downgraded"][:, 0] * down + beta["relative_size"][:, 0] * rel * onset
            if name != "senior_partner":
                terms = terms + beta[name][:, 0]
            out[k, s] = _sigmoid(fixed + terms).mean()
    return out


def _summaries(spec: ForecastSpec, draws: dict[str, np.ndarray], any_onset: np.ndarray) -> dict:
    """Summarise risk, status and mechanisms of each community, and onset in any, over samples."""
    q = (1 - CI_PROB) / 2
    risk, status, values = draws["risk"], draws["status"], draws["values"]
    size = np.array([c.relative_size for c in spec.community])
    house = np.maximum(draws["seats"].sum(axis=1, keepdims=True), 1e-12)
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
        "p_downgraded": ((COMMUNITY,), draws["downgraded"].mean(axis=0)),
        "p_pivotal": ((COMMUNITY,), draws["pivotal"].mean(axis=0)),
        "risk_kind": (
            (COMMUNITY,),
            np.where(values["continuation"][0] > 0, "continuation", "onset").astype(str),
        ),
        "population_share": ((COMMUNITY,), size / size.sum()),
        "seat_share": ((COMMUNITY,), (draws["seats"] / house).mean(axis=0)),
        "under_representation": ((COMMUNITY,), values["under_representation"].mean(axis=0)),
        "plurality_base_excluded": ((COMMUNITY,), values["plurality_excluded"].mean(axis=0)),
        "p_protracted": values["protracted_formation"][:, 0].mean(),
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


def _attrs(spec: ForecastSpec, priors: str, seed: int) -> dict:
    """Give the RiskTable's attrs: interval kind, horizon, priors, covariates and sources."""
    return {
        "sample_dims": [SAMPLE],
        "ci_kind": "eti",
        "ci_prob": CI_PROB,
        "horizon": "one group-year after the government forms",
        "priors_risk": priors,
        "log_gdp_per_capita": spec.risk.log_gdp_per_capita or 0.0,
        "gdp_source": spec.risk.gdp_source,
        "log_population": spec.risk.log_population or 0.0,
        "population_source": spec.risk.population_source,
        "ongoing_source": spec.risk.ongoing_source,
        "status_labels": list(STATUSES),
        "risk_seed": seed,
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
        ``RiskTable``: ``conflict_risk`` (sample, community), the one-year probability of onset
        (of continuation or escalation for a community already at war);
        ``status`` (sample, community), an index into ``STATUSES``; ``p_onset`` and
        ``p_onset_eti`` (community[, ci_bound]); ``p_onset_any`` and ``p_onset_any_eti``
        ([ci_bound]) for at least one onset among the communities not already at war;
        ``p_senior_partner``, ``p_junior_partner``,
        ``p_powerless``, ``p_discriminated``, ``p_excluded``, ``p_downgraded``, ``p_pivotal``
        (community); by drawn government ``p_formed`` (coalition), ``p_onset_given``
        (coalition, community), ``p_onset_any_given``, ``risk_contribution`` (its share of
        ``p_onset_any``) and ``risk_attributable`` (how far ``p_onset_any`` falls without it)
        (coalition); the mechanisms by community: ``risk_kind`` (onset, or continuation for a
        community at war), ``population_share``, ``seat_share``, ``under_representation``,
        ``plurality_base_excluded``, and ``p_protracted``; ``risk_added`` (risk_term, community)
        and ``p_onset_any_added`` (risk_term): the risk each term adds; ``p_onset_if_status``
        (community, power_status): the mean risk had the community held that status;
        ``formation_days_eti`` (ci_bound); attrs ``priors_risk`` (JSON) and the country
        covariates with their sources.

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
    coefs = risk_coefficients(spec)
    formed = coalitions["formed"].values
    rng = np.random.default_rng([seed, _RISK_STREAM])
    beta = {k: rng.normal(c.mean, c.sd, size=(len(formed), 1)) for k, c in coefs.items()}
    draws = _risk_draws(coalitions, seats, spec, beta)
    risk = draws["risk"]
    any_onset = any_onset_of(risk, draws["values"]["constant"][0] > 0)
    table = xr.Dataset(
        {
            "conflict_risk": ((SAMPLE, COMMUNITY), risk),
            "status": ((SAMPLE, COMMUNITY), draws["status"]),
            **_summaries(spec, draws, any_onset),
            **_drivers(draws, beta),
            "p_onset_if_status": ((COMMUNITY, POWER_STATUS), _what_if(spec, draws, beta)),
            **_by_government(risk, any_onset, formed, coalitions.sizes[COALITION]),
            "formation_days_eti": ((CI_BOUND,), coalitions["formation_days_eti"].values),
        },
        coords={
            SAMPLE: seats[SAMPLE].values,
            COMMUNITY: spec.community_ids,
            COALITION: coalitions[COALITION].values,
            CI_BOUND: ["lower", "upper"],
        }
        | {POWER_STATUS: list(STATUSES), RISK_TERM: list(DRIVERS)},
        attrs=_attrs(spec, prior_table(coefs), seed),
    )
    return check(table, "RiskTable")
