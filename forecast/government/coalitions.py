"""Score candidate governments on each seat draw: seats, majority and minimal-winning status.

``coalition_candidates`` chooses the actors and candidate governments once (the rule is in
``forecast.government.candidates``); ``score_coalitions`` then gives each candidate its seats,
whether it holds the majority and whether it is minimal winning in every sample, with its
ideological range and connectedness on the spec's bloc axis. ``attrs["mw_coverage"]`` says which
share of the screened minimal-winning mass the candidates hold.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from forecast.data.spec import ForecastSpec
from forecast.dims import CI_BOUND, COALITION, LIST, PARTY, SAMPLE, check
from forecast.errors import SpecError, did_you_mean
from forecast.government.candidates import candidate_masks, coalition_actors, mask_members

__all__ = [
    "coalition_candidates",
    "int_quantiles",
    "member_seats",
    "one_blas_thread",
    "score_coalitions",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

CI_PROB = 0.9
_CANDIDATE_RULE = (
    "single lists, grand coalition, incumbent, pacts, then minimal winning coalitions "
    "by frequency with their one-list surplus extensions, up to max_candidates"
)


def one_blas_thread(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``fn`` with BLAS on one thread.

    The products of the coalition stage are skinny (a dozen actors, a few communities); a second
    BLAS thread only spins between them and takes a core from the rest of the work.
    """

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


def _positions(
    spec: ForecastSpec, ids: list[str], lists: np.ndarray, names: list[str]
) -> np.ndarray:
    """Position of each actor on the spec's bloc axis; NaN for actors without a placed bloc."""
    blocs = {p.id: p.bloc for p in spec.party}
    known = set(blocs.values())
    for bloc in spec.coalitions.bloc_positions:
        if bloc not in known:
            raise SpecError(
                f"unknown bloc '{bloc}'{did_you_mean(bloc, known)}",
                file=spec.source_file,
                where="key 'coalitions.bloc_positions'",
            )
    pos = np.full(len(ids), np.nan)
    for i in range(len(ids)):
        members = [names[k] for k in np.flatnonzero(lists[i])]
        placed = {spec.coalitions.bloc_positions.get(blocs.get(p, ""), np.nan) for p in members}
        placed = {x for x in placed if np.isfinite(x)}
        if len(placed) == 1:
            pos[i] = placed.pop()
    return pos


