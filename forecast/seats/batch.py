"""One batch of rows of one district rule: the lists that can win, their block, the allocation.

:func:`allocate_batch` is the common path of :func:`forecast.seats.kernels.allocate_district`,
the compensatory seats and the law's fallbacks. Rows where no list reaches the threshold are
allocated again as if there were none (:func:`_lift_threshold`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.seats.block import _allocate_block
from forecast.seats.compiled import _block_compiled
from forecast.seats.divisors import DIVISOR_METHODS, _divisor_floor, _divisors
from forecast.seats.rows import _at, _gather
from forecast.seats.thresholds import _bar
from forecast.seats.ties import Lottery, _Ties

__all__ = ["allocate_batch"]


@dataclass(frozen=True)
class _Rule:
    """A district rule's parameters, with the field names of ``forecast.data.spec.DistrictRule``."""

    method: str
    first_divisor: float | None
    threshold: float
    threshold_quotas: float
    remainder: str
    quota_base: str
    quota_rounding: str = "exact"


def allocate_batch(
    rows: np.ndarray,
    m: np.ndarray | int,
    rule: object,
    *,
    valid: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    lottery: Lottery | None = None,
    out: np.ndarray,
    list_max: np.ndarray | None = None,
    strict: bool = True,
    compiled: bool = False,
) -> np.ndarray:
    """Allocate one batch of already checked rows of one district rule into ``out``.

    :func:`forecast.seats.kernels.allocate_district` checks its inputs and calls this per
    batch; the law calls :func:`forecast.seats.provinces.allocate_provinces` for its districts
    and this for the compensatory seats and for rows that need another set of lists allowed
    to win.

    Parameters
    ----------
    rows : np.ndarray, dims (row, party)
        Votes, whole numbers >= 0 (any strides).
    m : int or np.ndarray of int, dims (row,)
        District magnitude, one for all rows or one per row.
    rule : DistrictRule
        Any object with the fields of :class:`forecast.data.spec.DistrictRule`.
    valid : np.ndarray, optional, dims (row,)
        Valid votes per row; defaults to the sum over ``rows``.
    allowed : np.ndarray of bool, optional, dims (row, party) or (party,)
        Lists allowed to win seats.
    lottery : Lottery, optional
        Tie rule; list order without it.
    out : np.ndarray of int, dims (party, row)
        Zeros on entry; receives the seats (party-major, so each list's seats are written as
        one contiguous run when ``out`` is C-ordered).
    list_max : np.ndarray, optional, dims (party,)
        Each list's largest vote over the rows (or an upper bound), if the caller has it.
    strict : bool
        Raise for a row with seats but no votes for any allowed list; otherwise leave such
        rows at zero seats and return them.
    compiled : bool
        Run the rule through the compiled kernels (needs numba; same seats).

    Returns
    -------
    np.ndarray of int
        The rows with seats but no votes for any allowed list (empty when ``strict``).
    """
    total, bar, cols = _candidates(rows, m, rule, valid, allowed, list_max)
    ok = _gather(allowed, cols) > 0 if allowed is not None and allowed.ndim == 2 else None
    ties = _Ties(
        None if lottery is None else (lottery,),
        np.zeros(1, int),
        cols[:, None],
        len(rows),
        rows.shape[1],
    )
    empty = _allocate_lists(rows, cols, m, total, bar, rule, ok, ties, out, compiled)
    if empty.size:
        # no list reaches the threshold: allocate those rows as if there were none
        return _lift_threshold(rows, m, total, allowed, empty, out, rule, lottery, strict)
    return empty


