"""Candidate governments: which lists are actors, and which coalitions of them are weighed.

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
samples, so no list is ever dropped to make the enumeration tractable.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.data.spec import ForecastSpec
from forecast.dims import LIST, PARTY, SAMPLE

__all__ = ["SMALL_LISTS", "candidate_masks", "coalition_actors", "mask_members", "subset_sums"]

SMALL_LISTS = "small_lists"
MAX_ACTORS = 20
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


def candidate_masks(
    w: np.ndarray, ids: list[str], quota: int, spec: ForecastSpec
) -> tuple[list[int], float]:
    """Choose the candidate bitmasks, in priority order (see the module docstring).

    Parameters
    ----------
    w : np.ndarray, shape (sample, actor)
        Seats of each actor.
    ids : list of str
        Actor slugs, in the order of ``w``'s columns.
    quota : int
        Seats needed for a majority.
    spec : ForecastSpec
        Its ``coalitions`` rules: ``max_candidates``, ``max_parties``, ``incumbent``, ``pacts``.

    Returns
    -------
    masks : list of int
        The candidate bitmasks.
    coverage : float
        The share of the screened minimal-winning mass that the candidates hold.
    """
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
