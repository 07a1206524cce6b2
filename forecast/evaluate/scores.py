"""Scores of one forecast against the truth: seats, vote shares, the government, its formation.

Lists scored are the target's contested lists (``spec.party_ids``) whose seats the truth
states (``lists_scored``; the others are ``lists_unknown``, never counted as zero), but the
pooled ones, which the law gives no seat (their actual seats are reported as
``pooled_seats_actual`` when the truth accounts for them); ``truth_seats`` is how many seats the
truth states and ``truth_complete`` whether they fill the house. Quota seats are fixed by law
and not scored (:func:`score_forecast`).

- per list: seat median, 50% and 90% central intervals (inverted-CDF quantiles, so seat
  counts), ``error`` = median - actual, ``inside_50``, ``inside_90``; ``coverage_50`` and
  ``coverage_90`` across lists; ``seat_mae``, the mean absolute error of the medians;
- ``log_score``: mean over lists of ``log p(actual seats)`` where ``p = 0.99 q + 0.01 /
  (house + 1)``, ``q`` the forecast's share of samples with exactly the actual seats: a 1%
  uniform mixture over 0..house seats, so that a forecast that gives the actual count no
  mass (every miss of a point forecast) scores a finite ``log(0.01 / (house + 1))`` instead
  of minus infinity. Higher is better, 0 is perfect;
- ``crps``: mean over lists of the sample CRPS ``E|X - y| - E|X - X'| / 2``, exact for the
  empirical distribution (from sorted samples); a point forecast scores ``|x - y|``. Lower
  is better;
- ``vote_share_mae``: by province and list, the median predicted share against the actual
  one, over the cells the truth reports. A share is of valid votes where the truth's
  ``turnout.csv`` gives them; elsewhere it is the share among the lists the truth reports
  in that province, and the predicted share is renormalised over the same lists. Null,
  with the reason in ``vote_share_note``, when the truth has no ``votes.csv``;
- ``government_rank`` (1 = the most likely candidate by ``p_form``; null when the actual
  government is not a candidate), ``p_government``, ``p_actual_pm``; the actual government
  is written in coalition actors (a list grouped into ``small_lists`` counts as that actor);
- ``formation_days_actual`` beside the forecast's median and 90% interval;
- ``calibration``: for central intervals of 10% to 90%, the share of lists inside.

:func:`headline` picks the scores that ``summary.json`` carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.errors import DataError
from forecast.evaluate.truth import Government, Truth

__all__ = ["CALIBRATION_LEVELS", "crps", "headline", "log_score", "score_forecast"]

UNIFORM_WEIGHT = 0.01
CALIBRATION_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def crps(samples: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Exact CRPS of the sample distribution of each column: ``E|X - y| - E|X - X'| / 2``.

    Parameters
    ----------
    samples : np.ndarray, shape (sample, k)
    actual : np.ndarray, shape (k,)

    Returns
    -------
    np.ndarray, shape (k,)
        For sorted samples ``sum_ij |x_i - x_j| = 2 sum_i (2i - n - 1) x_(i)`` (i from 1), so
        the pair term costs a sort, not ``n**2`` differences.
    """
    x = np.sort(np.asarray(samples, dtype=float), axis=0)
    n = x.shape[0]
    spread = np.abs(x - np.asarray(actual, dtype=float)).mean(axis=0)
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    return spread - (weights @ x) / n**2


def log_score(samples: np.ndarray, actual: np.ndarray, house: int) -> np.ndarray:
    """Log probability of the actual seats of each column, with 1% uniform over 0..house.

    Parameters
    ----------
    samples : np.ndarray, shape (sample, k)
        Seat draws.
    actual : np.ndarray, shape (k,)
    house : int
        House size: the uniform part spreads over ``house + 1`` seat counts.

    Returns
    -------
    np.ndarray, shape (k,)
    """
    hit = (np.asarray(samples) == np.asarray(actual)).mean(axis=0)
    return np.log((1 - UNIFORM_WEIGHT) * hit + UNIFORM_WEIGHT / (house + 1))


def _bounds(level: float) -> tuple[float, float]:
    # rounded so that the 50% and 90% intervals are the same quantiles everywhere
    return round((1 - level) / 2, 10), round((1 + level) / 2, 10)