def _range_and_connected(members: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ideological range (max - min of placed members) and Axelrod connectedness per coalition.

    A coalition is connected when no placed actor outside it sits strictly between its placed
    members; actors without a position are ignored.
    """
    placed = np.isfinite(pos)
    p = np.where(placed, pos, 0.0)
    inside = members & placed
    hi = np.where(inside, p, -np.inf).max(axis=1)
    lo = np.where(inside, p, np.inf).min(axis=1)
    has = inside.any(axis=1)
    rng = np.where(has, hi - lo, 0.0)
    between = placed & ~members & (p > lo[:, None]) & (p < hi[:, None])
    return rng, ~between.any(axis=1)


def member_seats(w: np.ndarray, members: np.ndarray, *, largest: bool = False) -> np.ndarray:
    """Seats of each coalition's smallest member, or the actor index of its largest member.

    Parameters
    ----------
    w : np.ndarray, shape (sample, actor)
        Seats of each actor.
    members : np.ndarray, shape (coalition, actor)
        Membership.
    largest : bool
        Return the index of the largest member (ties to the earlier actor, the one with more
        mean seats) instead of the smallest member's seats.

    Returns
    -------
    np.ndarray, shape (coalition, sample)
        Seats (int16 or int32) or actor indices (int8).
    """
    n_actor = w.shape[1]
    top = int(w.max()) if w.size else 0
    if not largest:
        small = np.int16 if top < np.iinfo(np.int16).max else np.int32
        wt = np.ascontiguousarray(w.T, dtype=small)
    else:
        # Key seats * n + (n - 1 - j): its maximum over the members is the member with most
        # seats, ties to the earlier actor (the one with more mean seats).
        small = np.int16 if (top + 1) * n_actor < np.iinfo(np.int16).max else np.int32
        wt = np.ascontiguousarray(w.T, dtype=small) * small(n_actor)
        wt += np.arange(n_actor - 1, -1, -1, dtype=small)[:, None]
    best = np.empty((len(members), w.shape[0]), dtype=small)
    reduce = np.maximum if largest else np.minimum
    for c, row in enumerate(members):
        idx = np.flatnonzero(row)
        out = best[c]
        if len(idx) == 1:
            out[:] = wt[idx[0]]
            continue
        reduce(wt[idx[0]], wt[idx[1]], out=out)
        for j in idx[2:]:
            reduce(out, wt[j], out=out)
    if not largest:
        return best
    # Decode the actor index: n - 1 - (key mod n).
    np.remainder(best, small(n_actor), out=best)
    np.subtract(small(n_actor - 1), best, out=best)
    return best.astype(np.int8)


def int_quantiles(x: np.ndarray, probs: list[float]) -> np.ndarray:
    """Quantiles (inverted CDF) of non-negative integers along the last axis, through counts.

    Parameters
    ----------
    x : np.ndarray, shape (k, sample)
        Non-negative integers, e.g. seats of each coalition in each sample.
    probs : list of float
        Probabilities in [0, 1].

    Returns
    -------
    np.ndarray, shape (k, len(probs))
        For each row, the smallest value whose empirical CDF reaches each probability.
    """
    targets = np.asarray(probs) * x.shape[1] - 1e-9
    out = np.empty((len(x), len(probs)))
    for i, row in enumerate(x):
        cdf = np.cumsum(np.bincount(row))
        out[i] = np.searchsorted(cdf, targets, side="right")
    return out


@one_blas_thread
def coalition_candidates(seats: xr.Dataset, spec: ForecastSpec) -> xr.Dataset:
    """Choose the actors and candidate governments for a set of seat draws, without scores.

    Chosen once on all samples, then reused to score any chunk of them (``score_coalitions``'s
    ``candidates``), so that chunked and whole runs weigh the same governments.

    Returns
    -------
    xr.Dataset
        ``members`` (coalition, party) over the actors, ``actor_lists`` (party, list); attrs
        ``house_size``, ``majority`` and ``mw_coverage``. Coalition labels are the sorted member
        slugs joined with ``+``, in order of size then label.
    """
    check(seats, "NationalSeats")
    house = int(seats.attrs.get("house_size", spec.law.house_size))
    quota = int(seats.attrs.get("majority", spec.law.majority_seats))
    if not house < 2 * quota <= 2 * house:
        raise ValueError(f"majority {quota} is not strictly more than half of a house of {house}")
    actors = coalition_actors(seats, spec)
    ids = [str(p) for p in actors[PARTY].values]
    masks, coverage = candidate_masks(actors["seats"].values, ids, quota, spec)
    members = mask_members(np.asarray(masks), len(ids))
    labels = ["+".join(sorted(ids[j] for j in np.flatnonzero(row))) for row in members]
    order = sorted(range(len(masks)), key=lambda c: (members[c].sum(), labels[c]))
    return xr.Dataset(
        {
            "members": ((COALITION, PARTY), members[order]),
            "actor_lists": ((PARTY, LIST), actors["lists"].values),
        },
        coords={COALITION: [labels[c] for c in order], PARTY: ids, LIST: actors[LIST].values},
        attrs={"house_size": house, "majority": quota, "mw_coverage": coverage},
    )


def _per_sample(
    w: np.ndarray, members: np.ndarray, quota: int, house: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute each coalition's seats, majority and minimal-winning status in each sample.

    Parameters
    ----------
    w : np.ndarray, shape (sample, actor)
        Seats of each actor.
    members : np.ndarray, shape (coalition, actor)
        Membership.
    quota : int
        Seats needed for a majority.
    house : int
        House size, which chooses the integer type of the seat totals.

    Returns
    -------
    seats, majority, minimal_winning : np.ndarray, shape (coalition, sample)
        Coalition-major arrays, handed to xarray transposed. Seat totals are exact in float32 and
        stored as int16 (a house has fewer than 32,768 seats).
    """
    totalf = members.astype(np.float32) @ np.ascontiguousarray(w.T, dtype=np.float32)
    majority = totalf >= quota
    minimal = majority & (totalf - member_seats(w, members) < quota)
    total = totalf.astype(np.int16 if house < np.iinfo(np.int16).max else np.int32)
    return total, majority, minimal


def _summaries(
    members: np.ndarray,
    total: np.ndarray,
    majority: np.ndarray,
    minimal: np.ndarray,
    geometry: tuple[np.ndarray, np.ndarray],
) -> dict[str, tuple]:
    """Summarise each coalition over the samples: the table's per-coalition variables.

    ``total``, ``majority`` and ``minimal`` are the (coalition, sample) arrays of
    ``_per_sample``; ``geometry`` is the ideological range and connectedness of each coalition.
    """
    n_sample = total.shape[1]
    span, connected = geometry
    q = (1 - CI_PROB) / 2
    return {
        "p_majority": ((COALITION,), np.count_nonzero(majority, axis=1) / n_sample),
        "p_minimal_winning": ((COALITION,), np.count_nonzero(minimal, axis=1) / n_sample),
        "n_parties": ((COALITION,), members.sum(axis=1)),
        "ideological_range": ((COALITION,), span),
        "connected": ((COALITION,), connected),
        "seats_eti": ((COALITION, CI_BOUND), int_quantiles(total, [q, 1 - q])),
    }


def score_coalitions(
    seats: xr.Dataset, spec: ForecastSpec, *, candidates: xr.Dataset | None = None
) -> xr.Dataset:
    """Score the candidate governments: seats, majority and minimal-winning status per sample.

    Parameters
    ----------
    seats : xr.Dataset
        ``NationalSeats`` (or ``SeatDraws``): ``seats`` with dims (sample, party); attrs
        ``majority`` (seats needed, strictly more than half) and ``house_size``; the spec's law
        fills either when absent.
    spec : ForecastSpec
        Its ``coalitions`` rules choose actors and candidates; ``party`` blocs and
        ``coalitions.bloc_positions`` give ideological range and connectedness.
    candidates : xr.Dataset, optional
        From ``coalition_candidates`` on a larger set of draws that holds these: score these
        governments instead of choosing them from ``seats``.

    Returns
    -------
    xr.Dataset
        ``CoalitionTable``: ``members`` (coalition, party) over the actors; ``seats``,
        ``majority`` and ``minimal_winning`` (sample, coalition); ``p_majority``,
        ``p_minimal_winning``, ``n_parties``, ``ideological_range``, ``connected`` (coalition);
        ``seats_eti`` (coalition, ci_bound); ``actor_seats`` (sample, party) and ``actor_lists``
        (party, list). Coalition labels are the sorted member slugs joined with ``+``.

    Examples
    --------
    >>> from forecast.testing import toy_seat_draws, toy_spec
    >>> seats = toy_seat_draws(10, {"alpha": 40, "beta": 30, "gamma": 20, "delta": 10})
    >>> table = score_coalitions(seats, toy_spec())
    >>> float(table["p_majority"].sel(coalition="alpha+beta"))
    1.0
    """
    if candidates is None:
        candidates = coalition_candidates(seats, spec)
    check(seats, "NationalSeats")
    house, quota = int(candidates.attrs["house_size"]), int(candidates.attrs["majority"])
    ids = [str(p) for p in candidates[PARTY].values]
    names = [str(p) for p in candidates[LIST].values]
    lists = candidates["actor_lists"].values
    members = candidates["members"].values
    per_list = seats["seats"].transpose(SAMPLE, PARTY).sel({PARTY: names}).values.astype(np.int64)
    w = per_list @ lists.T.astype(np.int64)
    total, majority, minimal = _per_sample(w, members, quota, house)
    geometry = _range_and_connected(members, _positions(spec, ids, lists, names))
    table = xr.Dataset(
        {
            "members": ((COALITION, PARTY), members),
            "seats": ((SAMPLE, COALITION), total.T),
            "majority": ((SAMPLE, COALITION), majority.T),
            "minimal_winning": ((SAMPLE, COALITION), minimal.T),
            **_summaries(members, total, majority, minimal, geometry),
            "actor_seats": ((SAMPLE, PARTY), w),
            "actor_lists": ((PARTY, LIST), lists),
        },
        coords={
            SAMPLE: seats[SAMPLE].values,
            COALITION: [str(c) for c in candidates[COALITION].values],
            PARTY: ids,
            LIST: names,
            CI_BOUND: ["lower", "upper"],
        },
        attrs={
            "house_size": house,
            "majority": quota,
            "sample_dims": [SAMPLE],
            "ci_kind": "eti",
            "ci_prob": CI_PROB,
            "mw_coverage": candidates.attrs["mw_coverage"],
            "candidate_rule": _CANDIDATE_RULE,
        },
    )
    return check(table, "CoalitionTable")
