"""The loops of the compiled path: one fused kernel for every method, compiled by numba.

Plain Python over NumPy arrays (numba is not imported here, so it stays optional). On first use
:func:`forecast.seats.compiled._compiled` compiles every function of this module in the place
of its Python function, where the kernel finds its helpers (all in this file: numba refreshes
its disk cache of a function only when the function's own file changes). Rows with a possible
tie at the cut (status 1) or no qualifying list (status 2) go back to the NumPy reference. A
block goes through all the steps a tile of ``_TILE`` rows at a time, so that a tile's votes,
seats and keys stay in the core's first-level cache between the steps (a block would not).
"""

from __future__ import annotations

import numpy as np

_TILE = 128
# Per-row scratch of a tile, one row each: valid votes, bar, qualifying votes, qualifying
# lists, seats to hand out, quota numerator, denominator and scale, seats used, full rounds.
_TOTAL, _BAR, _QUAL, _COUNT, _SHARE, _NUM, _DEN, _SCALE, _USED, _ROUNDS = range(10)


def _block_rows(
    block: np.ndarray,
    valid: np.ndarray,
    where: np.ndarray,
    first: int,
    m: np.ndarray,
    limits: tuple[float, float, float, float],
    allowed: np.ndarray,
    quota: tuple[float, int],
    remainder: int,
    base_valid: bool,
    divisors: tuple[float, float, float],
    cols: np.ndarray,
    out: np.ndarray,
    status: np.ndarray,
) -> None:
    """Allocate the seats of a block in fused loops, a tile of rows at a time.

    ``block`` (list, row): votes in runs of equal width, run ``j`` from district ``where[j]``
    with ``m[where[j]]`` seats and valid votes ``valid[first:, where[j]]``; ``limits`` the
    thresholds of :func:`forecast.seats.thresholds._limits`; ``allowed`` (list, row) bool, or
    (0, 0) for all. Largest remainders: ``quota`` the k of T / (M + k) (-1: Droop) and a
    rounding code, ``remainder`` a code of ``_LR_REMAINDER`` and ``base_valid`` a flag, as in
    :func:`~forecast.seats.remainders._lr_block`; ``remainder`` -1 marks a divisor method, whose
    ``divisors`` are those of :func:`forecast.seats.divisors._divisors`. Writes the seats of
    settled rows into ``out`` (district, party, row) for the lists ``cols`` (list, run; -1
    none), and ``status``: 0 settled, 1 a possible tie at the cut or more full quotas than
    seats (to the NumPy path and its tie rule), 2 no qualifying list.
    """
    k, width = block.shape
    run_width = width // where.shape[0]
    tile = min(_TILE, run_width)
    rows = np.empty((10, tile))
    work = np.empty((3, k, tile))
    votes, seats, quotient = work[0], work[1], work[2]
    frac = np.empty((k, tile), dtype=np.float32)
    chosen = np.empty((k, tile), dtype=np.int8)
    counts = np.empty((2, tile), dtype=np.int16)
    c0, c1, c2 = divisors
    for run in range(where.shape[0]):
        d = where[run]
        for t0 in range(0, run_width, tile):
            n = min(tile, run_width - t0)
            at = run * run_width + t0
            st = status[at : at + n]
            _qualify_tile(
                block, at, n, valid, first + t0, d, m[d], limits, allowed, votes, rows, st
            )
            if remainder >= 0:
                _quota_tile(votes, n, quota, remainder, base_valid, rows, seats, frac, st)
                _remainder_tile(votes, n, remainder, rows, seats, frac, chosen, counts, st)
            else:  # the seats at a whole-number divisor, then one at a time
                _divisor_bound(votes, n, c0, c1, c2, rows, seats)
                _divisor_steps(votes, n, c0, c1, c2, rows, seats, quotient, st)
            _write_tile(seats, cols, run, d, first + t0, n, st, out)