def _candidates(
    rows: np.ndarray,
    m: np.ndarray | int,
    rule: object,
    valid: np.ndarray | None,
    allowed: np.ndarray | None,
    list_max: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find each row's valid votes and bar, and the lists that could win in some row.

    Returns ``(total, bar, cols)``: the valid votes and the fewest votes a list needs, dims
    (row,), and the party indices of the lists that may win, a cheap superset from per-list
    maxima over the rows.
    """
    n = rows.shape[1]
    if valid is None:
        total = np.einsum("rp->r", rows).astype(np.float64)  # faster than sum on a short axis
    else:
        total = np.ascontiguousarray(valid, dtype=np.float64)
    bar = _bar(m, total, rule.threshold, rule.threshold_quotas)
    if rule.method in DIVISOR_METHODS and valid is None and allowed is None:
        # every list competes and T is their total: lists below the floor cannot win
        bar = np.fmax(bar, _divisor_floor(m, total, n, _divisors(rule.method, rule.first_divisor)))
    vmax = rows.max(axis=0, initial=0) if list_max is None else list_max
    cand = vmax >= bar.min(initial=np.inf)
    if allowed is not None:
        cand &= allowed.any(axis=0) if allowed.ndim == 2 else allowed
    return total, bar, np.flatnonzero(cand)


def _allocate_lists(
    rows: np.ndarray,
    cols: np.ndarray,
    m: np.ndarray | int,
    total: np.ndarray,
    bar: np.ndarray,
    rule: object,
    ok: np.ndarray | None,
    ties: _Ties,
    out: np.ndarray,
    compiled: bool,
) -> np.ndarray:
    """Allocate the lists ``cols`` of ``rows`` into ``out``; return the rows where none qualifies.

    ``ok`` (list, row) marks the lists allowed to win; one district's rows (one magnitude) go
    through the compiled kernels when ``compiled``, as one run of rows.
    """
    n = rows.shape[1]
    if compiled and np.ndim(m) == 0 and cols.size:  # one district: one run of rows
        return _block_compiled(
            _gather(rows, cols),
            cols[:, None],
            total[:, None],
            np.zeros(1, dtype=np.int64),
            0,
            np.full(1, float(m)),
            rule,
            allowed=ok,
            n=n,
            ties=ties,
            out=out[None],
        )
    kept, seats, empty = _allocate_block(
        _gather(rows, cols), m, total, bar, rule, allowed=ok, n=n, ties=ties
    )
    for k, c in enumerate(cols[kept]):
        out[c] = seats[k]
    return empty


def _lift_threshold(
    rows: np.ndarray,
    m: np.ndarray | int,
    total: np.ndarray,
    allowed: np.ndarray | None,
    empty: np.ndarray,
    out: np.ndarray,
    rule: object,
    lottery: Lottery | None,
    strict: bool,
) -> np.ndarray:
    """Allocate rows where no list reaches the threshold among all allowed lists with votes.

    Returns the rows without votes for any allowed list (left at zero), or raises for the
    first of them when ``strict``.
    """
    sub = rows[empty]
    ok = sub > 0
    if allowed is not None:
        ok &= allowed if allowed.ndim == 1 else allowed[empty]
    voted = ok.any(axis=1)
    if strict and not voted.all():
        raise _no_votes(m, int(empty[~voted][0]))
    lift = np.flatnonzero(voted)
    if lift.size:
        lifted = _Rule(
            rule.method,
            rule.first_divisor,
            0.0,
            0.0,
            rule.remainder,
            rule.quota_base,
            rule.quota_rounding,
        )
        seats = np.zeros((sub.shape[1], lift.size), dtype=out.dtype)
        allocate_batch(
            sub[lift],
            np.broadcast_to(m, total.shape)[empty[lift]],
            lifted,
            valid=total[empty[lift]],
            allowed=ok[lift],
            lottery=None if lottery is None else lottery.subset(empty[lift]),
            out=seats,
        )
        out[:, empty[lift]] = seats
    return empty[~voted]


def _no_votes(m: np.ndarray | int, row: int) -> ValueError:
    """Build the error for a district with seats but no votes for any list that may win."""
    return ValueError(
        f"row {row}: a district with {_at(m, row)} seats has no votes for any list allowed to win"
    )
