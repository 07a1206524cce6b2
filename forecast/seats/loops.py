"""The loops of the compiled path: one fused kernel per method family, compiled by numba.

Plain Python over NumPy arrays (numba is not imported here, so it stays optional). On first use
:func:`forecast.seats.compiled._compiled` compiles every function of this module and puts it in
the place of its Python function, where the kernels find their helpers. The kernels and their
helpers live in this one file because numba's disk cache of a function is refreshed only when
its own file changes. Every row with a possible tie at the cut (status 1) or without a
qualifying list (status 2) is handed back to the NumPy reference.
"""

from __future__ import annotations

import numpy as np


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
    """Run the prologue of the compiled kernels: each row's bar and the lists that clear it.

    Lists below the bar are zeroed in ``block``. Returns ``(seats, valid votes, qualifying
    votes, qualifying lists, seats to hand out)`` per row; rows with seats but no qualifying
    list get ``status`` 2.
    """
    k, width = block.shape
    runs = where.shape[0]
    run_width = width // runs
    share_a, share_b, quotas_a, quotas_b = limits
    bar = np.empty(width)
    mr = np.empty(width)
    vr = np.empty(width)
    for run in range(runs):
        d = where[run]
        for t in range(run_width):
            r = run * run_width + t
            total = np.float64(valid[first + t, d])
            mr[r] = m[d]
            vr[r] = total
            # fewest votes to qualify, as _bar computes it (the same floats: a / b = 1 / 1 is exact)
            lowest = 1.0
            if share_a > 0.0:
                lowest = max(lowest, np.ceil(total * share_a / share_b))
            if quotas_a > 0.0:
                lowest = max(lowest, np.ceil(total * quotas_a / max(m[d] * quotas_b, 1.0)))
            bar[r] = lowest
    qual = np.zeros(width)
    count = np.zeros(width)
    masked = allowed.shape[0] > 0
    for j in range(k):
        for r in range(width):
            v = block[j, r]
            ok = v >= bar[r] and (not masked or allowed[j, r])
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
    quota: tuple[float, int],
    remainder: int,
    base_valid: bool,
    cols: np.ndarray,
    out: np.ndarray,
    status: np.ndarray,
) -> None:
    """Allocate largest-remainder seats of a block in fused loops.

    ``block`` (list, row): votes, overwritten with those of the qualifying lists (0 elsewhere);
    its rows are runs of equal width, run ``j`` from district ``where[j]``, whose seats are
    ``m[where[j]]`` and valid votes ``valid[first:, where[j]]``; ``limits`` the thresholds of
    :func:`forecast.seats.thresholds._limits`; ``allowed`` (list, row) bool, or (0, 0) for all;
    ``quota`` the k of T / (M + k) (-1: Droop) and a rounding code, ``base_valid`` a flag and
    ``remainder`` a code of ``_LR_REMAINDER``, as in :func:`~forecast.seats.remainders._quota`
    and :func:`~forecast.seats.remainders._lr_block`. Writes the seats of settled rows into
    ``out`` (district, party, row) for the lists ``cols`` (list, run; -1 none), and ``status``:
    0 settled, 1 a possible tie at the cut or more full quotas than seats (left to the NumPy
    path, which settles it exactly by the tie rule), 2 no qualifying list.
    """
    k, width = block.shape
    mr, vr, qual, count, share = _qualify_rows(
        block, where, valid, first, m, limits, allowed, status
    )
    seats = np.zeros((k, width))
    frac = np.empty((k, width), dtype=np.float32)
    num, den, scale, rounds = _lr_quotas(
        block, vr, qual, count, share, quota, remainder, base_valid, seats, frac, status
    )
    chosen = _lr_remainders(block, frac, num, den, scale, share, remainder, status)
    for j in range(k):
        for r in range(width):
            if block[j, r] > 0.0:
                seats[j, r] += rounds[r] + chosen[j, r]
    _scatter_rows(seats, cols, where, first, status, out)


