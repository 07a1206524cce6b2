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

For a whole law, :func:`allocate_provinces` allocates every province of a batch of draws at
once: provinces with the same number of lists that can win share each vector operation. The
law can also run the same arithmetic through compiled kernels (numba, when installed), whose
fused loops replace a dozen NumPy passes over a block by a few. The NumPy functions remain the
reference: the compiled kernels hand every row with a tie at the cut, or without a qualifying
list, back to them, and the tests run both on the same draws.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

__all__ = [
    "DIVISOR_METHODS",
    "LR_METHODS",
    "Lottery",
    "allocate_batch",
    "allocate_district",
    "allocate_provinces",
    "compiled_available",
    "highest_averages",
    "largest_remainder",
    "national_and_max",
    "passes_threshold",
]

Method = Literal["hare_lr", "droop_lr", "dhondt", "sainte_lague", "modified_sainte_lague"]
Remainder = Literal["largest_remainder", "highest_votes", "vote_share"]
QuotaBase = Literal["qualifying", "valid"]
LR_METHODS = ("hare_lr", "droop_lr")
DIVISOR_METHODS = ("dhondt", "sainte_lague", "modified_sainte_lague")

# floor(v * (M / T) * _UP) is floor(v * M / T) exactly: the product's rounding error (relative
# 4e-16) is covered by the nudge _UP, and a fraction v M / T that is not a whole number lies at
# least 1 / T away from one, more than the nudge moves it (M * 2**-44 < 1 / T for M < 10**4 and
# T < 10**9 votes).
_UP = np.float64(1.0 + 2.0**-44)
# Remainders are ranked as float32 fractions of a quota: fractions closer than _TIE (far more
# than float32's 6e-8) are treated as possibly tied and settled exactly.
_TIE = np.float32(1e-6)
_ONE = np.float64(1.0)


@dataclass(frozen=True, eq=False)
class Lottery:
    """A seeded lottery among tied lists, drawn independently for every row.

    Row ``i`` of a batch draws a random order of all ``n`` lists from
    ``numpy.random.default_rng([seed, stream, first_row + i])``; among tied lists the one
    drawn first wins. The draw depends only on the row's identity, so results do not depend on
    how draws are chunked.

    Parameters
    ----------
    seed : int
        The law's tie seed.
    stream : int
        Separates independent lotteries, e.g. one per province.
    first_row : int
        Global index of the batch's first row (the first draw of a chunk).
    row_ids : np.ndarray, optional
        Global indices of the batch's rows when they are not consecutive.
    """

    seed: int
    stream: int = 0
    first_row: int = 0
    row_ids: np.ndarray | None = None

    def priority(self, rows: np.ndarray, n: int) -> np.ndarray:
        """Rank each list in each row's random order, dims (row, party); 0 wins."""
        ids = self.first_row + (rows if self.row_ids is None else self.row_ids[rows])
        out = np.empty((len(rows), n), dtype=np.int64)
        for k, row in enumerate(ids):
            rng = np.random.default_rng([self.seed, self.stream, int(row)])
            out[k, rng.permutation(n)] = np.arange(n)
        return out

    def subset(self, rows: np.ndarray) -> Lottery:
        """Restrict the lottery to the batch's rows ``rows`` (each keeps its own draw)."""
        ids = rows if self.row_ids is None else self.row_ids[rows]
        return Lottery(self.seed, self.stream, self.first_row, np.asarray(ids))


class _Ties:
    """Tie priority of the lists of a block, row by row: list order or the rows' lotteries.

    A block's rows are runs of ``width`` rows; run ``j`` belongs to district ``districts[j]``,
    whose lists in the block are ``cols[:, j]`` (party indices, ascending, so list order is the
    block's order) and whose lottery is ``lotteries[districts[j]]``, over rows counted from
    ``offset``. ``row_ids`` maps the rows of a block cut from a larger one to the larger
    block's rows.
    """

    def __init__(
        self,
        lotteries: Sequence[Lottery] | None,
        districts: np.ndarray,
        cols: np.ndarray,
        width: int,
        n: int,
        row_ids: np.ndarray | None = None,
        offset: int = 0,
    ) -> None:
        self.lotteries, self.districts, self.cols = lotteries, districts, cols
        self.width, self.n, self.row_ids, self.offset = width, n, row_ids, offset

    def priority(self, rows: np.ndarray) -> np.ndarray:
        """Priority of the block's lists in the given rows, dims (row, list); lower wins."""
        k = self.cols.shape[0]
        if self.lotteries is None:
            return np.broadcast_to(np.arange(k), (len(rows), k))
        if self.row_ids is not None:
            rows = self.row_ids[rows]
        run, at = np.divmod(rows, self.width)
        out = np.empty((len(rows), k), dtype=np.int64)
        for j in np.unique(run):
            here = run == j
            lottery = self.lotteries[self.districts[j]]
            out[here] = lottery.priority(self.offset + at[here], self.n)[:, self.cols[:, j]]
        return out

    def take(self, kept: np.ndarray) -> _Ties:
        """The same ties for the block's lists ``kept``."""
        return _Ties(
            self.lotteries,
            self.districts,
            self.cols[kept],
            self.width,
            self.n,
            self.row_ids,
            self.offset,
        )

    def rows(self, rows: np.ndarray) -> _Ties:
        """The same ties for a block of the given rows of this one."""
        ids = rows if self.row_ids is None else self.row_ids[rows]
        return _Ties(
            self.lotteries, self.districts, self.cols, self.width, self.n, ids, self.offset
        )


