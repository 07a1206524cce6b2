"""Highest-averages methods (D'Hondt, Sainte-Lague, modified Sainte-Lague) over a block.

Divisors are whole numbers (Sainte-Lague-type ones scaled), so quotients of whole votes are equal
as floats exactly when they are equal as fractions. The kernel starts from the seats at a
whole-number divisor that hands out at most the magnitude, then gives the few seats left one
at a time to the highest next quotient; ties go to list order or to the rows' lottery.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecast.seats.rows import _ONE, _at, _ratio
from forecast.seats.ties import _Ties

DIVISOR_METHODS = ("dhondt", "sainte_lague", "modified_sainte_lague")


def _divisors(method: str, first_divisor: float | None) -> tuple[float, float, float]:
    """Divisor sequence ``(c0, c1, c2)``: ``c0`` for a list's first seat, ``c1 + c2 * k`` after k.

    Sainte-Lague-type divisors are scaled to whole numbers so that equal quotients are equal
    floats (modified Sainte-Lague 1.4, 3, 5 ... becomes 7, 15, 25 ...).
    """
    if method == "dhondt":
        return 1.0, 1.0, 1.0
    if method == "sainte_lague":
        return 1.0, 1.0, 2.0
    a, b = _ratio(first_divisor if first_divisor is not None else 1.0, "first divisor")
    return float(a), float(b), float(2 * b)


def _divisor_block(
    ve: np.ndarray,
    eligible: np.ndarray,
    m: np.ndarray,
    total: np.ndarray,
    *,
    divisors: tuple[float, float, float],
    ties: _Ties,
) -> np.ndarray:
    """Highest-averages seats of a block, dims (list, row), float64 whole numbers.

    ``ve`` holds the votes of eligible lists and 0 elsewhere; ``total`` is its sum per row.
    """
    c0, c1, c2 = divisors
    k = eligible.sum(axis=0)
    # Lower bound: the seats at a whole-number divisor lam, kept where they do not exceed M:
    # then at most M quotients reach lam, so all of them are among the M highest and no list's
    # seats are overstated. lam = T / (c2 (M + k (c1/c2 - 1/2) - slack)) hands out about
    # M - slack seats; rows that overshoot retry with more slack, and finally with the safe
    # divisor T / (c2 (M - k)), at which at most M seats are handed out (or none when M <= k).
    estimate = c2 * m + k * (c1 - c2 / 2)
    seats = _seats_at(ve, _divisor_at(total, estimate, np.floor), divisors)
    todo = np.flatnonzero(seats.sum(axis=0) > m)
    tries = ((estimate - c2, np.floor), (estimate - 2 * c2, np.floor), (c2 * (m - k), np.ceil))
    for denominator, rounding in tries:
        if not todo.size:
            break
        lam = _divisor_at(total[todo], denominator[todo], rounding)
        trial = _seats_at(ve[:, todo], lam, divisors)
        ok = trial.sum(axis=0) <= _at(m, todo)
        seats[:, todo[ok]] = trial[:, ok]
        todo = todo[~ok]
    left = m - seats.sum(axis=0)
    start = seats.copy()
    tied = np.zeros(left.shape, dtype=bool)
    # The few seats left go one at a time to the highest next quotient; each step is bounded.
    # The winner is the first list holding the row's best quotient (list order; rows where
    # several hold it are redone by the lottery when there is one).
    divisor = np.where(seats > 0, c1 + c2 * seats, c0)
    for step in range(int(left.max(initial=0))):
        quotient = np.divide(ve, divisor)
        first = quotient == quotient.max(axis=0)
        several = first.sum(axis=0) > 1
        if several.any():  # keep the first of the lists holding the best quotient
            sub = first[:, several]
            first[:, several] = sub & (np.cumsum(sub, axis=0) == 1)
            if ties.lotteries is not None:
                tied |= several & (left > step)
        first &= left > step
        seats += first
        divisor += first * np.where(seats == 1, c1 + c2 - c0, c2)
    rows = np.flatnonzero(tied)
    if rows.size:
        prio = ties.priority(rows)
        seats[:, rows] = _divisor_exact(ve[:, rows], start[:, rows], left[rows], divisors, prio)
    return seats


def _divisor_at(
    total: np.ndarray, denominator: np.ndarray, rounding: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Round ``T / denominator`` to a whole-number divisor: at least 1, infinite if <= 0."""
    lam = rounding(total / np.fmax(denominator, _ONE))
    return np.where(denominator > 0, np.fmax(lam, _ONE), np.inf)


def _seats_at(ve: np.ndarray, lam: np.ndarray, divisors: tuple[float, float, float]) -> np.ndarray:
    """Seats each list holds at a whole-number divisor ``lam``: how many quotients reach it.

    A list's first quotient ``v / c0`` reaches ``lam`` when ``v >= c0 lam``; its k-th further one
    ``v / (c1 + c2 k)`` when ``k <= (v - c1 lam) / (c2 lam)``. All whole numbers: exact.
    """
    c0, c1, c2 = divisors
    first = ve >= c0 * lam
    more = np.floor(np.maximum(ve - c1 * lam, 0.0) / (c2 * lam))
    return first * (1.0 + more)


def _divisor_exact(
    ve: np.ndarray,
    seats: np.ndarray,
    left: np.ndarray,
    divisors: tuple[float, float, float],
    priority: np.ndarray,
) -> np.ndarray:
    """Seat-by-seat highest averages for a few rows, ties by priority (lower wins)."""
    c0, c1, c2 = divisors
    seats = seats.copy()
    cols = np.arange(seats.shape[1])
    for step in range(int(left.max(initial=0))):
        quotient = ve / np.where(seats > 0, c1 + c2 * seats, c0)
        best = quotient.max(axis=0)
        prio = np.where(quotient == best, priority.T, np.iinfo(np.int64).max)
        win = prio.argmin(axis=0)
        seats[win, cols] += left > step
    return seats


def _divisor_floor(
    m: np.ndarray, total: np.ndarray, n: int, divisors: tuple[float, float, float]
) -> np.ndarray:
    """Votes below which a list cannot win a highest-averages seat, dims (row,).

    With k lists of T votes in all, each list's seats at divisor lam exceed
    (v - max(c0, c1) lam) / (c2 lam), so the true divisor is above T / (c2 M + k max(c0, c1))
    and a first seat needs v >= c0 times that. Only used to prune lists that cannot win.
    """
    c0, c1, c2 = divisors
    return np.floor(c0 * total / (c2 * m + n * max(c0, c1)))
