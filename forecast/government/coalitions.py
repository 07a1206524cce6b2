"""Candidate governments from seat draws: which lists are actors and which coalitions win.

A list is an *actor* when it wins at least ``coalitions.min_seats`` seats in some sample; lists
below that either stay out of every government or, if the spec says ``group_small``, act together
as one actor ``small_lists``. Seats of non-actors still count in the house, so the majority is
always strictly more than half of the whole house.

Coalitions are subsets of actors, written as bitmasks over the actors. Enumerating all of them
for every sample is exponential, so the candidate governments are chosen by seats:

1. every single actor (one-list governments, majority or minority);
2. the grand coalition of all actors, the incumbent government and each pre-electoral pact;
3. minimal winning coalitions, in order of how often they are minimal winning across samples,
   each followed by its one-list *surplus* extensions: the same coalition plus one actor at least
   as large (by mean seats) as its smallest member, the oversized governments that consociational
   bargaining produces;

until ``coalitions.max_candidates`` is reached. Minimal-winning frequencies are screened bitmask
by bitmask on the distinct seat vectors of at most ``max(256, 2**24 / 2**n)`` evenly spaced
samples, so no list is ever dropped to make the enumeration tractable. ``attrs["mw_coverage"]``
says which share of the screened minimal-winning mass the candidates hold.
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

__all__ = [
    "SMALL_LISTS",
    "coalition_actors",
    "coalition_candidates",
    "int_quantiles",
    "mask_members",
    "member_seats",
    "one_blas_thread",
    "score_coalitions",
    "subset_sums",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


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


SMALL_LISTS = "small_lists"
MAX_ACTORS = 20
CI_PROB = 0.9
_SCREEN_CELLS = 1 << 24  # samples x bitmasks screened for minimal-winning frequency


def coalition_actors(seats: xr.Dataset, spec: ForecastSpec) -> xr.Dataset:
    """Find the lists that act in government formation, with their seats in each sample.

    Parameters
    ----------
    seats : xr.Dataset
        ``NationalSeats`` (or ``SeatDraws``): ``seats`` with dims (sample, party).
    spec : ForecastSpec
        Uses ``coalitions.min_seats`` and ``coalitions.group_small``.

    Returns
    -------
    xr.Dataset
        ``seats`` with dims (sample, party) over the actors, ordered by mean seats (largest
        first, ties by slug), and ``lists`` with dims (party, list) saying which seat-draw lists
        each actor stands for (``list`` is the seat draws' own ``party`` coordinate).

    Raises
    ------
    ValueError
        When no list qualifies or more than 20 do (raise ``min_seats`` or set ``group_small``).
    """
    rules = spec.coalitions
    w = np.asarray(seats["seats"].transpose(SAMPLE, PARTY).values, dtype=np.int64)
    names = [str(p) for p in seats[PARTY].values]
    relevant = w.max(axis=0) >= max(rules.min_seats, 1)
    ids = [p for p, r in zip(names, relevant, strict=True) if r]
    cols = [w[:, relevant]]
    lists = [np.eye(len(names), dtype=bool)[relevant]]
    small = ~relevant & (w.max(axis=0) > 0)
    if rules.group_small and small.any():
        ids.append(SMALL_LISTS)
        cols.append(w[:, small].sum(axis=1, keepdims=True))
        lists.append(small[None, :])
    if not ids:
        raise ValueError(f"no list wins {max(rules.min_seats, 1)} seats in any sample")
    if len(ids) > MAX_ACTORS:
        raise ValueError(
            f"{len(ids)} lists are coalition actors; at most {MAX_ACTORS} can be enumerated. "
            "Raise coalitions.min_seats or set coalitions.group_small = true"
        )
    actor_seats = np.concatenate(cols, axis=1)
    order = sorted(range(len(ids)), key=lambda i: (-actor_seats[:, i].mean(), ids[i]))
    return xr.Dataset(
        {
            "seats": ((SAMPLE, PARTY), actor_seats[:, order]),
            "lists": ((PARTY, LIST), np.concatenate(lists)[order]),
        },
        coords={SAMPLE: seats[SAMPLE].values, PARTY: [ids[i] for i in order], LIST: names},
    )


def subset_sums(weights: np.ndarray, *, dtype: type = np.int32) -> np.ndarray:
    """Seats of every coalition, bitmask ``m`` holding actor ``j`` when bit ``j`` is set.

    Parameters
    ----------
    weights : np.ndarray, shape (sample, actor)
        Seats of each actor.
    dtype : numpy integer type
        Type of the result; it must hold the house size.

    Returns
    -------
    np.ndarray, shape (sample, 2**actor)
        Column ``m`` is the seat total of coalition ``m``; column 0 is the empty coalition.
    """
    n_sample, n = weights.shape
    out = np.zeros((n_sample, 1 << n), dtype=dtype)
    w = weights.astype(dtype)
    for j in range(n):
        lo = 1 << j
        np.add(out[:, :lo], w[:, j : j + 1], out=out[:, lo : 2 * lo])
    return out


def mask_members(masks: np.ndarray, n: int) -> np.ndarray:
    """Membership of each bitmask: array of shape (mask, actor), bool."""
    return ((np.asarray(masks, dtype=np.int64)[:, None] >> np.arange(n)) & 1).astype(bool)


def _subset_min(weights: np.ndarray, *, dtype: type = np.int32) -> np.ndarray:
    """Seats of the smallest member of every coalition (sample, 2**actor); empty: a big value."""
    n_sample, n = weights.shape
    big = np.iinfo(dtype).max
    out = np.full((n_sample, 1 << n), big, dtype=dtype)
    w = weights.astype(dtype)
    for j in range(n):
        lo = 1 << j
        np.minimum(out[:, :lo], w[:, j : j + 1], out=out[:, lo : 2 * lo])
    return out


def _screen_minimal_winning(w: np.ndarray, quota: int, max_parties: int) -> np.ndarray:
    """Share of samples in which each bitmask is minimal winning, on distinct seat vectors."""
    n = w.shape[1]
    limit = max(256, _SCREEN_CELLS >> n)
    if len(w) > limit:
        w = w[np.linspace(0, len(w) - 1, limit).round().astype(np.int64)]
    rows, counts = np.unique(w, axis=0, return_counts=True)
    size = np.bitwise_count(np.arange(1 << n, dtype=np.uint32))
    freq = np.zeros(1 << n)
    chunk = max(1, (1 << 22) >> n)
    # Bitmask m = high * 2**low + low_part: seats and smallest member of each half, combined by
    # broadcasting. m is minimal winning when 0 <= total - quota < smallest member, i.e. when
    # total - quota, read as unsigned, is below the smallest member's seats.
    big = int(rows.sum(axis=1).max()) + quota if len(rows) else quota
    small = big < np.iinfo(np.int16).max
    signed, unsigned = (np.int16, np.uint16) if small else (np.int32, np.uint32)
    low_bits = n // 2
    for a in range(0, len(rows), chunk):
        x = rows[a : a + chunk].astype(signed)
        lo, hi = x[:, :low_bits], x[:, low_bits:]
        excess = (
            subset_sums(lo, dtype=signed)[:, None, :]
            + (subset_sums(hi, dtype=signed) - signed(quota))[:, :, None]
        )
        smallest = np.minimum(
            _subset_min(lo, dtype=signed)[:, None, :], _subset_min(hi, dtype=signed)[:, :, None]
        )
        mw = (excess.view(unsigned) < smallest.view(unsigned)).reshape(len(x), -1)
        freq += counts[a : a + chunk].astype(np.float32) @ mw.astype(np.float32)
    freq[size > max_parties] = 0.0
    return freq / counts.sum()


def _named_masks(ids: list[str], groups: list[tuple[str, ...]]) -> list[int]:
    """Bitmasks of groups of list slugs, keeping only the actors among them."""
    index = {p: j for j, p in enumerate(ids)}
    out = []
    for group in groups:
        mask = sum(1 << index[p] for p in set(group) if p in index)
        if mask:
            out.append(mask)
    return out


def _candidates(
    w: np.ndarray, ids: list[str], quota: int, spec: ForecastSpec
) -> tuple[list[int], float]:
    """Candidate bitmasks in priority order (see the module docstring) and the MW coverage."""
    rules = spec.coalitions
    n = len(ids)
    cap = rules.max_candidates
    freq = _screen_minimal_winning(w, quota, rules.max_parties)
    mean = w.mean(axis=0)
    chosen: dict[int, None] = {}
    fixed = [1 << j for j in range(n)]
    if n <= rules.max_parties:
        fixed.append((1 << n) - 1)
    fixed += _named_masks(ids, [rules.incumbent, *rules.pacts])
    for m in fixed:
        chosen.setdefault(m)
    by_freq = np.argsort(-freq, kind="stable")
    by_freq = by_freq[freq[by_freq] > 0]
    for m in by_freq.tolist():
        if len(chosen) >= cap:
            break
        chosen.setdefault(m)
        members = [j for j in range(n) if m >> j & 1]
        if len(members) >= rules.max_parties:
            continue
        floor = mean[members].min()
        for j in range(n):
            if len(chosen) >= cap:
                break
            if not m >> j & 1 and mean[j] >= floor:
                chosen.setdefault(m | 1 << j)
    total = freq.sum()
    coverage = float(freq[list(chosen)].sum() / total) if total > 0 else 1.0
    return list(chosen), coverage


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
    """The actors and candidate governments for a set of seat draws, without per-sample scores.

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
    masks, coverage = _candidates(actors["seats"].values, ids, quota, spec)
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


def score_coalitions(
    seats: xr.Dataset, spec: ForecastSpec, *, candidates: xr.Dataset | None = None
) -> xr.Dataset:
    """Candidate governments and their seats, majority and minimal-winning status per sample.

    Parameters
    ----------
    seats : xr.Dataset
        ``NationalSeats`` (or ``SeatDraws``): ``seats`` with dims (sample, party); attrs ``majority`` (seats needed,
        strictly more than half) and ``house_size``; the spec's law fills either when absent.
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
    labels = [str(c) for c in candidates[COALITION].values]
    per_list = seats["seats"].transpose(SAMPLE, PARTY).sel({PARTY: names}).values.astype(np.int64)
    w = per_list @ lists.T.astype(np.int64)
    # Coalition-major (coalition, sample) arrays, handed to xarray transposed. Seat totals are
    # exact in float32 and stored as int16 (a house has fewer than 32,768 seats).
    totalf = members.astype(np.float32) @ np.ascontiguousarray(w.T, dtype=np.float32)
    majority = totalf >= quota
    minimal = majority & (totalf - member_seats(w, members) < quota)
    total = totalf.astype(np.int16 if house < np.iinfo(np.int16).max else np.int32)
    del totalf
    span, connected = _range_and_connected(members, _positions(spec, ids, lists, names))
    q = (1 - CI_PROB) / 2
    eti = int_quantiles(total, [q, 1 - q])
    table = xr.Dataset(
        {
            "members": ((COALITION, PARTY), members),
            "seats": ((SAMPLE, COALITION), total.T),
            "majority": ((SAMPLE, COALITION), majority.T),
            "minimal_winning": ((SAMPLE, COALITION), minimal.T),
            "p_majority": ((COALITION,), np.count_nonzero(majority, axis=1) / len(w)),
            "p_minimal_winning": ((COALITION,), np.count_nonzero(minimal, axis=1) / len(w)),
            "n_parties": ((COALITION,), members.sum(axis=1)),
            "ideological_range": ((COALITION,), span),
            "connected": ((COALITION,), connected),
            "seats_eti": ((COALITION, CI_BOUND), eti),
            "actor_seats": ((SAMPLE, PARTY), w),
            "actor_lists": ((PARTY, LIST), lists),
        },
        coords={
            SAMPLE: seats[SAMPLE].values,
            COALITION: labels,
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
            "candidate_rule": (
                "single lists, grand coalition, incumbent, pacts, then minimal winning coalitions "
                "by frequency with their one-list surplus extensions, up to max_candidates"
            ),
        },
    )
    return check(table, "CoalitionTable")