def _as_rows(
    votes: np.ndarray, seats: np.ndarray | int, valid: np.ndarray | float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Votes as (row, party), seats as (row,) int64 and valid votes as (row,) float64, checked."""
    votes = np.asarray(votes)
    if votes.ndim == 0 or votes.dtype.kind not in "iuf":
        raise ValueError(f"votes must be a numeric array with a trailing party axis, got {votes!r}")
    lead = votes.shape[:-1]
    rows = votes.reshape(-1, votes.shape[-1])
    if rows.size and not rows.min() >= 0:  # one pass; also catches NaN and -inf
        raise ValueError("votes must be >= 0 and not NaN")
    m = np.broadcast_to(np.asarray(seats), lead).reshape(-1)
    if m.dtype.kind not in "iu":
        if not np.all(m == np.floor(m)):
            raise ValueError("seats (district magnitudes) must be whole numbers")
        m = m.astype(np.int64)
    if m.size and m.min() < 0:
        raise ValueError("seats (district magnitudes) must be >= 0")
    total = None
    if valid is not None:
        total = np.broadcast_to(np.asarray(valid, dtype=np.float64), lead).reshape(-1)
        if total.size and not total.min() >= 0:
            raise ValueError("valid votes must be >= 0 and not NaN")
    return rows, m.astype(np.int64), total


@functools.lru_cache(maxsize=64)
def _ratio(x: float, what: str) -> tuple[int, int]:
    """``x`` as a small exact fraction (numerator, denominator) for exact comparisons."""
    f = Fraction(x).limit_denominator(1000)
    if abs(float(f) - x) > 1e-9:
        raise ValueError(f"{what} {x} needs a denominator above 1000; round it")
    return f.numerator, f.denominator


def passes_threshold(
    votes: np.ndarray,
    seats: np.ndarray | int,
    *,
    valid: np.ndarray | float | None = None,
    share: float = 0.0,
    quotas: float = 0.0,
) -> np.ndarray:
    """Which lists reach a district threshold.

    A list passes when its votes reach ``share`` of the district's valid votes and ``quotas``
    times its Hare quota (valid votes / seats). Reaching exactly the threshold passes.

    Parameters
    ----------
    votes : np.ndarray, dims (..., party)
        Votes per list.
    seats : np.ndarray or int, dims (...)
        District magnitudes.
    valid : np.ndarray or float, optional, dims (...)
        Valid votes of the district, which may include lists not in ``votes``; defaults to the
        sum over ``votes``.
    share, quotas : float
        The two thresholds; 0 disables one.

    Returns
    -------
    np.ndarray of bool, dims (..., party)
    """
    rows, m, total = _as_rows(votes, seats, valid)
    if total is None:
        total = rows.sum(axis=-1, dtype=np.float64)
    bar = _bar(m, total, share, quotas) if (share > 0 or quotas > 0) else np.zeros(total.shape)
    return (rows >= bar[:, None]).reshape(np.shape(votes))


# --------------------------------------------------------------------------- the block
# Lists that can win are gathered into a party-major block: dims (list, row), C-contiguous, so
# that each step below is one vector operation over all rows of the batch.


def _at(x: np.ndarray | float, idx: np.ndarray | int) -> np.ndarray | float:
    """``x[idx]`` for a per-row array, ``x`` itself for one value for all rows."""
    return x[idx] if np.ndim(x) else x


def _gather(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Columns ``cols`` of (row, party) ``rows`` as a float64 block, dims (list, row)."""
    block = np.empty((len(cols), len(rows)), dtype=np.float64)
    for k, c in enumerate(cols):
        block[k] = rows[:, c]
    return block


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
) -> np.ndarray:
    """Largest-remainder seats of a block, dims (list, row), float64 whole numbers.

    ``ve`` holds the votes of eligible lists and 0 elsewhere; ``qualifying`` is its sum per row.
    """
    total = qualifying if quota_base == "qualifying" else valid
    if quota == "hare":  # seats floor(v M / T), remainder v M - seats T
        num, den = m, total
    else:  # seats floor(v / D) with the Droop quota D, remainder v - seats D
        num, den = _ONE, np.floor(total / (m + 1)) + 1
    frac = ve * (num * _UP / np.fmax(den, _ONE))
    seats = np.floor(frac)
    left = m - seats.sum(axis=0)
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
    if not (quota == "hare" and quota_base == "qualifying" and remainder == "largest_remainder"):
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


# --------------------------------------------------------------------------- public kernels


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
        ``hare_lr``, ``droop_lr``, ``dhondt``, ``sainte_lague`` or ``modified_sainte_lague``.
    first_divisor : float, optional
        First divisor of ``modified_sainte_lague`` on the 1, 3, 5 scale (e.g. 1.4 or 1.7).
    threshold, threshold_quotas : float
        District threshold as a share of valid votes and in Hare quotas (see
        :func:`passes_threshold`).
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
    if out is None:
        out = np.zeros(np.shape(votes), dtype=np.int64)
    elif out.shape != np.shape(votes) or out.dtype.kind not in "iu":
        raise ValueError(f"out must be an integer array of shape {np.shape(votes)}")
    else:
        out[...] = 0
    flat = out.reshape(rows.shape)
    if not np.shares_memory(flat, out):
        raise ValueError("out must be viewable as (row, party) without a copy")
    rule = _Rule(method, first_divisor, threshold, threshold_quotas, remainder, quota_base)
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
    return out


