"""Every province's district for a batch of draws, all provinces at once.

Provinces with the same number of lists that can win share each vector operation, so the cost
of an operation does not grow with the number of provinces; rows go in parts of ``_WIDTH`` so
that a part's blocks stay in a core's cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecast.seats.batch import _lift_threshold
from forecast.seats.block import _allocate_block
from forecast.seats.compiled import _block_compiled, _jit
from forecast.seats.thresholds import _bar
from forecast.seats.ties import Lottery, _Ties

__all__ = ["allocate_provinces"]

# Rows per part of allocate_provinces: blocks of a few lists x provinces x _WIDTH rows stay in
# a core's cache, while each vector operation still covers thousands of rows. The compiled
# kernel tiles its blocks itself: its parts are longer, for fewer calls.
_WIDTH = 2048
_COMPILED_WIDTH = 8192


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
    valid, bar, lowest = _bars(valid, m, rule, compiled)
    if list_max is None:
        list_max = votes.max(axis=0, initial=0)
    cand = list_max >= lowest[:, None]
    if allowed is not None:
        cand &= allowed if allowed.ndim == 1 else allowed.any(axis=1)
    width = _COMPILED_WIDTH if compiled else _WIDTH
    groups = _groups(cand, min(n_rows, width))
    batch = _Provinces(votes, m, rule, valid, bar, allowed, lotteries, out, strict, compiled)
    index = np.concatenate([(w * n + np.maximum(c, 0)).reshape(-1) for w, c in groups])
    flat = votes.reshape(n_rows, n_province * n)
    # every block in one pass; int32 votes stay int32 for the compiled kernels (half the
    # memory traffic), the NumPy kernels work on float64
    small = compiled and votes.dtype.kind in "iu" and votes.dtype.itemsize <= 4
    missing = []
    # Rows in parts of ``width``, so that a part's blocks stay in the core's cache.
    gather = _jit(_gather_columns) if compiled else None
    for first in range(0, n_rows, width):
        part = slice(first, min(first + width, n_rows))
        stacked = np.empty((len(index), part.stop - first), dtype=np.int32 if small else np.float64)
        if gather is not None:
            gather(flat, first, index, stacked)
        else:
            stacked[...] = np.take(flat[part], index, axis=1).T
        missing += _allocate_part(batch, groups, stacked, part)
    return missing


def _gather_columns(flat: np.ndarray, first: int, index: np.ndarray, out: np.ndarray) -> None:
    """Copy ``flat[first + r, index[i]]`` into ``out[i, r]``: a gather and a transpose in one pass.

    Compiled by :func:`forecast.seats.compiled._jit` (NumPy's take then transpose reads and
    writes the part twice). Rows go eight at a time: a loop of constant length is unrolled, so
    the eight strided loads are in flight together (twice as fast as tiles of 64 rows).
    """
    width = out.shape[1]
    full = width - width % 8
    for r0 in range(0, full, 8):
        for i in range(index.shape[0]):
            col = index[i]
            for k in range(8):
                out[i, r0 + k] = flat[first + r0 + k, col]
    for r in range(full, width):
        for i in range(index.shape[0]):
            out[i, r] = flat[first + r, index[i]]


@dataclass(frozen=True)
class _Provinces:
    """The arguments of :func:`allocate_provinces`, as its parts read them.

    ``valid`` has dims (row, province) on the compiled path, whose kernels find each row's bar
    from it, and (province, row) float64 on the NumPy path, with each row's ``bar``.
    """

    votes: np.ndarray
    m: np.ndarray
    rule: object
    valid: np.ndarray
    bar: np.ndarray | None
    allowed: np.ndarray | None
    lotteries: Sequence[Lottery] | None
    out: np.ndarray
    strict: bool
    compiled: bool


def _bars(
    valid: np.ndarray, m: np.ndarray, rule: object, compiled: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Give the valid votes as the kernels read them, each row's bar and each province's lowest.

    Returns ``(valid, bar, lowest)``; on the compiled path ``valid`` is left as it is and
    ``bar`` is None (the kernels find each row's threshold), on the NumPy path both have dims
    (province, row).
    """
    if compiled:  # the kernel finds each row's threshold; here only the lowest per province
        fewest = valid.min(axis=0) if len(valid) else np.zeros(valid.shape[1])
        lowest = _bar(m, fewest.astype(np.float64), rule.threshold, rule.threshold_quotas)
        return valid, None, lowest
    valid = np.ascontiguousarray(valid.T, dtype=np.float64)  # dims (province, row)
    bar = _bar(m[:, None], valid, rule.threshold, rule.threshold_quotas)
    return valid, bar, bar.min(axis=1, initial=np.inf)


