"""Quota methods: largest remainder with a Hare, Droop, Hagenbach-Bischoff or Imperiali quota.

Each list first gets its full quotas, ``floor(v * M / T)`` (Hare), ``floor(v * (M + 1) / T)``
(Hagenbach-Bischoff), ``floor(v * (M + 2) / T)`` (Imperiali) or ``floor(v / q)`` with a whole
quota ``q`` (Droop's, or one of the others rounded to whole votes); the seats left go by the
remainder rule: the largest remainders, the most votes, or the votes again (Hare among the
qualifying lists). A quota below ``T / M`` can hand out more than ``M`` full quotas: the lists
with the smallest remainders then give one back each (:func:`_give_back`). The best lists of a
row are chosen by a weak rank without sorting; only rows with a near-tie at the cut are
settled exactly, by the tie rule.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecast.seats.rows import _ONE, _TIE, _UP, _at
from forecast.seats.ties import _Ties

# Each largest-remainder method's quota, and the seats added to M in its denominator T / (M + k).
LR_METHODS = {
    "hare_lr": "hare",
    "droop_lr": "droop",
    "hagenbach_bischoff_lr": "hagenbach_bischoff",
    "imperiali_lr": "imperiali",
}
_EXTRA_SEATS = {"hare": 0, "hagenbach_bischoff": 1, "imperiali": 2}


def _quota(
    quota: str, rounding: str, m: np.ndarray | float, total: np.ndarray
) -> tuple[np.ndarray | float, np.ndarray]:
    """Give the quota as ``(num, den)``: ``den / num`` votes, whole numbers, dims (row,) or none.

    An exact quota ``T / (M + k)`` is ``num = M + k, den = T``; a whole one (Droop's, or a
    rounded one) is ``num = 1``. Rounding is exact: ``T / d`` of whole numbers is a correctly
    rounded float, at least ``1 / (2 d)`` from a half or whole number unless it is one. A
    rounded quota is at least one vote.
    """
    if quota == "hare" and rounding == "exact":  # seats floor(v M / T), remainder v M - seats T
        return m, total
    if quota == "droop":  # seats floor(v / D) with the Droop quota D, remainder v - seats D
        return _ONE, np.floor(total / (m + 1)) + 1
    d = m + _EXTRA_SEATS[quota]
    if rounding == "exact":
        return d, total
    d = np.fmax(d, _ONE)
    if rounding == "round":  # halves up: floor(T / d + 1/2)
        q = np.floor((2 * total + d) / (2 * d))
    else:
        q = (np.floor if rounding == "floor" else np.ceil)(total / d)
    return _ONE, np.fmax(q, _ONE)


def _give_back(
    ve: np.ndarray,
    seats: np.ndarray,
    left: np.ndarray,
    num: np.ndarray | float,
    den: np.ndarray,
    ties: _Ties,
) -> None:
    """Take back the full quotas beyond the magnitude (rows with ``left < 0``), in place.

    One seat at a time goes back from the list with the smallest remainder ``v num - seats den``
    among those holding a seat (as votelib's ``on_overaward="subtract"``); of lists tied for it,
    the one the tie rule puts last gives it back. Hand-written: only a low quota (Imperiali,
    Hagenbach-Bischoff, a rounded-down one) hands out too many, by a seat or two, so the loop
    runs over those few rows and steps only.
    """
    rows = np.flatnonzero(left < 0)
    for step in range(int(-left[rows].min(initial=0))):
        rows = rows[left[rows] < -step]
        held = seats[:, rows]
        rest = ve[:, rows] * _at(num, rows) - held * _at(den, rows)
        rest = np.where(held > 0, rest, np.inf)
        last = rest == rest.min(axis=0)
        several = np.flatnonzero(last.sum(axis=0) > 1)
        if several.size:  # the tie rule: the lowest priority among the tied gives back
            prio = np.where(last[:, several], ties.priority(rows[several]).T, -1)
            last[:, several] = np.arange(len(last))[:, None] == prio.argmax(axis=0)
        seats[:, rows] -= last


def _top(key: np.ndarray, r: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Choose the ``r`` lists with the largest key in each row; flag rows with a possible tie.

    Each list counts the lists whose key is at least its own less ``tol`` (itself included),
    a "weak rank", and is chosen when that count is at most ``r``. Without near-ties exactly
    ``r`` lists are chosen; with one straddling the cut fewer are, and those rows are returned
    to be settled exactly. Ineligible lists hold key 0 and are never chosen (r is below the
    number of eligible lists). Cost: one (list, list, row) comparison, no sort.
    """
    lowered = key - key.dtype.type(tol)
    small = np.int8 if key.shape[0] < 127 else np.int16
    weak = (key[:, None, :] >= lowered[None, :, :]).sum(axis=0, dtype=small)
    r = r.astype(small)
    chosen = weak <= r
    tied = np.flatnonzero(chosen.sum(axis=0, dtype=small) < r)
    return chosen, tied


def _top_exact(
    key: np.ndarray, r: np.ndarray, eligible: np.ndarray, priority: np.ndarray
) -> np.ndarray:
    """Choose the ``r`` eligible lists with the largest exact key, ties by priority (lower wins).

    For the few rows :func:`_top` could not settle. ``key``, ``eligible`` have dims
    (list, row); ``priority`` (row, list). Returns a mask, dims (list, row).
    """
    masked = np.where(eligible, key, -1.0).T
    order = np.lexsort((priority, -masked), axis=-1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1]), axis=-1)
    return ((rank < r[:, None]) & eligible.T).T


