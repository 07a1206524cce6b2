"""The terms of the conflict-risk logit: their priors, their values per sample, and the logit.

Onset follows Cederman, Gleditsch, Salehyan & Wucherpfennig 2013 (Table 1, model 1, read from
the paper into ``data/epr/cgsw2013_table1.csv``): EPR status (junior partner, powerless,
discriminated; senior partner is the reference), downgraded, previous conflicts, relative group
size, conflict of another group in the country, log GDP per capita and log population. Four
mechanisms are added, each a spec prior (judgement unless the spec cites an estimate):

- ``under_representation``: the community's shortfall of seats against its population share,
  ``max(0, 1 - seat share / population share)``; zero when seats follow population.
- ``plurality_excluded``: the community's share of the base of the plurality list when that
  list is out of government.
- ``protracted_formation``: formation took longer than ``duration.protracted_days``.
- ``continuation``: a community already fighting the state (``risk.ongoing_conflict``) is not
  at risk of onset but of the conflict going on or escalating within the year: its logit is
  ``continuation`` plus the status and mechanism terms, without the onset-only terms.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.data.spec import ForecastSpec
from forecast.data.spec_government import Coefficient
from forecast.data.tables import Column, read_table, text
from forecast.errors import SpecError, did_you_mean

__all__ = [
    "CGSW_CSV",
    "DRIVERS",
    "MECHANISMS",
    "ONSET_ONLY",
    "SHARED",
    "default_risk_priors",
    "logit",
    "risk_coefficients",
    "term_values",
    "under_representation",
]

CGSW_CSV = Path(__file__).resolve().parents[2] / "data" / "epr" / "cgsw2013_table1.csv"
# Terms of the onset logit only; of both logits; of the continuation logit only.
ONSET_ONLY = (
    "constant",
    "previous_conflict",
    "relative_size",
    "ongoing_elsewhere",
    "log_gdp_per_capita",
    "log_population",
)
SHARED = (
    "junior_partner",
    "powerless",
    "discriminated",
    "downgraded",
    "under_representation",
    "plurality_excluded",
    "protracted_formation",
)
# Terms whose share of the risk is reported: the community's own, not the country's level.
DRIVERS = ("previous_conflict", "relative_size", "ongoing_elsewhere", *SHARED, "continuation")
MECHANISMS = ("under_representation", "plurality_excluded", "protracted_formation", "continuation")
_COLUMNS = (
    Column("term", text),
    Column("coefficient", float),
    Column("robust_se", float),
    Column("paper_variable", text),
    Column("notes", text, allow_empty=True),
)
_CGSW = (
    "Cederman, Gleditsch, Salehyan & Wucherpfennig 2013, International Organization 67(2), "
    "Table 1 model 1 (group-year onset logit), read from the paper: coefficient and robust se "
    "(data/epr/cgsw2013_table1.csv)"
)


def default_risk_priors() -> dict[str, Coefficient]:
    """Risk priors used when the spec does not state a term (a fresh mapping).

    The onset terms are CGSW 2013's (mean = coefficient, sd = robust standard error); the four
    mechanisms are off (0) unless the spec gives them a value and its reason.
    """
    rows = {r["term"]: r for r in read_table(CGSW_CSV, _COLUMNS, key=("term",))}
    out = {
        t: Coefficient(
            mean=rows[t]["coefficient"],
            sd=rows[t]["robust_se"],
            source=f"{_CGSW}: '{rows[t]['paper_variable']}'",
            verified=True,
        )
        for t in (*ONSET_ONLY, "junior_partner", "powerless", "discriminated", "downgraded")
    }
    off = "judgement: off unless the spec sets a value and its reason"
    out |= {t: Coefficient(mean=0.0, sd=0.0, source=off, judgemental=True) for t in MECHANISMS}
    return out


def _require(spec: ForecastSpec, coefs: dict[str, Coefficient], term: str, field: str) -> None:
    """Raise when a country covariate with a non-zero coefficient is not stated."""
    if getattr(spec.risk, field) is None and coefs[term].mean != 0:
        raise SpecError(
            f"risk.{field} is missing: the onset model has a {term} term; state the figure and "
            "its source",
            file=spec.source_file,
            where=f"key 'risk.{field}'",
        )


def risk_coefficients(spec: ForecastSpec) -> dict[str, Coefficient]:
    """Merge the spec's risk terms over the defaults; check the covariates they need.

    A spec without ``risk.log_population`` leaves CGSW's population term out (recorded with its
    reason in the priors), so that specs written before the term still run.
    """
    coefs = {**default_risk_priors(), **spec.risk.coefficients}
    _require(spec, coefs, "log_gdp_per_capita", "log_gdp_per_capita")
    if spec.risk.log_population is None and "log_population" not in spec.risk.coefficients:
        coefs["log_population"] = Coefficient(
            mean=0.0,
            sd=0.0,
            source="left out: the spec states no risk.log_population (CGSW 2013's term is "
            "0.0827 per log thousand people)",
            judgemental=True,
        )
    _require(spec, coefs, "log_population", "log_population")
    known = set(spec.community_ids)
    for c in spec.risk.ongoing_conflict:
        if c not in known:
            raise SpecError(
                f"unknown community '{c}'{did_you_mean(c, known)}",
                file=spec.source_file,
                where="key 'risk.ongoing_conflict'",
            )
    if spec.risk.ongoing_conflict and "continuation" not in spec.risk.coefficients:
        raise SpecError(
            "risk.ongoing_conflict names communities at war but risk.coefficients.continuation "
            "is not given: state the continuation log-odds and its reason",
            file=spec.source_file,
            where="key 'risk.coefficients.continuation'",
        )
    return coefs


def under_representation(seats: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Give each community's shortfall of seats against population, in [0, 1].

    Parameters
    ----------
    seats : np.ndarray, shape (sample, community)
        Seats held by each community (lists' seats split by their community bases).
    size : np.ndarray, shape (community,)
        Population shares.

    Returns
    -------
    np.ndarray, shape (sample, community)
        ``max(0, 1 - seat share / population share)``: 0 when seats follow population, 1 for a
        community without seats.
    """
    house = np.maximum(seats.sum(axis=1, keepdims=True), 1e-12)
    pop = size / size.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (seats / house) / pop
    return np.clip(1.0 - np.nan_to_num(ratio, nan=1.0, posinf=1.0), 0.0, 1.0)


