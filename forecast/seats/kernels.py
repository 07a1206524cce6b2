"""NumPy kernels of seat allocation within one district, vectorised over draws.

Every kernel takes ``votes`` with any leading axes (draws, provinces, ...) and a trailing
``party`` axis, a magnitude per row (or one for all rows) and returns integer seats of the same
shape. The kernels know nothing of xarray or of spec files; :mod:`forecast.seats.law` wraps
them once into labelled seat draws.

Why hand-written: allocation is the hot path of a forecast (every posterior draw of every
province goes through it), so the kernels avoid per-draw Python and the textbook "rank every
quotient" loops. Each kernel

* prunes the lists that cannot win a seat in any row of the batch (a cheap reduction over rows),
* turns the remaining lists into a party-major block (list x row) so that every step is a
  contiguous vector operation over rows,
* starts from a quota-based lower bound of the seats (``floor(v * M / T)`` for largest remainder,
  a divisor estimate for highest averages) and resolves only the few seats left, and
* resolves ties by an explicit rule: list order, or a seeded lottery drawn per row (never
  "everyone tied gets a seat", and every loop is bounded by the number of seats).

Arithmetic is exact for vote counts below about 10**8 per list and magnitudes below 10**4:
quotas and remainders are computed on whole numbers held in float64, whose ties are exact ties.

This module holds the public entry points; the families live beside it: thresholds
(:mod:`~forecast.seats.thresholds`), largest remainder (:mod:`~forecast.seats.remainders`),
highest averages (:mod:`~forecast.seats.divisors`) and the tie rule
(:mod:`~forecast.seats.ties`), applied to a batch of rows by :mod:`~forecast.seats.batch`.
For a whole law, :func:`forecast.seats.provinces.allocate_provinces` allocates every province of
a batch of draws at once: provinces with the same number of lists that can win share each
vector operation. The law can also run the same arithmetic through compiled kernels
(:mod:`~forecast.seats.compiled`, numba, when installed), whose fused loops replace a dozen
NumPy passes over a block by a few. The NumPy functions remain the reference: the compiled
kernels hand every row with a tie at the cut, or without a qualifying list, back to them, and
the tests run both on the same draws.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from forecast.data.spec_law import Method, QuotaRounding
from forecast.seats.batch import _Rule, allocate_batch
from forecast.seats.remainders import LR_METHODS
from forecast.seats.rows import _as_rows
from forecast.seats.ties import Lottery

__all__ = ["allocate_district", "highest_averages", "largest_remainder"]

Remainder = Literal["largest_remainder", "highest_votes", "vote_share"]
QuotaBase = Literal["qualifying", "valid"]

# Rows per batch inside a kernel: bounds the (list, list, row) comparison of ``remainders._top``.
_CHUNK = 16384


def allocate_district(
    votes: np.ndarray,
    seats: np.ndarray | int,
    *,
    method: Method,
    first_divisor: float | None = None,
    threshold: float = 0.0,
    threshold_quotas: float = 0.0,
    remainder: Remainder = "largest_remainder",
    quota_base: QuotaBase = "qualifying",
    quota_rounding: QuotaRounding = "exact",
    valid: np.ndarray | float | None = None,
    allowed: np.ndarray | None = None,
    lottery: Lottery | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Seats of each list in each district row under one district rule.

    Lists below the threshold, lists not ``allowed`` and lists without votes win nothing. If no
    list of a row reaches the threshold, the threshold is not applied in that row and the
    seats go by the method among all allowed lists with votes: a threshold exists to keep small
    lists out, not to leave a district unrepresented, and no law we model says otherwise
    (under Iraq's one-quota rule it cannot happen, since the largest list always holds a quota
    when no more lists stand than there are seats).

    Parameters
    ----------
    votes : np.ndarray, dims (..., party)
        Votes per list (whole numbers).
    seats : np.ndarray or int, dims (...)
        District magnitudes; 0 gives no seats.
    method : str
        A method of :class:`forecast.data.spec_law.DistrictRule`, e.g. ``hare_lr``, ``dhondt``.
    first_divisor : float, optional
        First divisor of ``modified_sainte_lague`` on the 1, 3, 5 scale (e.g. 1.4 or 1.7).
    threshold, threshold_quotas : float
        District threshold as a share of valid votes and in Hare quotas (see
        :func:`forecast.seats.thresholds.passes_threshold`).
    remainder : str
        Largest-remainder methods: who gets the seats left after full quotas.
        ``largest_remainder``: the largest remainders. ``highest_votes``: the qualifying lists
        in order of votes, one each, round after round. ``vote_share``: the seats left are
        divided again among the qualifying lists in proportion to their votes (Hare, largest
        remainder).
    quota_base : str
        Largest-remainder methods: the quota is computed from the votes of the lists that pass
        the threshold (``qualifying``) or from all valid votes (``valid``, which leaves more
        seats to the remainder rule).
    quota_rounding : str
        The quota exact or rounded to whole votes (``round``: halves up, ``floor``, ``ceil``).
    valid : np.ndarray or float, optional, dims (...)
        Valid votes per district, which may include lists not in ``votes``; the denominator of
        thresholds and of a ``valid`` quota. Defaults to the sum over ``votes``.
    allowed : np.ndarray of bool, optional, dims broadcastable to (..., party)
        Lists allowed to win seats (e.g. those passing a national threshold); default all.
    lottery : Lottery, optional
        Settles ties by a seeded lottery; without it the list listed first wins a tie.
    out : np.ndarray, optional, dims (..., party)
        Integer array to write the seats into.

    Returns
    -------
    np.ndarray of int, dims (..., party)
        Seats per list; each row sums to its magnitude.

    Raises
    ------
    ValueError
        If a district with seats has no votes for any allowed list, or inputs are malformed.
    """
    rows, m, total = _as_rows(votes, seats, valid)
    ok = None
    if allowed is not None:
        ok = np.broadcast_to(np.asarray(allowed, dtype=bool), np.shape(votes)).reshape(rows.shape)
    out, flat = _zeroed_out(out, np.shape(votes), rows.shape)
    rule = _Rule(
        method, first_divisor, threshold, threshold_quotas, remainder, quota_base, quota_rounding
    )
    _allocate_chunks(rows, m, rule, total, ok, lottery, flat)
    return out