def _top_settled(
    key: np.ndarray,
    r: np.ndarray,
    eligible: np.ndarray,
    exact: Callable[[np.ndarray], np.ndarray] | None,
    ties: _Ties,
) -> np.ndarray:
    """Choose the ``r`` best lists per row by ``key``, ties by the tie rule; dims (list, row).

    ``exact(rows)`` gives the exact keys of some rows when ``key`` is a rounded fraction (then
    ranked with tolerance ``_TIE``); without it ``key`` holds whole numbers.
    """
    chosen, tied = _top(key, r, 0.5 if exact is None else _TIE)
    if tied.size:
        prio = ties.priority(tied)
        exact_key = key[:, tied] if exact is None else exact(tied)
        chosen[:, tied] = _top_exact(exact_key, r[tied], eligible[:, tied], prio)
    return chosen


def _lr_block(
    ve: np.ndarray,
    eligible: np.ndarray,
    m: np.ndarray,
    valid: np.ndarray,
    qualifying: np.ndarray,
    *,
    quota: str,
    remainder: str,
    quota_base: str,
    ties: _Ties,
    rounding: str = "exact",
) -> np.ndarray:
    """Largest-remainder seats of a block, dims (list, row), float64 whole numbers.

    ``ve`` holds the votes of eligible lists and 0 elsewhere; ``qualifying`` is its sum per row.
    ``quota`` is a value of :data:`LR_METHODS`, ``rounding`` that of the rule.
    """
    total = qualifying if quota_base == "qualifying" else valid
    num, den = _quota(quota, rounding, m, total)
    frac = ve * (num * _UP / np.fmax(den, _ONE))
    seats = np.floor(frac)
    left = m - seats.sum(axis=0)
    if (
        quota in _EXTRA_SEATS
        and (quota != "hare" or rounding != "exact")
        and left.size
        and left.min() < 0
    ):
        _give_back(ve, seats, left, num, den, ties)
        left = np.fmax(left, 0.0)
    if remainder == "second_tier":  # the seats left go to the national tier
        return seats
    if remainder == "vote_share":  # the seats left are shared again among qualifying lists
        seats += _lr_block(
            ve,
            eligible,
            left,
            valid,
            qualifying,
            quota="hare",
            remainder="largest_remainder",
            quota_base="qualifying",
            ties=ties,
        )
        return seats
    frac = np.subtract(frac, seats, dtype=np.float32)  # the remainders as fractions of a quota
    # Seats left beyond one per qualifying list (only with few votes for many seats, or with a
    # valid-vote quota) go round by round to every qualifying list; the rest one each by key:
    # the largest remainders, or the most votes. Hare among the qualifying lists never needs a
    # round: the remainders' fractions add up to the seats left and each is below one.
    rounds, extra = None, left
    exact_hare = quota == "hare" and rounding == "exact"
    if not (exact_hare and quota_base == "qualifying" and remainder == "largest_remainder"):
        rounds, extra = np.divmod(left, np.maximum(eligible.sum(axis=0), 1))
    if remainder == "highest_votes":
        chosen = _top_settled(ve, extra, eligible, None, ties)
    else:

        def exact(rows: np.ndarray) -> np.ndarray:
            return ve[:, rows] * _at(num, rows) - seats[:, rows] * _at(den, rows)

        chosen = _top_settled(frac, extra, eligible, exact, ties)
    seats += chosen
    if rounds is not None and rounds.any():
        seats += rounds * eligible
    return seats
