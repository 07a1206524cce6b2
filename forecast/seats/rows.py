"""What every allocation kernel shares: checked rows of votes, party-major blocks, exact arithmetic.

The kernels take votes as rows (draws, provinces, ...) with a trailing ``party`` axis and work on
whole numbers held in float64, whose ties are exact ties; the constants below say how far the
one rounded product of a quota may be trusted.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

# floor(v * (M / T) * _UP) is floor(v * M / T) exactly: the product's rounding error (relative
# 4e-16) is covered by the nudge _UP, and a fraction v M / T that is not a whole number lies at
# least 1 / T away from one, more than the nudge moves it (M * 2**-44 < 1 / T for M < 10**4 and
# T < 10**9 votes).
_UP = np.float64(1.0 + 2.0**-44)
# Remainders are ranked as float32 fractions of a quota: fractions closer than _TIE (far more
# than float32's 6e-8) are treated as possibly tied and settled exactly.
_TIE = np.float32(1e-6)
_ONE = np.float64(1.0)


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


# --------------------------------------------------------------------------- the block
# Lists that can win are gathered into a party-major block: dims (list, row), C-contiguous, so
# that each step of a kernel is one vector operation over all rows of the batch.


def _at(x: np.ndarray | float, idx: np.ndarray | int) -> np.ndarray | float:
    """``x[idx]`` for a per-row array, ``x`` itself for one value for all rows."""
    return x[idx] if np.ndim(x) else x


def _gather(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Columns ``cols`` of (row, party) ``rows`` as a float64 block, dims (list, row)."""
    block = np.empty((len(cols), len(rows)), dtype=np.float64)
    for k, c in enumerate(cols):
        block[k] = rows[:, c]
    return block