def _qualify_tile(
    block: np.ndarray,
    c0: int,
    n: int,
    valid: np.ndarray,
    row0: int,
    d: int,
    md: float,
    limits: tuple[float, float, float, float],
    allowed: np.ndarray,
    votes: np.ndarray,
    rows: np.ndarray,
    status: np.ndarray,
) -> None:
    """Find the bar of the tile's ``n`` rows from column ``c0`` and the lists that clear it.

    The rows are district ``d``'s (``md`` seats, valid votes ``valid[row0:, d]``). Copies the
    votes of the qualifying lists into ``votes`` (list, row of the tile), as float64 (0 for
    the others), fills the rows ``_TOTAL`` to ``_SHARE`` of ``rows``, and gives ``status``
    (the tile's) 2 where there are seats but no qualifying list.
    """
    k = block.shape[0]
    total, bar, qual = rows[_TOTAL], rows[_BAR], rows[_QUAL]
    count, share = rows[_COUNT], rows[_SHARE]
    share_a, share_b, quotas_a, quotas_b = limits
    for i in range(n):
        total[i] = np.float64(valid[row0 + i, d])
        # fewest votes to qualify, as _bar computes it (the same floats: a / b = 1 / 1 is exact)
        lowest = 1.0
        if share_a > 0.0:
            lowest = max(lowest, np.ceil(total[i] * share_a / share_b))
        if quotas_a > 0.0:
            lowest = max(lowest, np.ceil(total[i] * quotas_a / max(md * quotas_b, 1.0)))
        bar[i] = lowest
        qual[i] = 0.0
        count[i] = 0.0
    masked = allowed.shape[0] > 0
    for j in range(k):
        given = block[j, c0 : c0 + n]
        for i in range(n):
            v = np.float64(given[i])
            ok = v >= bar[i] and (not masked or allowed[j, c0 + i])
            votes[j, i] = v if ok else 0.0
            qual[i] += votes[j, i]
            count[i] += 1.0 if ok else 0.0
    for i in range(n):  # the seats to hand out
        share[i] = md if qual[i] > 0.0 else 0.0
        if qual[i] == 0.0 and md > 0.0:
            status[i] = 2


def _quota_tile(
    votes: np.ndarray,
    n: int,
    quota: tuple[float, int],
    remainder: int,
    base_valid: bool,
    rows: np.ndarray,
    seats: np.ndarray,
    frac: np.ndarray,
    status: np.ndarray,
) -> None:
    """Give each qualifying list of a tile its full quotas, then full rounds.

    Writes the seats into ``seats`` and takes them off the row ``_SHARE``, and writes each
    list's remainder as a float32 fraction of the quota into ``frac`` (-1 for lists that do not
    qualify). Fills the rows ``_NUM`` to ``_ROUNDS``: the quota is ``den / num`` votes,
    ``scale`` is ``num / den`` nudged up as in :func:`forecast.seats.remainders._lr_block`,
    ``rounds`` the seats every qualifying list got in the full rounds; ``status`` 1 marks the
    rows whose full quotas exceed their seats.
    """
    k = votes.shape[0]
    total, qual, count, share = rows[_TOTAL], rows[_QUAL], rows[_COUNT], rows[_SHARE]
    num, den, scale, used, rounds = rows[_NUM], rows[_DEN], rows[_SCALE], rows[_USED], rows[_ROUNDS]
    seats[:, :n] = 0.0
    # vote_share: full quotas first, then the seats left go by Hare among the qualifying lists
    stages = 2 if remainder == 2 else 1
    extra, rounding = quota
    stage_valid = base_valid
    for stage in range(stages):
        if stage == 1:
            extra, rounding, stage_valid = 0.0, 0, False
        for i in range(n):
            base = total[i] if stage_valid else qual[i]
            if extra < 0.0:  # Droop: floor(T / (M + 1)) + 1
                num[i], den[i] = 1.0, np.floor(base / (share[i] + 1.0)) + 1.0
            elif rounding == 0:  # exact: T / (M + k)
                num[i], den[i] = share[i] + extra, base
            else:  # rounded to whole votes (halves up, down, up), at least one vote
                dv = max(share[i] + extra, 1.0)
                q = np.floor((2.0 * base + dv) / (2.0 * dv)) if rounding == 1 else base / dv
                q = np.floor(q) if rounding == 2 else (np.ceil(q) if rounding == 3 else q)
                num[i], den[i] = 1.0, max(q, 1.0)
            scale[i] = num[i] * (1.0 + 2.0**-44) / max(den[i], 1.0)
            used[i] = 0.0
        last = stage == stages - 1
        for j in range(k):
            for i in range(n):
                x = votes[j, i] * scale[i]
                q = np.floor(x)
                seats[j, i] += q
                used[i] += q
                if last:  # the remainder as a fraction of the quota; non-qualifying lists last
                    frac[j, i] = np.float32(x - q) if votes[j, i] > 0.0 else np.float32(-1.0)
        for i in range(n):
            share[i] -= used[i]
            if share[i] < 0.0:  # too many full quotas: the NumPy path gives seats back
                status[i] = 1
                share[i] = 0.0
    # The seats still left: round by round to every qualifying list (except under Hare among
    # the qualifying lists, which never needs a round); the rest go one each by key.
    full = not (extra == 0.0 and rounding == 0 and not stage_valid and remainder != 1)
    for i in range(n):
        rounds[i] = np.floor(share[i] / count[i]) if full and count[i] > 0.0 else 0.0
        share[i] -= rounds[i] * count[i]


