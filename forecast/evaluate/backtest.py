"""Backtest: forecast a past election from the evidence its spec allows, then score it.

:func:`run_backtest` runs the ordinary forecast (:func:`forecast.run.pipeline.run_forecast`, which
reads only the target's law tables, never its results), reads what actually happened from a
*truth* folder of the same format as an election folder under ``data/`` (:func:`read_truth`),
and scores the model and two baselines with the same functions.

Scores of one forecast (:func:`score_forecast`)
    Lists scored are the target's contested lists (``spec.party_ids``) but the pooled ones,
    which the law gives no seat (their actual seats are reported as ``pooled_seats_actual``);
    quota seats are fixed by law and not scored.

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

Baselines
    ``carry_forward`` (a point forecast): each province keeps the list shares of the most recent
    evidence election with lineage rows and results there (its votes in that province; else,
    where it was held there, its national totals), carried to the target lists by the lineage
    rows at their mean shares (past lists without a row, and votes of unreported lists, go to
    the pooled list); valid votes are the target electorate times the province's latest known
    turnout (else the mean over provinces); seats by the spec's law. ``uniform_swing`` (a
    distribution): in each posterior predictive sample, each list's national share in the model
    minus its carry-forward national share is added to every province's carry-forward share
    (clipped at 0, renormalised); seats by the law. Both get governments from the same coalition
    and formation stages, with the model's seeds.
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from rich.table import Table

from forecast import __version__, dims
from forecast.data.ingest import NATIONAL, PROVINCES, TURNOUT, VOTES
from forecast.data.lineage import lineage_elections
from forecast.data.spec import ForecastSpec
from forecast.data.tables import Column, count, read_table, text, write_atomic
from forecast.errors import DataError, SpecError, did_you_mean
from forecast.government.coalitions import score_coalitions
from forecast.government.formation import predict_formation, predict_formation_days
from forecast.run.pipeline import ForecastResult, run_forecast
from forecast.run.results import SUMMARY_FILE, save_result, summarise
from forecast.seats.law import allocate_seats
from forecast.votes.simulate import target_electorate

__all__ = [
    "BACKTEST_FILE",
    "Backtest",
    "Government",
    "Truth",
    "backtest_scores",
    "carry_forward_votes",
    "crps",
    "headline",
    "log_score",
    "read_truth",
    "refuse_leakage",
    "run_backtest",
    "score_forecast",
    "scores_table",
    "uniform_swing_votes",
]

log = logging.getLogger("forecast")

# Written beside a run; the report reads it so that re-rendering keeps its backtest section.
BACKTEST_FILE = "backtest.json"

UNIFORM_WEIGHT = 0.01
CALIBRATION_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# seats.csv: the votes table's key columns and metadata, with seats and their type.
SEATS = (
    *(c for c in VOTES if c.name in ("province", "party")),
    Column("seats", count),
    Column("seat_type", text, required=False, allow_empty=True),
    *(c for c in VOTES if c.name not in ("province", "party", "votes")),
)
NATIONAL_ROW = "national"  # seats.csv rows of seats won nationally (quota, compensatory)


# ---- the truth -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Government:
    """The government that formed after the election (``government.toml``)."""

    members: tuple[str, ...]
    pm_party: str | None
    days: float | None


@dataclass(frozen=True)
class Truth:
    """What happened in the target election, in the spec's lists.

    ``seats`` (party,) covers the spec's lists and quota lists; ``district_seats``
    (province, party) and ``votes`` (province, party; NaN = not reported) cover the contested
    lists; ``valid_votes`` (province,) is NaN where unknown; ``pooled`` maps each truth list
    that is not a spec list to the pooled list that took it.
    """

    folder: Path
    seats: xr.DataArray
    seats_file: str
    district_seats: xr.DataArray | None
    votes: xr.DataArray | None
    valid_votes: xr.DataArray | None
    government: Government | None
    pooled: dict[str, str]


class _Lists:
    """Maps the truth's list slugs onto the spec's, pooling the unknown ones."""

    def __init__(self, spec: ForecastSpec) -> None:
        self.contested = spec.party_ids
        self.quota = list(dict.fromkeys(q.party for q in spec.law.quota))
        self.all = [*self.contested, *(q for q in self.quota if q not in self.contested)]
        pooled = [p for p in spec.law.pooled if p in self.contested]
        self.pool = pooled[0] if pooled else None
        self.pooled: dict[str, str] = {}

    def map(self, path: Path, row: Mapping[str, Any]) -> str:
        party = row["party"]
        if party in self.all:
            return party
        if self.pool is None:
            raise DataError(
                f"list '{party}' is not a list of the spec{did_you_mean(party, self.all)}, and the "
                f"spec has no pooled list (law.pooled) to take it; known: {', '.join(self.all)}",
                file=path,
                where=f"row {row['_row']}",
                field="party",
            )
        self.pooled[party] = self.pool
        return self.pool


def _check_province(path: Path, row: Mapping[str, Any], known: Sequence[str]) -> None:
    if row["province"] not in known:
        raise DataError(
            f"unknown province '{row['province']}'{did_you_mean(row['province'], known)}; "
            f"known: {', '.join(known)}",
            file=path,
            where=f"row {row['_row']}",
            field="province",
        )


def _national_seats(folder: Path, lists: _Lists) -> tuple[dict[str, int], dict[str, int]] | None:
    """Seats per list from ``national.csv`` (mapped, and as written) when it has seats."""
    path = folder / "national.csv"
    if not path.exists():
        return None
    rows = [r for r in read_table(path, NATIONAL, key=("party",)) if r["party"] != "total"]
    rows = [r for r in rows if r["seats"] is not None]
    if not rows:
        return None
    mapped: dict[str, int] = {}
    raw: dict[str, int] = {}
    for r in rows:
        party = lists.map(path, r)
        mapped[party] = mapped.get(party, 0) + r["seats"]
        raw[r["party"]] = r["seats"]
    return mapped, raw


def _check_same_seats(
    folder: Path, national: Mapping[str, int], rows: list[dict[str, Any]]
) -> None:
    """Refuse a truth whose national.csv and seats.csv disagree on a list's seats."""
    summed: dict[str, int] = {}
    for r in rows:
        summed[r["party"]] = summed.get(r["party"], 0) + r["seats"]
    for party in sorted(set(national) | set(summed)):
        a, b = national.get(party, 0), summed.get(party, 0)
        if a != b:
            raise DataError(
                f"list '{party}' has {a} seats here but its rows in seats.csv add up to {b}",
                file=folder / "national.csv",
                field="seats",
            )


