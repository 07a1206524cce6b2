"""The tie rule: a seeded lottery per row, or list order, and the tie priority of a block.

A tie at the cut is never settled by giving every tied list a seat: the list listed first wins,
or the one a seeded lottery draws first. The lottery of a row depends only on the row's
identity (seed, stream, global row index), so seats do not depend on how draws are chunked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


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
        """Restrict the ties to the block's lists ``kept``."""
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
        """Restrict the ties to a block of the given rows of this one."""
        ids = rows if self.row_ids is None else self.row_ids[rows]
        return _Ties(
            self.lotteries, self.districts, self.cols, self.width, self.n, ids, self.offset
        )