def _remainder_tile(
    votes: np.ndarray,
    n: int,
    remainder: int,
    rows: np.ndarray,
    seats: np.ndarray,
    frac: np.ndarray,
    chosen: np.ndarray,
    counts: np.ndarray,
    status: np.ndarray,
) -> None:
    """Give the seats left of a tile by key, and the full rounds, to the lists' ``seats``.

    Each qualifying list counts the lists whose key is at least its own less a tolerance
    (itself included) and wins if that count fits in the seats left, as in
    :func:`forecast.seats.remainders._top`. A row where fewer lists win than seats are left has
    a near-tie at the cut: it is settled on exact keys (:func:`_exact_tile`). Remainders are
    ranked as float32 fractions of a quota, votes (``highest_votes``) as themselves.
    """
    k = votes.shape[0]
    share, rounds = rows[_SHARE], rows[_ROUNDS]
    level, won = counts[0], counts[1]
    tie = np.float32(1e-6)
    won[:n] = 0
    for j in range(k):
        level[:n] = 0
        if remainder == 1:
            for h in range(k):
                for i in range(n):
                    level[i] += votes[h, i] >= votes[j, i] - 0.5
        else:
            for h in range(k):
                for i in range(n):
                    level[i] += frac[h, i] >= frac[j, i] - tie
        for i in range(n):
            win = votes[j, i] > 0.0 and level[i] <= share[i]
            chosen[j, i] = 1 if win else 0
            won[i] += 1 if win else 0
    for i in range(n):
        if won[i] < share[i]:
            _exact_tile(votes, i, remainder, rows, chosen, status)
    for j in range(k):
        for i in range(n):
            if votes[j, i] > 0.0:
                seats[j, i] += rounds[i] + chosen[j, i]


def _exact_tile(
    votes: np.ndarray,
    i: int,
    remainder: int,
    rows: np.ndarray,
    chosen: np.ndarray,
    status: np.ndarray,
) -> None:
    """Choose the winners of row ``i`` of a tile, which has a near-tie at the cut, on exact keys.

    Remainders as whole numbers ``v num - seats den``; an exact tie at the cut is left to the
    tie rule (``status`` 1).
    """
    k = votes.shape[0]
    num, den, scale = rows[_NUM, i], rows[_DEN, i], rows[_SCALE, i]
    exact = np.empty(k)
    for j in range(k):
        chosen[j, i] = 0
        v = votes[j, i]
        if v == 0.0:
            exact[j] = -1.0
        elif remainder == 1:
            exact[j] = v
        else:
            exact[j] = v * num - np.floor(v * scale) * den
    left = rows[_SHARE, i]
    while left > 0.0:
        top, ways = -0.5, 0.0
        for j in range(k):
            if chosen[j, i] == 0 and exact[j] > top:
                top, ways = exact[j], 1.0
            elif chosen[j, i] == 0 and exact[j] == top:
                ways += 1.0
        if ways > left:
            status[i] = 1
            break
        for j in range(k):
            if chosen[j, i] == 0 and exact[j] == top:
                chosen[j, i] = 1
        left -= ways