def _seats(
    folder: Path, lists: _Lists, provinces: list[str], house: int
) -> tuple[xr.DataArray, str, xr.DataArray | None]:
    national = _national_seats(folder, lists)
    path = folder / "seats.csv"
    rows = (
        read_table(path, SEATS, key=("province", "party", "seat_type")) if path.exists() else None
    )
    if national is None and rows is None:
        raise DataError(
            "the truth folder needs the seats won: national.csv with a 'seats' column, or "
            "seats.csv",
            file=folder,
        )
    district = None
    if rows is not None:
        parties = lists.contested
        district = xr.DataArray(
            np.zeros((len(provinces), len(parties)), dtype=np.int64),
            dims=(dims.PROVINCE, dims.PARTY),
            coords={dims.PROVINCE: provinces, dims.PARTY: parties},
        )
        summed: dict[str, int] = {}
        for r in rows:
            if r["province"] != NATIONAL_ROW:
                _check_province(path, r, provinces)
            party = lists.map(path, r)
            summed[party] = summed.get(party, 0) + r["seats"]
            if r["province"] != NATIONAL_ROW and r["seat_type"] in (None, "district"):
                if party not in parties:
                    raise DataError(
                        f"quota list '{party}' holds district seats; give its seats with "
                        "seat_type 'quota'",
                        file=path,
                        where=f"row {r['_row']}",
                        field="seat_type",
                    )
                district.loc[{dims.PROVINCE: r["province"], dims.PARTY: party}] += r["seats"]
        if national is not None:
            _check_same_seats(folder, national[1], rows)
    seats, source = (national[0], "national.csv") if national is not None else (summed, "seats.csv")
    total = sum(seats.values())
    if total > house:
        raise DataError(
            f"the lists' seats add up to {total}, more than the house of {house} in the spec",
            file=folder / source,
            field="seats",
        )
    actual = xr.DataArray(
        [seats.get(p, 0) for p in lists.all], dims=dims.PARTY, coords={dims.PARTY: lists.all}
    )
    return actual, source, district


