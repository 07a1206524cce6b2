"""District thresholds: which lists reach a share of the valid votes and a number of quotas.

A threshold is turned into the fewest whole votes a list needs in each row (``ceil`` of a small
exact fraction of the valid votes), so that reaching exactly the threshold passes and every
comparison is exact.
"""

from __future__ import annotations

import numpy as np

from forecast.seats.rows import _ONE, _as_rows, _ratio


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


def _limits(rule: object) -> tuple[float, float, float, float]:
    """Give a rule's thresholds as exact fractions: (share a, b, quotas a, b) for the kernels."""
    share = _ratio(rule.threshold, "threshold share") if rule.threshold > 0 else (0, 1)
    quotas = (
        _ratio(rule.threshold_quotas, "threshold in quotas")
        if rule.threshold_quotas > 0
        else (0, 1)
    )
    return float(share[0]), float(share[1]), float(quotas[0]), float(quotas[1])