def _groups(cand: np.ndarray, width: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Group the provinces by their number of candidate lists: (provinces, lists) per group.

    ``cand`` (province, party) marks the lists that can win. A group's lists have dims (list,
    province): each province's candidate lists, ascending, padded up to the group's largest
    with empty slots (-1), so that the group's lists stack list-major.
    """
    groups = []
    for where, size in _group_sizes(cand.sum(axis=1), width):
        rank = np.cumsum(cand[where], axis=1) - 1
        cols = np.full((size, len(where)), -1)
        j, c = np.nonzero(cand[where])
        cols[rank[j, c], j] = c  # dims (list, province)
        groups.append((where, cols))
    return groups


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


def _allocate_part(
    batch: _Provinces,
    groups: list[tuple[np.ndarray, np.ndarray]],
    stacked: np.ndarray,
    part: slice,
) -> list[tuple[int, np.ndarray]]:
    """Allocate every group in the rows ``part``; return the districts left without votes.

    ``stacked`` holds the votes of every group's lists in these rows, the groups' blocks one
    after another, dims (list, row).
    """
    width = part.stop - part.start
    start, missing = 0, []
    for where, cols in groups:
        size, g = cols.shape
        block = stacked[start : start + size * g].reshape(size, g * width)
        start += size * g
        empty = _allocate_group(batch, block, where, cols, part)
        missing += _lift_group(batch, empty, where, part)
    return missing


def _allocate_group(
    batch: _Provinces, block: np.ndarray, where: np.ndarray, cols: np.ndarray, part: slice
) -> np.ndarray:
    """Allocate one group's districts in the rows ``part`` into ``batch.out``.

    ``block`` holds the votes of the group's lists ``cols`` (list, province) in the provinces
    ``where``, dims (list, province x row), and is overwritten. Returns the block's rows with
    seats but no list reaching the threshold.
    """
    size, g = cols.shape
    first, width = part.start, part.stop - part.start
    n = batch.votes.shape[2]
    pad = cols < 0
    if pad.any():
        block.reshape(size, g, width)[pad] = 0.0
    ok = None
    if batch.allowed is not None and batch.allowed.ndim == 2:
        ok = np.take(batch.allowed[:, part], np.maximum(cols, 0).reshape(-1), axis=0)
        ok = ok.reshape(size, g * width)
    ties = _Ties(batch.lotteries, where, cols, width, n, offset=first)
    if batch.compiled:
        return _block_compiled(
            block,
            cols,
            batch.valid,
            where,
            first,
            batch.m.astype(np.float64),
            batch.rule,
            allowed=ok,
            n=n,
            ties=ties,
            out=batch.out,
        )
    kept, seats, empty = _allocate_block(
        block,
        np.repeat(batch.m[where].astype(np.float64), width),
        batch.valid[where, part].reshape(-1),
        batch.bar[where, part].reshape(-1),
        batch.rule,
        allowed=ok,
        n=n,
        ties=ties,
    )
    if kept.size:
        seats = seats.reshape(len(kept), g, width)
        real = ~pad[kept]
        if real.all():
            batch.out[where[None, :], cols[kept], part] = seats
        else:
            district = np.broadcast_to(where, real.shape)[real]
            batch.out[district, cols[kept][real], part] = seats[real]
    return empty


def _lift_group(
    batch: _Provinces, empty: np.ndarray, where: np.ndarray, part: slice
) -> list[tuple[int, np.ndarray]]:
    """Allocate a group's rows ``empty`` where no list reaches the threshold, as if there were none.

    Returns the districts left without votes for any allowed list, as (province, rows).
    """
    run, at = np.divmod(empty, part.stop - part.start)
    missing = []
    for j in np.unique(run):
        p = int(where[j])
        lost = _lift_threshold(
            batch.votes[:, p],
            int(batch.m[p]),
            batch.valid[:, p] if batch.compiled else batch.valid[p],
            None if batch.allowed is None else batch.allowed.T,
            part.start + at[run == j],
            batch.out[p],
            batch.rule,
            None if batch.lotteries is None else batch.lotteries[p],
            batch.strict,
        )
        if lost.size:
            missing.append((p, lost))
    return missing