def _votes(
    folder: Path, lists: _Lists, provinces: list[str]
) -> tuple[xr.DataArray | None, xr.DataArray | None]:
    path = folder / "votes.csv"
    if not path.exists():
        return None, None
    parties = lists.contested
    votes = np.full((len(provinces), len(parties)), np.nan)
    last_row = {}
    for r in read_table(path, VOTES, key=("province", "party")):
        _check_province(path, r, provinces)
        party = lists.map(path, r)
        if party not in parties or r["votes"] is None:
            continue  # quota lists stand in separate contests; an empty cell is a gap
        i, k = provinces.index(r["province"]), parties.index(party)
        votes[i, k] = np.nansum([votes[i, k], r["votes"]])
        last_row[r["province"]] = r["_row"]
    valid = np.full(len(provinces), np.nan)
    turnout = folder / "turnout.csv"
    if turnout.exists():
        for r in read_table(turnout, TURNOUT, key=("province",)):
            _check_province(turnout, r, provinces)
            if r["valid"] is not None:
                valid[provinces.index(r["province"])] = r["valid"]
    for i, province in enumerate(provinces):
        total = np.nansum(votes[i])
        if np.isfinite(valid[i]) and total > valid[i]:
            raise DataError(
                f"list votes in {province} add up to {total:.0f}, more than the "
                f"{valid[i]:.0f} valid votes in turnout.csv",
                file=path,
                where=f"row {last_row[province]}",
                field="votes",
            )
    coords = {dims.PROVINCE: provinces, dims.PARTY: parties}
    return (
        xr.DataArray(votes, dims=(dims.PROVINCE, dims.PARTY), coords=coords),
        xr.DataArray(valid, dims=dims.PROVINCE, coords={dims.PROVINCE: provinces}),
    )


def _government(folder: Path, lists: _Lists) -> Government | None:
    path = folder / "government.toml"
    if not path.exists():
        return None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid TOML: {exc}", file=path) from None
    members = raw.get("members")
    if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
        raise DataError(
            'expected a non-empty list of list slugs, e.g. members = ["a", "b"]',
            file=path,
            where="key 'members'",
        )
    pm = raw.get("pm_party")
    for key, names in (("members", members), ("pm_party", [pm] if pm is not None else [])):
        for name in names:
            if not isinstance(name, str) or name not in lists.all:
                raise DataError(
                    f"unknown list '{name}'{did_you_mean(name, lists.all)}; known: "
                    f"{', '.join(lists.all)}",
                    file=path,
                    where=f"key '{key}'",
                )
    days = raw.get("days")
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int | float) or days < 0
    ):
        raise DataError(
            f"expected a number of days >= 0, got {days!r}", file=path, where="key 'days'"
        )
    return Government(tuple(dict.fromkeys(members)), pm, None if days is None else float(days))


