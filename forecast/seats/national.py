"""The national tier of a law: national votes, the national threshold and compensatory seats.

Per draw the lists' votes are summed over provinces; lists below the national threshold (a
share of the national valid votes, one for all lists or one by the number of parties in a
list) win no district seat, and the compensatory seats go by the national votes of the lists
eligible for them. The sums run in one compiled pass over the votes when the compiled path is
used.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from forecast.data.spec_law import DistrictRule, ElectoralLaw
from forecast.seats.batch import allocate_batch
from forecast.seats.compiled import _jit
from forecast.seats.remainders import LR_METHODS, _quota
from forecast.seats.thresholds import _bar, passes_threshold
from forecast.seats.ties import Lottery

__all__ = ["alliance_shares", "vote_sums"]

# Lottery streams: one per province (0 .. P-1) and this one for the compensatory seats.
_COMPENSATORY_STREAM = 1_000_001


def vote_sums(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """National votes, province totals and each list's largest vote, in one compiled pass.

    Parameters
    ----------
    votes : np.ndarray, dims (row, province, party)
        Votes (C-contiguous).

    Returns
    -------
    tuple of np.ndarray
        National votes, dims (row, party), and each row's votes per province, dims (row,
        province), both int64 (float64 for float votes); the largest vote of each list in
        each province over the rows, dims (province, party).
    """
    kind = np.int64 if votes.dtype.kind in "iub" else np.float64
    national = np.empty((votes.shape[0], votes.shape[2]), dtype=kind)
    totals = np.empty(votes.shape[:2], dtype=kind)
    list_max = np.zeros(votes.shape[1:], dtype=votes.dtype)
    _jit(_sum_rows)(np.ascontiguousarray(votes), national, totals, list_max)
    return national, totals, list_max


def _sum_rows(
    votes: np.ndarray, national: np.ndarray, totals: np.ndarray, list_max: np.ndarray
) -> None:
    """Sum the votes over provinces and over lists and take each list's maximum, in one pass.

    Compiled by :func:`forecast.seats.compiled._jit`: ``national`` and ``totals`` receive the
    sums, ``list_max`` (zeros on entry) the maxima. The votes are read once: a separate sum
    over lists would read the whole batch again.
    """
    rows, provinces, parties = votes.shape
    flat = votes.reshape(rows, provinces * parties)
    most = list_max.reshape(provinces * parties)
    for s in range(rows):  # a row's sums and maxima in flat loops, which vectorise
        row, acc, tot = flat[s], national[s], totals[s]
        acc[:] = 0
        for p in range(provinces):
            t = 0
            for j in range(parties):
                acc[j] += row[p * parties + j]
                t += row[p * parties + j]
            tot[p] = t
        for c in range(provinces * parties):
            most[c] = max(most[c], row[c])


def _vote_sums(
    votes: np.ndarray, compiled: bool, *, totals: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Give the national votes, province totals and lists' largest votes of :func:`vote_sums`.

    The NumPy path sums the province totals only when ``totals`` asks for them (another pass
    over the votes); the compiled pass has them at no cost. Checks the votes' sign on the way
    (cheaply, on the national sums).
    """
    if compiled:
        national, sums, list_max = vote_sums(votes)
    else:
        list_max = votes.max(axis=0)
        national = _national(votes, list_max)
        sums = np.einsum("spn->sp", votes) if totals else None
    if national.size and not national.min() >= 0:  # cheap check of the votes' sign
        raise ValueError("votes must be >= 0 and not NaN")
    return national, sums, list_max


def _national(votes: np.ndarray, list_max: np.ndarray) -> np.ndarray:
    """National votes per list, dims (sample, party), without overflow.

    Summed in the votes' own type when the per-province maxima show that no sum can overflow
    it (as with int32 votes of any real election), else in int64.
    """
    kind = votes.dtype.kind
    if kind in "iu" and votes.dtype.itemsize < 8:
        bound = list_max.astype(np.float64).sum(axis=0).max(initial=0)
        if bound >= np.iinfo(votes.dtype).max:
            return np.einsum("spn->sn", votes, dtype=np.int64)
    return np.einsum("spn->sn", votes)


def _allowed(
    national: np.ndarray,
    valid: np.ndarray,
    pooled: np.ndarray,
    law: ElectoralLaw,
    sizes: np.ndarray | None = None,
) -> np.ndarray:
    """Find the lists allowed to win district seats: not pooled, above any national threshold.

    ``national`` has dims (sample, party), ``valid`` (sample, province), ``sizes`` (party,) the
    lists' numbers of parties (for ``law.alliance_thresholds``); the result has dims (party,),
    or (party, sample) with a national threshold.
    """
    allowed = ~pooled
    if law.alliance_thresholds:
        shares = alliance_shares(law.alliance_thresholds, sizes)
        passing = np.empty(national.shape, dtype=bool)
        for share in np.unique(shares):  # lists of one threshold together: a few passes
            cols = shares == share
            passing[:, cols] = passes_threshold(
                national[:, cols], 1, valid=valid.sum(axis=1), share=float(share)
            )
        allowed = allowed[:, None] & passing.T
    elif law.national_threshold:
        passing = passes_threshold(
            national, 1, valid=valid.sum(axis=1), share=law.national_threshold
        )
        allowed = allowed[:, None] & passing.T
    return allowed