# Rows per batch inside a kernel: bounds the (list, list, row) comparison of ``_top``.
_CHUNK = 16384


@dataclass(frozen=True)
class _Rule:
    """A district rule's parameters, with the field names of ``forecast.data.spec.DistrictRule``."""

    method: str
    first_divisor: float | None
    threshold: float
    threshold_quotas: float
    remainder: str
    quota_base: str


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

    :func:`allocate_district` checks its inputs and calls this per batch; the law calls
    :func:`allocate_provinces` for its districts and this for the compensatory seats and for
    rows that need another set of lists allowed to win.

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
    n = rows.shape[1]
    if valid is None:
        total = np.einsum("rp->r", rows).astype(np.float64)  # faster than sum on a short axis
    else:
        total = np.ascontiguousarray(valid, dtype=np.float64)
    bar = _bar(m, total, rule.threshold, rule.threshold_quotas)
    if rule.method in DIVISOR_METHODS and valid is None and allowed is None:
        # every list competes and T is their total: lists below the floor cannot win
        bar = np.fmax(bar, _divisor_floor(m, total, n, _divisors(rule.method, rule.first_divisor)))
    # Lists that could win in some row: a cheap superset from per-list maxima over the rows.
    vmax = rows.max(axis=0, initial=0) if list_max is None else list_max
    cand = vmax >= bar.min(initial=np.inf)
    if allowed is not None:
        cand &= allowed.any(axis=0) if allowed.ndim == 2 else allowed
    cols = np.flatnonzero(cand)
    ok = _gather(allowed, cols) > 0 if allowed is not None and allowed.ndim == 2 else None
    ties = _Ties(
        None if lottery is None else (lottery,), np.zeros(1, int), cols[:, None], len(rows), n
    )
    if compiled and np.ndim(m) == 0 and cols.size:  # one district: one run of rows
        empty = _block_compiled(
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
    else:
        kept, seats, empty = _allocate_block(
            _gather(rows, cols), m, total, bar, rule, allowed=ok, n=n, ties=ties
        )
        for k, c in enumerate(cols[kept]):
            out[c] = seats[k]
    if empty.size:
        # no list reaches the threshold: allocate those rows as if there were none
        return _lift_threshold(rows, m, total, allowed, empty, out, rule, lottery, strict)
    return empty


def allocate_provinces(
    votes: np.ndarray,
    m: np.ndarray,
    rule: object,
    *,
    valid: np.ndarray,
    allowed: np.ndarray | None = None,
    lotteries: Sequence[Lottery] | None = None,
    out: np.ndarray,
    list_max: np.ndarray | None = None,
    strict: bool = True,
    compiled: bool = False,
) -> list[tuple[int, np.ndarray]]:
    """Allocate every province's district for a batch of draws, all provinces at once.

    The lists that can win in each province are read from ``votes`` in one pass into one
    party-major block, and provinces with the same number of such lists share each vector
    operation, so the cost per operation does not grow with the number of provinces.

    Parameters
    ----------
    votes : np.ndarray, dims (row, province, party)
        Votes, whole numbers >= 0.
    m : np.ndarray of int, dims (province,)
        District magnitudes.
    rule : DistrictRule
        Any object with the fields of :class:`forecast.data.spec.DistrictRule`.
    valid : np.ndarray, dims (row, province)
        Valid votes per row and province (whole numbers).
    allowed : np.ndarray of bool, optional, dims (party,) or (party, row)
        Lists allowed to win seats.
    lotteries : sequence of Lottery, optional
        Each province's tie lottery, over the batch's rows; list order without them.
    out : np.ndarray of int, dims (province, party, row)
        Zeros on entry; receives the seats.
    list_max : np.ndarray, optional, dims (province, party)
        Each list's largest vote in each province over the rows, if the caller has it.
    strict : bool
        Raise for a district with seats but no votes for any allowed list; otherwise leave it
        at zero seats and report it.
    compiled : bool
        Run largest-remainder rules through the compiled kernel (needs numba; same seats).

    Returns
    -------
    list of (int, np.ndarray)
        Province and rows of the districts with seats but no votes for any allowed list.
    """
    n_rows, n_province, n = votes.shape
    if compiled:  # the kernel finds each row's threshold; here only the lowest per province
        fewest = valid.min(axis=0) if len(valid) else np.zeros(n_province)
        lowest = _bar(m, fewest.astype(np.float64), rule.threshold, rule.threshold_quotas)
        mf = m.astype(np.float64)
    else:
        valid = np.ascontiguousarray(valid.T, dtype=np.float64)  # dims (province, row)
        bar = _bar(m[:, None], valid, rule.threshold, rule.threshold_quotas)
        lowest = bar.min(axis=1, initial=np.inf)
    if list_max is None:
        list_max = votes.max(axis=0, initial=0)
    cand = list_max >= lowest[:, None]
    if allowed is not None:
        cand &= allowed if allowed.ndim == 1 else allowed.any(axis=1)
    k = cand.sum(axis=1)
    # Provinces grouped by their number of candidate lists (padded up to the group's largest
    # with empty slots, col -1), each group's lists stacked list-major.
    groups = []
    for where, size in _group_sizes(k, min(n_rows, _WIDTH)):
        rank = np.cumsum(cand[where], axis=1) - 1
        cols = np.full((size, len(where)), -1)
        j, c = np.nonzero(cand[where])
        cols[rank[j, c], j] = c  # dims (list, province)
        groups.append((where, cols))
    index = np.concatenate([(w * n + np.maximum(c, 0)).reshape(-1) for w, c in groups])
    flat = votes.reshape(n_rows, n_province * n)
    missing = []
    # Rows in parts of _WIDTH, so that a part's blocks stay in the core's cache.
    for first in range(0, n_rows, _WIDTH):
        part = slice(first, min(first + _WIDTH, n_rows))
        width = part.stop - first
        # every block in one pass; int32 votes stay int32 for the compiled kernels (half the
        # memory traffic), the NumPy kernels work on float64
        small = compiled and votes.dtype.kind in "iu" and votes.dtype.itemsize <= 4
        stacked = np.empty((len(index), width), dtype=np.int32 if small else np.float64)
        stacked[...] = np.take(flat[part], index, axis=1).T
        start = 0
        for where, cols in groups:
            size, g = cols.shape
            block = stacked[start : start + size * g].reshape(size, g * width)
            start += size * g
            pad = cols < 0
            if pad.any():
                block.reshape(size, g, width)[pad] = 0.0
            ok = None
            if allowed is not None and allowed.ndim == 2:
                ok = np.take(allowed[:, part], np.maximum(cols, 0).reshape(-1), axis=0)
                ok = ok.reshape(size, g * width)
            ties = _Ties(lotteries, where, cols, width, n, offset=first)
            if compiled:
                empty = _block_compiled(
                    block,
                    cols,
                    valid,
                    where,
                    first,
                    mf,
                    rule,
                    allowed=ok,
                    n=n,
                    ties=ties,
                    out=out,
                )
            else:
                kept, seats, empty = _allocate_block(
                    block,
                    np.repeat(m[where].astype(np.float64), width),
                    valid[where, part].reshape(-1),
                    bar[where, part].reshape(-1),
                    rule,
                    allowed=ok,
                    n=n,
                    ties=ties,
                )
                if kept.size:
                    seats = seats.reshape(len(kept), g, width)
                    real = ~pad[kept]
                    if real.all():
                        out[where[None, :], cols[kept], part] = seats
                    else:
                        district = np.broadcast_to(where, real.shape)[real]
                        out[district, cols[kept][real], part] = seats[real]
            run, at = np.divmod(empty, width)
            for j in np.unique(run):
                p = int(where[j])
                lost = _lift_threshold(
                    votes[:, p],
                    int(m[p]),
                    valid[:, p] if compiled else valid[p],
                    None if allowed is None else allowed.T,
                    first + at[run == j],
                    out[p],
                    rule,
                    None if lotteries is None else lotteries[p],
                    strict,
                )
                if lost.size:
                    missing.append((p, lost))
    return missing


# Rows per part of allocate_provinces: blocks of a few lists x provinces x _WIDTH rows stay in
# a core's cache, while each vector operation still covers thousands of rows.
_WIDTH = 2048


# --------------------------------------------------------------------------- compiled path
# The NumPy block functions above are the reference. For large batches the law can instead run
# a block through one compiled function (numba) per method family, whose loops fuse the dozen
# NumPy passes into a few. It settles every row without a tie at the cut and hands the others,
# and the rows where no list qualifies, back to the NumPy functions and their tie rule, so the
# two paths give the same seats (tests/test_law.py runs both on the same draws).

_LR_REMAINDER = {"largest_remainder": 0, "highest_votes": 1, "vote_share": 2}
_ALL_ALLOWED = np.zeros((0, 0), dtype=bool)
_compiled_cache: dict[str, Callable] = {}
_compile_lock = threading.Lock()
_HELPERS = ("_scatter_rows", "_qualify_rows")


def compiled_available() -> bool:
    """Whether numba is installed, so that the compiled path can be used."""
    return importlib.util.find_spec("numba") is not None


def _compiled(name: str) -> Callable:
    """The numba-compiled version of a kernel (compiled once, cached on disk by numba).

    The helpers the kernels call are compiled first and take the place of their Python
    functions in this module, where the kernels find them.
    """
    fn = _compiled_cache.get(name)
    if fn is None:
        import numba

        with _compile_lock:  # dask may call from several threads at once
            jit = numba.njit(cache=True, nogil=True, boundscheck=False)
            for helper in _HELPERS:
                if helper not in _compiled_cache:
                    globals()[helper] = jit(globals()[helper])
                    _compiled_cache[helper] = globals()[helper]
            fn = _compiled_cache.get(name) or jit(globals()[name])
            _compiled_cache[name] = fn
    return fn


def _block_compiled(
    block: np.ndarray,
    cols: np.ndarray,
    valid: np.ndarray,
    where: np.ndarray,
    first: int,
    m: np.ndarray,
    rule: object,
    *,
    allowed: np.ndarray | None,
    n: int,
    ties: _Ties,
    out: np.ndarray,
) -> np.ndarray:
    """Allocate a block through :func:`_lr_rows` or :func:`_divisor_rows` into ``out``.

    The block's rows are runs of equal width, run ``j`` from district ``where[j]`` (lists
    ``cols[:, j]``, -1: none) with ``m`` seats (dims (district,)) and valid votes
    ``valid[first:, where[j]]`` (dims (row, district)); the kernels find each row's threshold
    from them and write the seats into ``out`` (district, party, row) from row ``first``.
    Rows with a tie at the cut are settled by the NumPy kernels and the tie rule. Returns the
    rows with seats but no qualifying list (left at zero).
    """
    width = block.shape[1] // len(where)
    status = np.zeros(block.shape[1], dtype=np.int8)
    common = (
        block,
        valid,
        where.astype(np.int64),
        first,
        m,
        _limits(rule),
        _ALL_ALLOWED if allowed is None else np.ascontiguousarray(allowed),
    )
    if rule.method in LR_METHODS:
        _compiled("_lr_rows")(
            *common,
            rule.method == "hare_lr",
            _LR_REMAINDER[rule.remainder],
            rule.quota_base == "valid",
            cols,
            out,
            status,
        )
    else:
        _compiled("_divisor_rows")(
            *common, *_divisors(rule.method, rule.first_divisor), cols, out, status
        )
    tied = np.flatnonzero(status == 1)
    if tied.size:  # the tie rule decides these rows: the NumPy kernels, on the same votes
        run, at = np.divmod(tied, width)
        total = valid[first + at, where[run]].astype(np.float64)
        mt = m[where[run]]
        kept, seats, _ = _allocate_block(
            block[:, tied].astype(np.float64),
            mt,
            total,
            _bar(mt, total, rule.threshold, rule.threshold_quotas),
            rule,
            allowed=None if allowed is None else allowed[:, tied],
            n=n,
            ties=ties.rows(tied),
        )
        if seats is not None:
            real = cols[kept][:, run] >= 0  # dims (kept list, tied row)
            district = np.broadcast_to(where[run], real.shape)[real]
            rows = np.broadcast_to(first + at, real.shape)[real]
            out[district, cols[kept][:, run][real], rows] = seats[real]
    return np.flatnonzero(status == 2)


def _limits(rule: object) -> tuple[float, float, float, float]:
    """A rule's thresholds as exact fractions: (share a, b, quotas a, b) for the kernels."""
    share = _ratio(rule.threshold, "threshold share") if rule.threshold > 0 else (0, 1)
    quotas = (
        _ratio(rule.threshold_quotas, "threshold in quotas")
        if rule.threshold_quotas > 0
        else (0, 1)
    )
    return float(share[0]), float(share[1]), float(quotas[0]), float(quotas[1])


def national_and_max(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """National votes of each list and its largest vote in each province, in one compiled pass.

    Parameters
    ----------
    votes : np.ndarray, dims (row, province, party)
        Votes (C-contiguous).

    Returns
    -------
    tuple of np.ndarray
        National votes, dims (row, party), int64 (float64 for float votes), and the largest
        vote of each list in each province over the rows, dims (province, party).
    """
    kind = np.int64 if votes.dtype.kind in "iub" else np.float64
    national = np.empty((votes.shape[0], votes.shape[2]), dtype=kind)
    list_max = np.zeros(votes.shape[1:], dtype=votes.dtype)
    _compiled("_national_rows")(np.ascontiguousarray(votes), national, list_max)
    return national, list_max


def _national_rows(votes: np.ndarray, national: np.ndarray, list_max: np.ndarray) -> None:
    """Sum ``votes`` over provinces into ``national`` and take maxima over rows into
    ``list_max`` (zeros on entry); compiled by :func:`_compiled`.
    """
    rows, provinces, parties = votes.shape
    for s in range(rows):
        for j in range(parties):
            national[s, j] = 0
        for p in range(provinces):
            for j in range(parties):
                v = votes[s, p, j]
                national[s, j] += v
                list_max[p, j] = max(list_max[p, j], v)


def _scatter_rows(
    seats: np.ndarray,
    cols: np.ndarray,
    where: np.ndarray,
    first: int,
    status: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write the seats of a block's settled rows (status 0) into ``out`` (district, party, row).

    The block's rows are runs of equal width, run ``j`` from district ``where[j]`` starting at
    row ``first`` of ``out``; its lists are ``cols[:, j]`` (-1: none).
    """
    k, runs = cols.shape
    width = seats.shape[1] // runs
    for run in range(runs):
        d = where[run]
        for j in range(k):
            c = cols[j, run]
            if c < 0:
                continue
            for t in range(width):
                if status[run * width + t] == 0:
                    out[d, c, first + t] = seats[j, run * width + t]


def _qualify_rows(
    block: np.ndarray,
    where: np.ndarray,
    valid: np.ndarray,
    first: int,
    m: np.ndarray,
    limits: tuple[float, float, float, float],
    allowed: np.ndarray,
    status: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The prologue of the compiled kernels: each row's seats and valid votes, and the lists
    that clear its bar (others zeroed in ``block``); compiled with them.

    Returns ``(seats, valid votes, qualifying votes, qualifying lists, seats to hand out)`` per
    row; rows with seats but no qualifying list get ``status`` 2.
    """
    k, n_rows = block.shape
    runs = where.shape[0]
    width = n_rows // runs
    share_a, share_b, quotas_a, quotas_b = limits
    bar = np.empty(n_rows)
    mr = np.empty(n_rows)
    vr = np.empty(n_rows)
    for run in range(runs):
        d = where[run]
        for t in range(width):
            r = run * width + t
            total = np.float64(valid[first + t, d])
            mr[r] = m[d]
            vr[r] = total
            # fewest votes to qualify, as _bar computes it
            if share_a == 0.0 and quotas_a == 1.0 and quotas_b == 1.0:
                bar[r] = max(np.ceil(total / max(m[d], 1.0)), 1.0)
            else:
                lowest = 1.0
                if share_a > 0.0:
                    lowest = max(lowest, np.ceil(total * share_a / share_b))
                if quotas_a > 0.0:
                    lowest = max(lowest, np.ceil(total * quotas_a / max(m[d] * quotas_b, 1.0)))
                bar[r] = lowest
    width = n_rows
    qual = np.zeros(width)
    count = np.zeros(width)
    if allowed.shape[0] > 0:
        for j in range(k):
            for r in range(width):
                if not allowed[j, r]:
                    block[j, r] = 0.0
    for j in range(k):
        for r in range(width):
            v = block[j, r]
            ok = v >= bar[r]
            block[j, r] = v if ok else 0.0
            qual[r] += v if ok else 0.0
            count[r] += 1.0 if ok else 0.0
    share = np.empty(width)  # the seats to hand out
    for r in range(width):
        share[r] = mr[r] if qual[r] > 0.0 else 0.0
        if qual[r] == 0.0 and mr[r] > 0.0:
            status[r] = 2
    return mr, vr, qual, count, share


def _lr_rows(
    block: np.ndarray,
    valid: np.ndarray,
    where: np.ndarray,
    first: int,
    m: np.ndarray,
    limits: tuple[float, float, float, float],
    allowed: np.ndarray,
    hare: bool,
    remainder: int,
    base_valid: bool,
    cols: np.ndarray,
    out: np.ndarray,
    status: np.ndarray,
) -> None:
    """Largest-remainder seats of a block in fused loops; compiled by :func:`_compiled`.

    ``block`` (list, row): votes, overwritten with those of the qualifying lists (0 elsewhere);
    its rows are runs of equal width, run ``j`` from district ``where[j]``, whose seats are
    ``m[where[j]]`` and valid votes ``valid[first:, where[j]]``; ``limits`` the thresholds of
    :func:`_limits`; ``allowed`` (list, row) bool, or (0, 0) for all; ``hare``,
    ``base_valid`` flags and ``remainder`` a code of ``_LR_REMAINDER``, as in
    :func:`_lr_block`. Writes the seats of settled rows into ``out`` (district, party, row)
    for the lists ``cols`` (list, run; -1 none), and ``status`` (row,): 0 settled, 1 a
    possible tie at the cut (left to the NumPy path, which settles it exactly by the tie
    rule), 2 no qualifying list.
    """
    k, width = block.shape
    mr, vr, qual, count, share = _qualify_rows(
        block, where, valid, first, m, limits, allowed, status
    )
    seats = np.zeros((k, width))
    num = np.empty(width)
    den = np.empty(width)
    scale = np.empty(width)
    used = np.empty(width)
    frac = np.empty((k, width), dtype=np.float32)
    # vote_share: full quotas first, then the seats left go by Hare among the qualifying lists
    stages = 2 if remainder == 2 else 1
    stage_hare, stage_valid = hare, base_valid
    for stage in range(stages):
        if stage == 1:
            stage_hare, stage_valid = True, False
        for r in range(width):
            total = vr[r] if stage_valid else qual[r]
            if stage_hare:
                num[r] = share[r]
                den[r] = total
            else:
                num[r] = 1.0
                den[r] = np.floor(total / (share[r] + 1.0)) + 1.0
            scale[r] = num[r] * (1.0 + 2.0**-44) / max(den[r], 1.0)
            used[r] = 0.0
        last = stage == stages - 1
        for j in range(k):
            for r in range(width):
                x = block[j, r] * scale[r]
                q = np.floor(x)
                seats[j, r] += q
                used[r] += q
                if last:  # the remainder as a fraction of the quota; non-qualifying lists last
                    frac[j, r] = np.float32(x - q) if block[j, r] > 0.0 else np.float32(-1.0)
        for r in range(width):
            share[r] -= used[r]
    # The seats still left: round by round to every qualifying list (except under Hare among
    # the qualifying lists, which never needs a round), then one each by key.
    rounds = np.zeros(width)
    if not (stage_hare and not stage_valid and remainder != 1):
        for r in range(width):
            if count[r] > 0.0:
                rounds[r] = np.floor(share[r] / count[r])
                share[r] -= rounds[r] * count[r]
    # Each qualifying list counts the lists whose key is at least its own less a tolerance
    # (itself included) and wins if that count fits in the seats left, as in _top. A row where
    # fewer lists win than seats are left has a near-tie at the cut: it is settled below on
    # exact keys, and an exact tie is left to the tie rule. Remainders are ranked as float32
    # fractions of a quota (exactly: as whole numbers v num - seats den), votes as themselves.
    level = np.empty(width, dtype=np.int16)
    won = np.zeros(width, dtype=np.int16)
    chosen = np.zeros((k, width), dtype=np.int8)
    tie = np.float32(1e-6)
    for j in range(k):
        level[:] = 0
        if remainder == 1:
            for i in range(k):
                for r in range(width):
                    level[r] += block[i, r] >= block[j, r] - 0.5
        else:
            for i in range(k):
                for r in range(width):
                    level[r] += frac[i, r] >= frac[j, r] - tie
        for r in range(width):
            if block[j, r] > 0.0 and level[r] <= share[r]:
                chosen[j, r] = 1
                won[r] += 1
    exact = np.empty(k)
    for r in range(width):
        if won[r] >= share[r]:
            continue
        for j in range(k):
            chosen[j, r] = 0
            v = block[j, r]
            if v == 0.0:
                exact[j] = -1.0
            elif remainder == 1:
                exact[j] = v
            else:
                exact[j] = v * num[r] - np.floor(v * scale[r]) * den[r]
        left = share[r]
        while left > 0.0:
            top, ways = -0.5, 0.0
            for j in range(k):
                if chosen[j, r] == 0 and exact[j] > top:
                    top, ways = exact[j], 1.0
                elif chosen[j, r] == 0 and exact[j] == top:
                    ways += 1.0
            if ways > left:
                status[r] = 1
                break
            for j in range(k):
                if chosen[j, r] == 0 and exact[j] == top:
                    chosen[j, r] = 1
            left -= ways
    for j in range(k):
        for r in range(width):
            if block[j, r] > 0.0:
                seats[j, r] += rounds[r] + chosen[j, r]
    _scatter_rows(seats, cols, where, first, status, out)


def _divisor_rows(
    block: np.ndarray,
    valid: np.ndarray,
    where: np.ndarray,
    first: int,
    m: np.ndarray,
    limits: tuple[float, float, float, float],
    allowed: np.ndarray,
    c0: float,
    c1: float,
    c2: float,
    cols: np.ndarray,
    out: np.ndarray,
    status: np.ndarray,
) -> None:
    """Highest-averages seats of a block in fused loops; compiled by :func:`_compiled`.

    The arguments are those of :func:`_lr_rows` with the divisors of :func:`_divisors`; the
    method is that of :func:`_divisor_block`: the seats at a whole-number divisor that hands out
    at most ``m`` seats, then one seat at a time to the highest next quotient. A row where two
    lists hold the best quotient at some step is left to the tie rule (status 1). Quotients of
    whole numbers below 2**53 are equal as floats exactly when they are equal as fractions.
    """
    k, width = block.shape
    mr, vr, qual, count, share = _qualify_rows(
        block, where, valid, first, m, limits, allowed, status
    )
    seats = np.zeros((k, width))
    # Lower bound at a whole-number divisor, as in _divisor_block (rows that overshoot retry
    # with more slack, and finally with the safe divisor T / (c2 (M - k))).
    lam = np.empty(width)
    used = np.zeros(width)
    for r in range(width):
        estimate = c2 * share[r] + count[r] * (c1 - c2 / 2.0)
        lam[r] = max(np.floor(qual[r] / max(estimate, 1.0)), 1.0) if estimate > 0 else np.inf
    for j in range(k):
        for r in range(width):
            v = block[j, r]
            more = np.floor(max(v - c1 * lam[r], 0.0) / (c2 * lam[r]))
            got = 1.0 + more if v >= c0 * lam[r] else 0.0
            seats[j, r] = got
            used[r] += got
    for r in range(width):
        if used[r] <= share[r]:
            continue
        estimate = c2 * share[r] + count[r] * (c1 - c2 / 2.0)
        for attempt in range(3):
            if attempt < 2:
                denominator = estimate - c2 * (attempt + 1)
                divisor = np.floor(qual[r] / max(denominator, 1.0))
            else:
                denominator = c2 * (share[r] - count[r])
                divisor = np.ceil(qual[r] / max(denominator, 1.0))
            divisor = max(divisor, 1.0) if denominator > 0 else np.inf
            total = 0.0
            for j in range(k):
                v = block[j, r]
                more = np.floor(max(v - c1 * divisor, 0.0) / (c2 * divisor))
                total += 1.0 + more if v >= c0 * divisor else 0.0
            if total <= share[r] or attempt == 2:
                used[r] = 0.0
                for j in range(k):
                    v = block[j, r]
                    more = np.floor(max(v - c1 * divisor, 0.0) / (c2 * divisor))
                    seats[j, r] = 1.0 + more if v >= c0 * divisor else 0.0
                    used[r] += seats[j, r]
                break
    # The seats left, one at a time to the highest next quotient.
    left = np.empty(width)
    steps = 0.0
    for r in range(width):
        left[r] = share[r] - used[r]
        steps = max(steps, left[r])
    quotient = np.empty((k, width))
    best = np.empty(width)
    ways = np.empty(width)
    given = np.empty(width)
    for step in range(int(steps)):
        best[:] = 0.0
        for j in range(k):
            for r in range(width):
                d = c1 + c2 * seats[j, r] if seats[j, r] > 0.0 else c0
                quotient[j, r] = block[j, r] / d
                best[r] = max(best[r], quotient[j, r])
        ways[:] = 0.0
        given[:] = 0.0
        for j in range(k):
            for r in range(width):
                if step < left[r] and block[j, r] > 0.0 and quotient[j, r] == best[r]:
                    ways[r] += 1.0
                    if given[r] == 0.0:
                        seats[j, r] += 1.0
                        given[r] = 1.0
        for r in range(width):
            if ways[r] > 1.0:
                status[r] = 1
    _scatter_rows(seats, cols, where, first, status, out)


def _group_sizes(k: np.ndarray, width: int) -> list[tuple[np.ndarray, int]]:
    """Group districts by number of candidate lists: (districts, padded size) per group.

    Each group costs a fixed Python overhead (about ``2e4 / width`` list-rows of arithmetic)
    and every district in it is padded to the group's largest size; the cheapest split of the
    sorted sizes into runs is found by dynamic programming.
    """
    sizes, counts = np.unique(k, return_counts=True)
    penalty = max(1.0, 2e4 / max(width, 1))
    best = [0.0] + [np.inf] * len(sizes)  # best[i]: cheapest cost of the first i sizes
    cut = [0] * (len(sizes) + 1)
    for i in range(1, len(sizes) + 1):
        for j in range(i):
            cost = best[j] + penalty + sizes[i - 1] * (1 + sizes[i - 1] / 4) * counts[j:i].sum()
            if cost < best[i]:
                best[i], cut[i] = cost, j
    bounds, i = [], len(sizes)
    while i:
        bounds.append((cut[i], i))
        i = cut[i]
    return [
        (np.flatnonzero((k >= sizes[a]) & (k <= sizes[b - 1])), int(sizes[b - 1]))
        for a, b in reversed(bounds)
    ]


def _allocate_block(
    block: np.ndarray,
    m: np.ndarray | int,
    total: np.ndarray,
    bar: np.ndarray,
    rule: object,
    *,
    allowed: np.ndarray | None,
    n: int,
    ties: _Ties,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Seats of the lists of a block under one rule: (lists kept, their seats, empty rows).

    ``block`` holds the votes of the lists that may win, dims (list, row), and is overwritten.
    The seats (float64 whole numbers, dims (kept list, row)) leave out lists that win in no
    row; empty rows have seats but no list reaching ``bar`` and get none here.
    """
    eligible = block >= bar
    if allowed is not None:
        eligible &= allowed
    block *= eligible
    kept = np.arange(len(block))
    keep = eligible.any(axis=1)
    if not keep.all():  # lists that pass in no row after all
        kept, block, eligible = kept[keep], block[keep], eligible[keep]
    qualifying = block.sum(axis=0)
    if rule.method in DIVISOR_METHODS and kept.size:
        # drop lists too small to win any highest-averages seat in any row
        floor = _divisor_floor(m, qualifying, n, _divisors(rule.method, rule.first_divisor))
        keep = (block >= floor).any(axis=1)
        if not keep.all():
            kept, block, eligible = kept[keep], block[keep], eligible[keep]
            eligible &= block >= floor
            block *= eligible
            qualifying = block.sum(axis=0)
    empty = np.flatnonzero((qualifying == 0) & (m > 0))
    mf = np.asarray(m, dtype=np.float64)
    if empty.size:
        mf = np.broadcast_to(mf, total.shape).copy()
        mf[empty] = 0.0
    if not kept.size:
        return kept, None, empty
    ties = ties.take(kept)
    if rule.method in LR_METHODS:
        seats = _lr_block(
            block,
            eligible,
            mf,
            total,
            qualifying,
            quota="hare" if rule.method == "hare_lr" else "droop",
            remainder=rule.remainder,
            quota_base=rule.quota_base,
            ties=ties,
        )
    else:
        seats = _divisor_block(
            block,
            eligible,
            mf,
            qualifying,
            divisors=_divisors(rule.method, rule.first_divisor),
            ties=ties,
        )
    return kept, seats, empty


def _bar(m: np.ndarray, total: np.ndarray, share: float, quotas: float) -> np.ndarray:
    """Fewest votes a list needs to win in each row, dims (row,): at least 1 and the threshold.

    A list passes when ``v >= share T`` and ``v >= quotas T / M``; for whole ``v`` that is
    ``v >= ceil(...)``, exact since the thresholds are small fractions ``a / b``.
    """
    if share == 0 and quotas == 1:
        return np.fmax(np.ceil(total / np.fmax(m, 1)), _ONE)
    bar = _ONE
    if share > 0:
        a, b = _ratio(share, "threshold share")
        bar = np.fmax(bar, np.ceil(total * np.float64(a) / b))
    if quotas > 0:
        a, b = _ratio(quotas, "threshold in quotas")
        bar = np.fmax(bar, np.ceil(total * np.float64(a) / np.fmax(m * b, 1)))
    return np.broadcast_to(bar, total.shape)


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
        lifted = _Rule(rule.method, rule.first_divisor, 0.0, 0.0, rule.remainder, rule.quota_base)
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


def largest_remainder(
    votes: np.ndarray,
    seats: np.ndarray | int,
    *,
    quota: Literal["hare", "droop"] = "hare",
    remainder: Remainder = "largest_remainder",
    quota_base: QuotaBase = "qualifying",
    valid: np.ndarray | float | None = None,
    allowed: np.ndarray | None = None,
    lottery: Lottery | None = None,
) -> np.ndarray:
    """Largest-remainder seats (Hare or Droop quota) without a threshold.

    A thin entry to :func:`allocate_district`; see it for the parameters. The Droop quota is
    ``floor(T / (M + 1)) + 1``.

    Returns
    -------
    np.ndarray of int, dims (..., party)
    """
    return allocate_district(
        votes,
        seats,
        method="hare_lr" if quota == "hare" else "droop_lr",
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