def _lr_quotas(
    block: np.ndarray,
    vr: np.ndarray,
    qual: np.ndarray,
    count: np.ndarray,
    share: np.ndarray,
    quota: tuple[float, int],
    remainder: int,
    base_valid: bool,
    seats: np.ndarray,
    frac: np.ndarray,
    status: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Give each qualifying list its full quotas, then full rounds; return the last quota.

    Adds the seats to ``seats`` and takes them off ``share`` (the seats to hand out), and writes
    each list's remainder as a float32 fraction of the quota into ``frac`` (-1 for lists that
    do not qualify). Returns ``(num, den, scale, rounds)``: the quota is ``den / num`` votes,
    ``scale`` is ``num / den`` nudged up as in :func:`forecast.seats.remainders._lr_block`,
    and ``rounds`` the seats every qualifying list got in the full rounds; ``status`` 1 marks
    the rows whose full quotas exceed their seats.
    """
    k, width = block.shape
    num = np.empty(width)
    den = np.empty(width)
    scale = np.empty(width)
    used = np.empty(width)
    # vote_share: full quotas first, then the seats left go by Hare among the qualifying lists
    stages = 2 if remainder == 2 else 1
    extra, rounding = quota
    stage_valid = base_valid
    for stage in range(stages):
        if stage == 1:
            extra, rounding, stage_valid = 0.0, 0, False
        for r in range(width):
            total = vr[r] if stage_valid else qual[r]
            if extra < 0.0:  # Droop: floor(T / (M + 1)) + 1
                num[r], den[r] = 1.0, np.floor(total / (share[r] + 1.0)) + 1.0
            elif rounding == 0:  # exact: T / (M + k)
                num[r], den[r] = share[r] + extra, total
            else:  # rounded to whole votes (halves up, down, up), at least one vote
                d = max(share[r] + extra, 1.0)
                q = np.floor((2.0 * total + d) / (2.0 * d)) if rounding == 1 else total / d
                q = np.floor(q) if rounding == 2 else (np.ceil(q) if rounding == 3 else q)
                num[r], den[r] = 1.0, max(q, 1.0)
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
            if share[r] < 0.0:  # too many full quotas: the NumPy path gives seats back
                status[r] = 1
                share[r] = 0.0
    # The seats still left: round by round to every qualifying list (except under Hare among
    # the qualifying lists, which never needs a round); the rest go one each by key.
    rounds = np.zeros(width)
    if not (extra == 0.0 and rounding == 0 and not stage_valid and remainder != 1):
        for r in range(width):
            if count[r] > 0.0:
                rounds[r] = np.floor(share[r] / count[r])
                share[r] -= rounds[r] * count[r]
    return num, den, scale, rounds


def _lr_remainders(
    block: np.ndarray,
    frac: np.ndarray,
    num: np.ndarray,
    den: np.ndarray,
    scale: np.ndarray,
    share: np.ndarray,
    remainder: int,
    status: np.ndarray,
) -> np.ndarray:
    """Choose the lists that win the seats left by key; return them as a mask (list, row).

    Each qualifying list counts the lists whose key is at least its own less a tolerance
    (itself included) and wins if that count fits in the seats left, as in
    :func:`forecast.seats.remainders._top`. A row where fewer lists win than seats are left has
    a near-tie at the cut: it is settled on exact keys, and an exact tie is left to the tie
    rule (``status`` 1). Remainders are ranked as float32 fractions of a quota (exactly: as
    whole numbers ``v num - seats den``), votes (``highest_votes``) as themselves.
    """
    k, width = block.shape
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
    # the rows with a near-tie at the cut, on exact keys
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
    return chosen


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
    """Allocate highest-averages seats of a block in fused loops.

    The arguments are those of :func:`_lr_rows` with the divisors of
    :func:`forecast.seats.divisors._divisors`; the method is that of
    :func:`forecast.seats.divisors._divisor_block`: the seats at a whole-number divisor that
    hands out at most ``m`` seats, then one seat at a time to the highest next quotient. A row
    where two lists hold the best quotient at some step is left to the tie rule (status 1).
    Quotients of whole numbers below 2**53 are equal as floats exactly when they are equal as
    fractions.
    """
    k, width = block.shape
    mr, vr, qual, count, share = _qualify_rows(
        block, where, valid, first, m, limits, allowed, status
    )
    seats = np.zeros((k, width))
    used = _divisor_bound(block, qual, count, share, c0, c1, c2, seats)
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


def _divisor_bound(
    block: np.ndarray,
    qual: np.ndarray,
    count: np.ndarray,
    share: np.ndarray,
    c0: float,
    c1: float,
    c2: float,
    seats: np.ndarray,
) -> np.ndarray:
    """Write the seats at a whole-number divisor into ``seats``; return the seats used per row.

    As in :func:`forecast.seats.divisors._divisor_block`: rows that overshoot retry with more
    slack, and finally with the safe divisor T / (c2 (M - k)).
    """
    k, width = block.shape
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
    return used