def _zeroed_out(
    out: np.ndarray | None, shape: tuple[int, ...], flat_shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Check or make the integer seat array, zeroed; return it and its (row, party) view."""
    if out is None:
        out = np.zeros(shape, dtype=np.int64)
    elif out.shape != shape or out.dtype.kind not in "iu":
        raise ValueError(f"out must be an integer array of shape {shape}")
    else:
        out[...] = 0
    flat = out.reshape(flat_shape)
    if not np.shares_memory(flat, out):
        raise ValueError("out must be viewable as (row, party) without a copy")
    return out, flat


def _allocate_chunks(
    rows: np.ndarray,
    m: np.ndarray,
    rule: _Rule,
    total: np.ndarray | None,
    ok: np.ndarray | None,
    lottery: Lottery | None,
    flat: np.ndarray,
) -> None:
    """Allocate checked rows into ``flat`` (row, party), in batches of ``_CHUNK`` rows."""
    for start in range(0, len(rows), _CHUNK):
        part = slice(start, start + _CHUNK)
        allocate_batch(
            rows[part],
            m[part],
            rule,
            valid=None if total is None else total[part],
            allowed=None if ok is None else ok[part],
            lottery=None if lottery is None else lottery.subset(np.arange(len(rows))[part]),
            out=flat[part].T,
        )


def largest_remainder(
    votes: np.ndarray,
    seats: np.ndarray | int,
    *,
    quota: Literal["hare", "droop", "hagenbach_bischoff", "imperiali"] = "hare",
    quota_rounding: QuotaRounding = "exact",
    remainder: Remainder = "largest_remainder",
    quota_base: QuotaBase = "qualifying",
    valid: np.ndarray | float | None = None,
    allowed: np.ndarray | None = None,
    lottery: Lottery | None = None,
) -> np.ndarray:
    """Largest-remainder seats (Hare, Droop, Hagenbach-Bischoff or Imperiali quota), no threshold.

    A thin entry to :func:`allocate_district`; see it for the parameters. The quotas of ``T``
    votes for ``M`` seats are ``T / M``, ``floor(T / (M + 1)) + 1``, ``T / (M + 1)`` and
    ``T / (M + 2)``.

    Returns
    -------
    np.ndarray of int, dims (..., party)
    """
    return allocate_district(
        votes,
        seats,
        method=next(m for m, q in LR_METHODS.items() if q == quota),
        quota_rounding=quota_rounding,
        remainder=remainder,
        quota_base=quota_base,
        valid=valid,
        allowed=allowed,
        lottery=lottery,
    )


def highest_averages(
    votes: np.ndarray,
    seats: np.ndarray | int,
    *,
    method: Literal["dhondt", "sainte_lague", "modified_sainte_lague"] = "dhondt",
    first_divisor: float | None = None,
    allowed: np.ndarray | None = None,
    lottery: Lottery | None = None,
) -> np.ndarray:
    """Highest-averages seats (D'Hondt, Sainte-Lague, modified Sainte-Lague) without a threshold.

    A thin entry to :func:`allocate_district`; see it for the parameters.

    Returns
    -------
    np.ndarray of int, dims (..., party)
    """
    return allocate_district(
        votes, seats, method=method, first_divisor=first_divisor, allowed=allowed, lottery=lottery
    )