def _write_tile(
    seats: np.ndarray,
    cols: np.ndarray,
    run: int,
    d: int,
    row0: int,
    n: int,
    status: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write the seats of a tile's settled rows (``status`` 0) into ``out`` (district, party, row).

    The tile's rows are district ``d``'s from row ``row0`` of ``out``; its lists are
    ``cols[:, run]`` (-1: none).
    """
    for j in range(seats.shape[0]):
        c = cols[j, run]
        if c >= 0:  # unsettled rows stay at zero (out is zero there), settled later
            dst = out[d, c, row0 : row0 + n]
            for i in range(n):
                dst[i] = seats[j, i] if status[i] == 0 else 0.0


def _divisor_steps(
    votes: np.ndarray,
    n: int,
    c0: float,
    c1: float,
    c2: float,
    rows: np.ndarray,
    seats: np.ndarray,
    quotient: np.ndarray,
    status: np.ndarray,
) -> None:
    """Give a tile's seats left, one at a time, to the highest next quotient (ties: status 1).

    The method is that of :func:`forecast.seats.divisors._divisor_block`. Quotients of whole
    numbers below 2**53 are equal as floats exactly when they are equal as fractions.
    """
    k = votes.shape[0]  # the quotas' scratch rows, free under divisors, hold the steps' state
    left, best, ways, given = rows[_USED], rows[_NUM], rows[_DEN], rows[_SCALE]
    steps = 0.0
    for i in range(n):
        left[i] = rows[_SHARE, i] - left[i]
        steps = max(steps, left[i])
    for step in range(int(steps)):
        best[:n] = 0.0
        for j in range(k):
            for i in range(n):
                d = c1 + c2 * seats[j, i] if seats[j, i] > 0.0 else c0
                quotient[j, i] = votes[j, i] / d
                best[i] = max(best[i], quotient[j, i])
        ways[:n] = 0.0
        given[:n] = 0.0
        for j in range(k):
            for i in range(n):
                if step < left[i] and votes[j, i] > 0.0 and quotient[j, i] == best[i]:
                    ways[i] += 1.0
                    if given[i] == 0.0:
                        seats[j, i] += 1.0
                        given[i] = 1.0
        for i in range(n):
            if ways[i] > 1.0:
                status[i] = 1


def _divisor_bound(
    votes: np.ndarray,
    n: int,
    c0: float,
    c1: float,
    c2: float,
    rows: np.ndarray,
    seats: np.ndarray,
) -> None:
    """Write a tile's seats at a whole-number divisor into ``seats``, their sum into ``_USED``.

    As in :func:`forecast.seats.divisors._divisor_block`: rows that overshoot retry with more
    slack, and finally with the safe divisor T / (c2 (M - k)).
    """
    k = votes.shape[0]
    qual, count, share, used, lam = rows[_QUAL], rows[_COUNT], rows[_SHARE], rows[_USED], rows[_BAR]
    for i in range(n):
        estimate = c2 * share[i] + count[i] * (c1 - c2 / 2.0)
        lam[i] = max(np.floor(qual[i] / max(estimate, 1.0)), 1.0) if estimate > 0 else np.inf
        used[i] = 0.0
    for j in range(k):
        for i in range(n):
            seats[j, i] = _seats_at(votes[j, i], lam[i], c0, c1, c2)
            used[i] += seats[j, i]
    for i in range(n):
        if used[i] <= share[i]:
            continue
        estimate = c2 * share[i] + count[i] * (c1 - c2 / 2.0)
        for attempt in range(3):
            if attempt < 2:
                denominator = estimate - c2 * (attempt + 1)
                divisor = np.floor(qual[i] / max(denominator, 1.0))
            else:
                denominator = c2 * (share[i] - count[i])
                divisor = np.ceil(qual[i] / max(denominator, 1.0))
            divisor = max(divisor, 1.0) if denominator > 0 else np.inf
            total = 0.0
            for j in range(k):
                total += _seats_at(votes[j, i], divisor, c0, c1, c2)
            if total <= share[i] or attempt == 2:
                used[i] = total
                for j in range(k):
                    seats[j, i] = _seats_at(votes[j, i], divisor, c0, c1, c2)
                break


def _seats_at(v: float, divisor: float, c0: float, c1: float, c2: float) -> float:
    """Give the seats ``v`` votes win at ``divisor`` (first divisor c0, then c1 + c2 s)."""
    more = np.floor(max(v - c1 * divisor, 0.0) / (c2 * divisor))
    return 1.0 + more if v >= c0 * divisor else 0.0