def _seat_scores(seats: xr.DataArray, actual: xr.DataArray, house: int) -> dict[str, Any]:
    """Per-list intervals and errors, coverage, MAE, log score, CRPS and the calibration table."""
    parties = [str(p) for p in actual[dims.PARTY].values]
    x = seats.sel({dims.PARTY: parties}).transpose(dims.SAMPLE, dims.PARTY).values.astype(np.int64)
    y = actual.values.astype(np.int64)

    def interval(level: float) -> np.ndarray:
        return np.quantile(x, _bounds(level), axis=0, method="inverted_cdf")

    median = np.quantile(x, 0.5, axis=0, method="inverted_cdf")
    (lo50, hi50), (lo90, hi90) = interval(0.5), interval(0.9)
    list_crps, list_log = crps(x, y), log_score(x, y, house)
    inside50, inside90 = (lo50 <= y) & (y <= hi50), (lo90 <= y) & (y <= hi90)
    lists = [
        {
            "party": p,
            "actual_seats": int(y[k]),
            "seats_median": float(median[k]),
            "seats_lo90": float(lo90[k]),
            "seats_hi90": float(hi90[k]),
            "seats_lo50": float(lo50[k]),
            "seats_hi50": float(hi50[k]),
            "error": float(median[k] - y[k]),
            "inside_50": bool(inside50[k]),
            "inside_90": bool(inside90[k]),
            "crps": _r(list_crps[k]),
            "log_score": _r(list_log[k]),
        }
        for k, p in enumerate(parties)
    ]
    calibration = []
    for level in CALIBRATION_LEVELS:
        lo, hi = interval(level)
        calibration.append({"nominal": level, "empirical": _r(((lo <= y) & (y <= hi)).mean())})
    return {
        "lists": lists,
        "coverage_50": _r(inside50.mean()),
        "coverage_90": _r(inside90.mean()),
        "seat_mae": _r(np.abs(median - y).mean()),
        "log_score": _r(list_log.mean()),
        "crps": _r(list_crps.mean()),
        "calibration": calibration,
    }


def _vote_share_scores(votes: xr.Dataset, truth: Truth) -> dict[str, Any]:
    """Median predicted vote share against the actual one, by province and list."""
    if truth.votes is None:
        return {"vote_share_mae": None, "vote_share_note": "the truth folder has no votes.csv"}
    parties = [str(p) for p in votes[dims.PARTY].values]
    actual = truth.votes.sel({dims.PARTY: parties}).transpose(dims.PROVINCE, dims.PARTY)
    provinces = actual[dims.PROVINCE].values
    y = actual.values
    reported = np.isfinite(y)
    valid = truth.valid_votes.sel({dims.PROVINCE: provinces}).values
    on_valid = np.isfinite(valid)
    pv = (
        votes["votes"]
        .sel({dims.PROVINCE: provinces})
        .transpose(dims.SAMPLE, dims.PROVINCE, dims.PARTY)
    )
    pv = pv.values.astype(float)
    pvalid = (
        votes["valid_votes"].sel({dims.PROVINCE: provinces}).transpose(dims.SAMPLE, dims.PROVINCE)
    )
    # shares of valid votes where the truth gives them; elsewhere among the lists it reports
    denom = np.where(on_valid, pvalid.values, (pv * reported).sum(axis=-1))[..., None]
    pred = np.divide(pv, denom, out=np.zeros_like(pv), where=denom > 0)
    true_denom = np.where(on_valid, valid, np.nansum(y, axis=-1))[:, None]
    true = np.divide(y, true_denom, out=np.full_like(y, np.nan), where=reported & (true_denom > 0))
    cells = reported & np.isfinite(true)
    error = np.abs(np.median(pred, axis=0) - true)[cells]
    scored = cells.any(axis=1)
    note = (
        f"{int(cells.sum())} province-list cells: {int((scored & on_valid).sum())} provinces as "
        f"shares of valid votes, {int((scored & ~on_valid).sum())} as shares among the lists the "
        "truth reports there (the forecast renormalised over the same lists)"
    )
    return {"vote_share_mae": _r(error.mean()) if error.size else None, "vote_share_note": note}


def _actual_label(table: xr.Dataset, members: Sequence[str]) -> str | None:
    """Write the actual government as a coalition label over the actors, if each member is one."""
    lists = table["actor_lists"]
    actor_of = {
        str(name): str(actor)
        for actor in lists[dims.PARTY].values
        for name in lists[dims.LIST].values[lists.sel({dims.PARTY: actor}).values]
    }
    actors = [actor_of.get(m) for m in members]
    if None in actors:
        return None  # a member won no seat in any sample: no candidate holds it
    return "+".join(sorted(set(actors)))