def alliance_shares(thresholds: Mapping[int, float], sizes: np.ndarray | None) -> np.ndarray:
    """Each list's national threshold by its number of parties, dims (party,).

    A list of ``k`` parties needs the threshold of the largest size in ``thresholds`` that is
    at most ``k`` (which holds size 1).

    Raises
    ------
    ValueError
        If ``sizes`` is missing or holds a size below 1.
    """
    if sizes is None:
        raise ValueError(
            "law.alliance_thresholds needs each list's number of parties (alliance_size)"
        )
    sizes = np.asarray(sizes)
    if sizes.size and sizes.min() < 1:
        raise ValueError(f"alliance sizes must be at least 1, got {sizes.min()}")
    keys = np.array(sorted(thresholds))
    values = np.array([thresholds[k] for k in keys])
    return values[np.searchsorted(keys, sizes, side="right") - 1]


def _compensatory_seats(
    national: np.ndarray,
    won: np.ndarray,
    list_max: np.ndarray,
    pooled: np.ndarray,
    law: ElectoralLaw,
    lottery: Lottery | None,
    compiled: bool,
    out: np.ndarray,
) -> None:
    """Allocate the compensatory seats by national votes into ``out`` (party, sample).

    ``won`` holds the district seats (party, sample), for lists eligible only as district
    winners; pooled lists win none.
    """
    # national votes of the lists that may win compensatory seats
    may_win = ~pooled[None, :]
    if law.compensatory.eligible == "district_winners":
        may_win = may_win & (won > 0).T
    allocate_batch(
        national * may_win,
        law.compensatory.seats,
        DistrictRule(method=law.compensatory.method),
        lottery=lottery,
        out=out,
        compiled=compiled,
        list_max=list_max.sum(axis=0),  # an upper bound of each list's national votes
    )


def _second_tier_seats(
    votes: np.ndarray,
    valid: np.ndarray,
    m: np.ndarray,
    district: np.ndarray,
    national: np.ndarray,
    allowed: np.ndarray,
    law: ElectoralLaw,
    lottery: Lottery | None,
    out: np.ndarray,
) -> None:
    """Allocate the seats the districts left by the national second tier into ``out``.

    ``votes`` (sample, province, party), ``valid`` (sample, province), ``m`` (province,) or
    (sample, province), ``district`` the district seats (province, party, sample), ``national``
    (sample, party), ``allowed`` (party,) or (party, sample); ``out`` (party, sample). The
    pool is each list's unused votes summed over districts, or its national votes; where no
    list allowed to win has any of them (every vote used by full quotas), its national votes.
    """
    tier = law.second_tier
    ok = (allowed[:, None] if allowed.ndim == 1 else allowed).T  # (sample, party)
    left = np.broadcast_to(m.sum(axis=-1), (len(votes),)) - district.sum(axis=(0, 1))
    pool = national if tier.pool == "votes" else _unused_votes(votes, valid, m, district, ok, law)
    empty = allocate_batch(pool * ok, left, tier.rule, lottery=lottery, out=out, strict=False)
    if empty.size:
        seats = np.zeros((out.shape[0], empty.size), dtype=out.dtype)
        sub = None if lottery is None else lottery.subset(empty)
        allocate_batch((national * ok)[empty], left[empty], tier.rule, lottery=sub, out=seats)
        out[:, empty] = seats


def _unused_votes(
    votes: np.ndarray,
    valid: np.ndarray,
    m: np.ndarray,
    district: np.ndarray,
    ok: np.ndarray,
    law: ElectoralLaw,
) -> np.ndarray:
    """Sum each list's votes less its district seats times the quota, dims (sample, party).

    The quota is the district rule's, from the same votes (the lists allowed to win that reach
    the district threshold, or all valid votes); lists allowed to win but below the district
    threshold keep all their votes. Whole numbers with a whole quota; with an exact fractional
    one (e.g. T / (M + 2)) the sums are float64, exact to about 1e-16 relative.
    """
    rule = law.district
    mb = np.broadcast_to(m, valid.shape).astype(np.float64)
    total = valid.astype(np.float64)
    qualifies = ok[:, None, :] & (
        votes >= _bar(mb, total, rule.threshold, rule.threshold_quotas)[..., None]
    )
    if rule.quota_base == "qualifying":
        total = np.einsum("spn,spn->sp", votes, qualifies, dtype=np.float64)
    num, den = _quota(LR_METHODS[rule.method], rule.quota_rounding, mb, total)
    quota = den / np.where(np.asarray(num) > 0, num, 1.0)  # M = 0: no seats, no quota
    used = district.transpose(2, 0, 1) * np.broadcast_to(quota, valid.shape)[..., None]
    return np.einsum("spn,sn->sn", votes - used, ok, dtype=np.float64)