def _relative_size(status: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Measure the balance-of-power size: g/(g+G) out of power, g/G in power (sample, community)."""
    included = status <= 1
    power = (included * size).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(included, size / power, size / (size + power))
    return np.nan_to_num(rel, nan=0.0)


def term_values(
    spec: ForecastSpec,
    status: np.ndarray,
    downgraded: np.ndarray,
    seats: np.ndarray,
    plurality_share: np.ndarray,
    protracted: np.ndarray,
) -> dict[str, np.ndarray]:
    """Give every term's value for each sample and community: term -> array (sample, community).

    Onset-only terms are 0 for communities at war, ``continuation`` is 1 for them and 0 for
    the others, so one logit serves both. ``status``, ``downgraded``, ``seats`` (the
    community's seats) and ``plurality_share`` are (sample, community), ``protracted``
    (sample,).
    """
    size = np.array([c.relative_size for c in spec.community])
    ongoing = np.isin(spec.community_ids, spec.risk.ongoing_conflict)
    onset = (~ongoing).astype(float)
    elsewhere = (ongoing.sum() - ongoing) > 0
    previous = np.array([c.previous_conflict for c in spec.community], dtype=float)
    shape = status.shape
    values = {
        "constant": np.broadcast_to(onset, shape),
        "previous_conflict": np.broadcast_to(previous * onset, shape),
        "relative_size": _relative_size(status, size) * onset,
        "ongoing_elsewhere": np.broadcast_to(elsewhere * onset, shape),
        "log_gdp_per_capita": np.broadcast_to((spec.risk.log_gdp_per_capita or 0.0) * onset, shape),
        "log_population": np.broadcast_to((spec.risk.log_population or 0.0) * onset, shape),
        "junior_partner": (status == 1).astype(float),
        "powerless": (status == 2).astype(float),
        "discriminated": (status == 3).astype(float),
        "downgraded": downgraded.astype(float),
        "under_representation": under_representation(seats, size),
        "plurality_excluded": plurality_share,
        "protracted_formation": np.broadcast_to(protracted[:, None].astype(float), shape),
        "continuation": np.broadcast_to(ongoing.astype(float), shape),
    }
    return values


def logit(values: dict[str, np.ndarray], beta: dict[str, np.ndarray]) -> np.ndarray:
    """Sum ``beta_k x_k`` over the terms: the log-odds (sample, community)."""
    eta = np.zeros(next(iter(values.values())).shape)
    for k, x in values.items():
        eta += beta[k] * x
    return eta