def _government_scores(table: xr.Dataset, government: Government | None) -> dict[str, Any]:
    """Rank and probability of the actual government, probability of the actual PM's list."""
    if government is None:
        return {
            "government": None,
            "government_rank": None,
            "p_government": None,
            "p_actual_pm": None,
        }
    label = _actual_label(table, government.members)
    p_form = table["p_form"].to_series()
    if label in p_form.index:
        p = float(p_form[label])
        rank: int | None = int((p_form > p).sum()) + 1
    else:
        p, rank = 0.0, None
    p_pm = None
    if government.pm_party is not None:
        pm_label = _actual_label(table, [government.pm_party])
        p_pm = float(table["p_pm"].sel({dims.PARTY: pm_label})) if pm_label else 0.0
    return {
        "government": label,
        "government_rank": rank,
        "p_government": _r(p),
        "p_actual_pm": None if p_pm is None else _r(p_pm),
    }


def _days_scores(table: xr.Dataset, government: Government | None) -> dict[str, Any]:
    """Set the actual formation days beside the forecast's median and 90% interval."""
    actual = government.days if government is not None else None
    lo, hi = (
        float(table["formation_days_eti"].sel({dims.CI_BOUND: b})) for b in ("lower", "upper")
    )
    return {
        "formation_days_actual": actual,
        "formation_days_median": round(float(table["formation_days_median"]), 1),
        "formation_days_lo90": round(lo, 1),
        "formation_days_hi90": round(hi, 1),
        "formation_days_inside_90": None if actual is None else bool(lo <= actual <= hi),
    }


def score_forecast(
    votes: xr.Dataset, seats: xr.Dataset, table: xr.Dataset, truth: Truth, spec: ForecastSpec
) -> dict[str, Any]:
    """Every score of one forecast against the truth (the schema of ``backtest.json``).

    Parameters
    ----------
    votes : xr.Dataset
        VoteDraws: ``votes`` (sample, province, party), ``valid_votes`` (sample, province).
    seats : xr.Dataset
        SeatDraws: ``seats`` (sample, party).
    table : xr.Dataset
        CoalitionTable after ``predict_formation`` and ``predict_formation_days``.
    truth : Truth
        From :func:`read_truth`.
    spec : ForecastSpec
        Its contested lists are scored, except the pooled ones (which the law gives no seat);
        its house size bounds the log score's uniform part.

    Returns
    -------
    dict
        JSON-ready scores (see the module docstring).
    """
    known = truth.known
    candidates = [p for p in spec.party_ids if p not in spec.law.pooled]
    scored = [p for p in candidates if bool(known.sel({dims.PARTY: p}))]
    if not scored:
        raise DataError(
            "the truth states the seats of none of the spec's lists, so nothing can be scored",
            file=truth.folder / truth.seats_file,
            field="seats",
        )
    pooled = [p for p in spec.party_ids if p in spec.law.pooled]
    pooled_known = all(bool(known.sel({dims.PARTY: p})) for p in pooled)
    actual = truth.seats.sel({dims.PARTY: scored})
    return {
        "samples": int(seats.sizes[dims.SAMPLE]),
        "lists_scored": scored,
        "lists_unknown": [p for p in candidates if p not in scored],
        "truth_seats": int(truth.seats.where(known, 0).sum()),
        "truth_complete": truth.complete,
        "pooled_seats_actual": (
            int(truth.seats.sel({dims.PARTY: pooled}).sum()) if pooled_known else None
        ),
        **_seat_scores(seats["seats"].sel({dims.PARTY: scored}), actual, spec.law.house_size),
        **_vote_share_scores(votes, truth),
        **_government_scores(table, truth.government),
        **_days_scores(table, truth.government),
    }


def _r(x: float) -> float:
    """Round a score to 4 decimals for JSON."""
    return round(float(x), 4)


HEADLINE = (
    "lists_scored",
    "truth_seats",
    "truth_complete",
    "seat_mae",
    "coverage_50",
    "coverage_90",
    "log_score",
    "crps",
    "vote_share_mae",
    "government_rank",
    "p_government",
    "p_actual_pm",
    "formation_days_actual",
    "formation_days_median",
    "formation_days_lo90",
    "formation_days_hi90",
    "formation_days_inside_90",
    "calibration",
)


def headline(scores: Mapping[str, Any]) -> dict[str, Any]:
    """Pick the headline scores (the baselines' too): the ``backtest`` key of ``summary.json``."""
    pick = {k: scores.get(k) for k in HEADLINE}
    return {
        "truth": scores["truth"],
        "government": scores.get("government"),
        **pick,
        "baselines": {
            name: {k: b.get(k) for k in HEADLINE} for name, b in scores.get("baselines", {}).items()
        },
    }