def read_truth(folder: Path, spec: ForecastSpec) -> Truth:
    """Read the actual results of the target election from an election folder.

    Parameters
    ----------
    folder : Path
        The truth folder: ``national.csv`` (``seats``) and/or ``seats.csv``
        (``province,party,seats[,seat_type]``, province ``national`` for seats won nationally);
        optionally ``votes.csv``, ``turnout.csv`` (``valid``) and ``government.toml``
        (``members``, ``pm_party``, ``days``).
    spec : ForecastSpec
        Its lists, quota lists, pooled list, provinces and house size.

    Returns
    -------
    Truth
        Actual seats per list (``national.csv`` when it has seats, else the sum of
        ``seats.csv``), seats and votes by province when given, and the government.

    Raises
    ------
    DataError
        Naming the file, row or key, and field: unknown provinces, lists that are not spec
        lists when the spec has no pooled list, unknown lists in ``government.toml``, seats
        over the house size, ``national.csv`` and ``seats.csv`` disagreeing, malformed cells.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("truth folder not found", file=folder)
    rows = read_table(spec.resolve(spec.data.provinces), PROVINCES, key=("province",))
    provinces = [r["province"] for r in rows]
    lists = _Lists(spec)
    seats, source, district = _seats(folder, lists, provinces, spec.law.house_size)
    votes, valid = _votes(folder, lists, provinces)
    government = _government(folder, lists)
    return Truth(folder, seats, source, district, votes, valid, government, dict(lists.pooled))


def refuse_leakage(spec: ForecastSpec, truth_dir: Path) -> None:
    """Refuse a truth folder that the forecast is fitted to (one of the spec's evidence folders)."""
    truth = Path(truth_dir).resolve()
    for i, e in enumerate(spec.evidence):
        if spec.resolve(e.path) == truth:
            raise SpecError(
                f"evidence election '{e.id}' is the truth folder {truth_dir}: the forecast would "
                "be scored against results it was fitted to; remove it from the evidence or "
                "choose the target election's results",
                file=spec.source_file,
                where=f"key 'evidence[{i}].path'",
            )


# ---- scores --------------------------------------------------------------------------------------


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
        "log_score": _r(log_score(x, y, house).mean()),
        "crps": _r(crps(x, y).mean()),
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
    scored = [p for p in spec.party_ids if p not in spec.law.pooled]
    pooled = [p for p in spec.party_ids if p in spec.law.pooled]
    actual = truth.seats.sel({dims.PARTY: scored})
    return {
        "samples": int(seats.sizes[dims.SAMPLE]),
        "pooled_seats_actual": int(truth.seats.sel({dims.PARTY: pooled}).sum()),
        **_seat_scores(seats["seats"].sel({dims.PARTY: scored}), actual, spec.law.house_size),
        **_vote_share_scores(votes, truth),
        **_government_scores(table, truth.government),
        **_days_scores(table, truth.government),
    }


def _r(x: float) -> float:
    return round(float(x), 4)


# ---- baselines -----------------------------------------------------------------------------------


def _past_shares(data: xr.Dataset, election: str) -> tuple[np.ndarray, np.ndarray]:
    """Each province's list shares in a past election (province, party), NaN rows where it has none.

    A province's own votes where the election reports them; else the election's national shares
    where it was held there (``voted``; everywhere when it reported no province votes at all).
    Shares are of valid votes where they are known and cover the reported lists, else of the
    reported lists' votes. The second array (province,) is the share of lists not reported.
    """
    d = data.sel({dims.ELECTION: election})
    votes = d["votes"].transpose(dims.PROVINCE, dims.PARTY).values
    own = np.isfinite(votes).any(axis=1)
    national = d["national_votes"].values
    by_nation = ~own & (d["voted"].values | ~own.any()) & np.isfinite(national).any()
    votes = np.where(own[:, None], np.nan_to_num(votes), np.nan_to_num(national))
    valid = np.where(own, d["valid_votes"].values, float(d["national_valid"]))
    reported = votes.sum(axis=1)
    base = np.where(np.isfinite(valid) & (valid >= reported), valid, reported)
    has = (own | by_nation) & (base > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(has[:, None], votes / base[:, None], np.nan)
        rest = np.where(has, 1 - reported / base, np.nan)
    return shares, rest


def _lineage_matrix(
    data: xr.Dataset, spec: ForecastSpec, election: str, pool: str | None
) -> np.ndarray:
    """(past party, target party): lineage mean shares; lists without a row go to the pool."""
    targets = spec.party_ids
    past = [str(p) for p in data[dims.PARTY].values]
    out = np.zeros((len(past), len(targets)))
    if pool is not None:
        out[:, targets.index(pool)] = 1.0
    for row in spec.lineage:
        if row.election == election and row.source in past:
            i = past.index(row.source)
            out[i] = 0.0
            for target, w in row.shares.items():
                out[i, targets.index(target)] = w
    return out


def _latest_turnout(data: xr.Dataset, spec: ForecastSpec) -> np.ndarray:
    """Each province's latest known turnout in the evidence (else the mean of the others)."""
    latest = np.full(data.sizes[dims.PROVINCE], np.nan)
    for e in sorted(spec.evidence, key=lambda e: e.date):
        d = data.sel({dims.ELECTION: e.id})
        rate = (d["turnout_pct"] / 100).fillna(d["valid_votes"] / d["registered"]).values
        latest = np.where(np.isfinite(rate), rate, latest)
    if not np.isfinite(latest).any():
        raise SpecError(
            "no evidence election gives a turnout: the carry-forward baseline needs one",
            file=spec.source_file,
            where="key 'evidence'",
        )
    return np.where(np.isfinite(latest), latest, np.nanmean(latest))


def _vote_draws(
    votes: np.ndarray, registered: np.ndarray, data: xr.Dataset, spec: ForecastSpec
) -> xr.Dataset:
    """VoteDraws from integer votes (sample, province, party); valid votes are their sums."""
    valid = votes.sum(axis=-1)
    return dims.check(
        xr.Dataset(
            {
                "votes": ((dims.SAMPLE, dims.PROVINCE, dims.PARTY), votes),
                "valid_votes": ((dims.SAMPLE, dims.PROVINCE), valid),
                "turnout": ((dims.SAMPLE, dims.PROVINCE), valid / registered),
            },
            coords={
                dims.SAMPLE: np.arange(votes.shape[0]),
                dims.PROVINCE: data[dims.PROVINCE].values,
                dims.PARTY: spec.party_ids,
            },
            attrs={"sample_dims": [dims.SAMPLE]},
        ),
        "VoteDraws",
    )


def carry_forward_votes(data: xr.Dataset, spec: ForecastSpec) -> xr.Dataset:
    """Draw the carry-forward baseline's votes: one sample (see the module docstring).

    Parameters
    ----------
    data : xr.Dataset
        ElectionData, dims (election, province, party).
    spec : ForecastSpec
        Lineage rows, lists, pooled list, evidence and electorate.

    Returns
    -------
    xr.Dataset
        VoteDraws with one sample: ``votes`` (sample, province, party), ``valid_votes`` and
        ``turnout`` (sample, province).
    """
    pools = [p for p in spec.law.pooled if p in spec.party_ids]
    pool = pools[0] if pools else None
    n_province = data.sizes[dims.PROVINCE]
    shares = np.full((n_province, len(spec.party_ids)), np.nan)
    for election in reversed(lineage_elections(spec)):  # most recent first
        past, rest = _past_shares(data, election)
        todo = np.isnan(shares).all(axis=1) & np.isfinite(past).any(axis=1)
        carried = np.nan_to_num(past) @ _lineage_matrix(data, spec, election, pool)
        if pool is not None:  # votes of lists the election did not report
            carried[:, spec.party_ids.index(pool)] += np.nan_to_num(rest)
        shares[todo] = carried[todo]
    missing = np.isnan(shares).all(axis=1)
    if missing.any():
        province = str(data[dims.PROVINCE].values[np.argmax(missing)])
        raise SpecError(
            f"no evidence election with lineage rows has results in province '{province}': the "
            "carry-forward baseline has nothing to carry",
            file=spec.source_file,
            where="key 'lineage'",
        )
    shares = shares / shares.sum(axis=1, keepdims=True)
    registered = target_electorate(data, spec).values
    valid = registered * _latest_turnout(data, spec)
    votes = np.rint(shares * valid[:, None]).astype(np.int64)
    return _vote_draws(votes[None], registered, data, spec)


def uniform_swing_votes(
    model: xr.Dataset, base: xr.Dataset, data: xr.Dataset, spec: ForecastSpec
) -> xr.Dataset:
    """Draw the uniform-swing baseline's votes: the model's national swing on the carry-forward map.

    Parameters
    ----------
    model : xr.Dataset
        The model's VoteDraws, dims (sample, province, party).
    base : xr.Dataset
        The carry-forward VoteDraws (one sample).
    data : xr.Dataset
        ElectionData (provinces, electorate).
    spec : ForecastSpec
        Lists and electorate.

    Returns
    -------
    xr.Dataset
        VoteDraws with the model's samples; valid votes are the carry-forward ones.
    """
    national = model["votes"].sum(dims.PROVINCE) / model["valid_votes"].sum(dims.PROVINCE)
    b = base.isel({dims.SAMPLE: 0}, drop=True)
    b_share = b["votes"] / b["valid_votes"]
    b_national = b["votes"].sum(dims.PROVINCE) / b["valid_votes"].sum(dims.PROVINCE)
    share = (b_share + (national - b_national)).clip(min=0)
    share = share / share.sum(dims.PARTY)
    votes = (share * b["valid_votes"]).round().transpose(dims.SAMPLE, dims.PROVINCE, dims.PARTY)
    registered = target_electorate(data, spec).values
    return _vote_draws(votes.values.astype(np.int64), registered, data, spec)


def _government_stages(seats: xr.Dataset, spec: ForecastSpec, seed: int) -> xr.Dataset:
    """Run the coalition, formation and formation-time stages, seeded as in the pipeline."""
    table = score_coalitions(seats, spec)
    table = predict_formation(table, spec, seed=seed + 3)
    return predict_formation_days(table, spec, seed=seed + 4)


def _baseline(
    votes: xr.Dataset, result: ForecastResult, truth: Truth, *, repeat: int = 1
) -> dict[str, Any]:
    """Seats by the spec's law and every score of a baseline's votes.

    ``repeat`` copies a point forecast's seats over that many samples for the formation stage
    only, so that its probabilities average over the same number of coefficient draws as the
    model's; the seat scores see the single sample.
    """
    spec, seed = result.spec, result.seed
    magnitude = result.data["magnitude"].sel({dims.ELECTION: spec.election.id}).astype(int)
    seats = allocate_seats(
        votes["votes"], magnitude, spec.law, valid_votes=votes["valid_votes"], seed=seed + 2
    )
    many = seats.isel({dims.SAMPLE: np.zeros(repeat, dtype=int)}) if repeat > 1 else seats
    many = many.assign_coords({dims.SAMPLE: np.arange(many.sizes[dims.SAMPLE])})
    table = _government_stages(many, spec, seed)
    return score_forecast(votes, seats, table, truth, spec)


# ---- the whole backtest --------------------------------------------------------------------------


def backtest_scores(result: ForecastResult, truth: Truth) -> dict[str, Any]:
    """Score the model and the baselines: the content of ``backtest.json``.

    Parameters
    ----------
    result : ForecastResult
        The forecast of the target election.
    truth : Truth
        Its actual results.

    Returns
    -------
    dict
        Identity (``election``, ``truth``, ``spec_hash``, ``seed``, ``version``), the actual
        government, ``pooled_lists``, ``log_score_rule``, the model's scores (see
        :func:`score_forecast`) and ``baselines``: name -> the same scores.
    """
    spec = result.spec
    model = score_forecast(result.votes, result.seats, result.coalitions, truth, spec)
    base = carry_forward_votes(result.data, spec)
    swing = uniform_swing_votes(result.votes, base, result.data, spec)
    n = result.seats.sizes[dims.SAMPLE]
    baselines = {
        "carry_forward": _baseline(base, result, truth, repeat=n),
        "uniform_swing": _baseline(swing, result, truth),
    }
    gov = truth.government
    folder = truth.folder.resolve()
    return {
        "election": spec.election.id,
        "truth": str(folder.relative_to(spec.root) if folder.is_relative_to(spec.root) else folder),
        "seats_from": truth.seats_file,
        "spec_hash": result.spec_hash,
        "seed": result.seed,
        "version": __version__,
        "actual_government": None
        if gov is None
        else {"members": list(gov.members), "pm_party": gov.pm_party, "days": gov.days},
        "pooled_lists": truth.pooled,
        "log_score_rule": (
            f"log of 0.99 x P(actual seats) + 0.01 / (house + 1): {UNIFORM_WEIGHT:.0%} uniform "
            "over "
            f"0..{spec.law.house_size} seats, so a miss scores a finite penalty"
        ),
        **model,
        "baselines": baselines,
    }


HEADLINE = (
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


@dataclass(frozen=True)
class Backtest:
    """A finished backtest: the forecast, its scores (``backtest.json``) and the files written."""

    result: ForecastResult
    scores: dict[str, Any]
    paths: dict[str, Path]


def run_backtest(
    spec: ForecastSpec,
    truth_dir: Path,
    *,
    out_dir: Path | None = None,
    seed: int | None = None,
    samples: int | None = None,
    progress: bool = True,
) -> Backtest:
    """Forecast the spec's target election and score it and the baselines against the truth.

    Parameters
    ----------
    spec : ForecastSpec
        The forecast; only its evidence is fitted.
    truth_dir : Path
        Folder of the actual results (see :func:`read_truth`); read here only, never by the
        forecast, and never one of the spec's evidence folders.
    out_dir : Path, optional
        Output folder (as for ``forecast run``; a saved posterior of the same spec, data and
        seed there is reused).
    seed : int, optional
        Random seed; defaults to the spec's.
    samples : int, optional
        Posterior predictive samples; defaults to the spec's.
    progress : bool
        Show progress bars.

    Returns
    -------
    Backtest
        Writes the run's files, ``backtest.json`` and ``summary.json`` with a ``backtest`` key;
        the report (:func:`forecast.report.render.render_report`) reads them.

    Raises
    ------
    SpecError
        When the truth folder is an evidence folder of the spec.
    DataError
        When a truth file is malformed (naming file, row and field).
    """
    refuse_leakage(spec, truth_dir)
    truth = read_truth(truth_dir, spec)  # before the fit: a bad truth folder fails fast
    result = run_forecast(spec, seed=seed, draws=samples, out_dir=out_dir, progress=progress)
    scores = backtest_scores(result, truth)
    log.info("backtest scored: seat MAE %.2f, CRPS %.2f", scores["seat_mae"], scores["crps"])
    paths = save_result(result)
    summary = json.dumps({**summarise(result), "backtest": headline(scores)}, indent=2)
    paths["summary"] = write_atomic(
        result.out_dir / SUMMARY_FILE, lambda tmp: tmp.write_text(summary)
    )
    payload = json.dumps(scores, indent=2)
    paths["backtest"] = write_atomic(
        result.out_dir / BACKTEST_FILE, lambda tmp: tmp.write_text(payload)
    )
    return Backtest(result, scores, paths)


_SCORE_ROWS = (
    ("seat_mae", "Seat MAE (median)", "{:.2f}"),
    ("coverage_50", "Lists inside 50% interval", "{:.0%}"),
    ("coverage_90", "Lists inside 90% interval", "{:.0%}"),
    ("log_score", "Log score (higher is better)", "{:.3f}"),
    ("crps", "CRPS of seats (lower is better)", "{:.2f}"),
    ("vote_share_mae", "Vote share MAE", "{:.3f}"),
    ("government_rank", "Rank of the actual government", "{}"),
    ("p_government", "P(actual government)", "{:.3f}"),
    ("p_actual_pm", "P(actual PM's list)", "{:.3f}"),
)


def scores_table(scores: Mapping[str, Any]) -> Table:
    """Lay out the model's and the baselines' headline scores as a table for the terminal."""
    forecasts = {"model": scores, **scores.get("baselines", {})}
    table = Table(title=f"Backtest of {scores['election']} against {scores['truth']}")
    table.add_column("score")
    for name in forecasts:
        table.add_column(name.replace("_", " "), justify="right")
    for key, label, fmt in _SCORE_ROWS:
        cells = [
            fmt.format(f[key]) if f.get(key) is not None else "n/a" for f in forecasts.values()
        ]
        table.add_row(label, *cells)
    return table
