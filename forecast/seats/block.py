"""One district rule over a party-major block: prune the lists that cannot win, then allocate.

Both the NumPy batch paths and the compiled path (for its rows with a tie) come here; the rule's
family decides the kernel: :mod:`forecast.seats.remainders` or :mod:`forecast.seats.divisors`.
"""

from __future__ import annotations

import numpy as np

from forecast.seats.divisors import DIVISOR_METHODS, _divisor_block, _divisor_floor, _divisors
from forecast.seats.remainders import LR_METHODS, _lr_block
from forecast.seats.ties import _Ties


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
            quota=LR_METHODS[rule.method],
            remainder=rule.remainder,
            quota_base=rule.quota_base,
            ties=ties,
            rounding=rule.quota_rounding,
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
