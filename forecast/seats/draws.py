"""The law on plain arrays: vote draws (sample, province, party) to seat arrays, chunk by chunk.

:func:`forecast.seats.law.allocate_seats` hands each block of draws to :func:`_allocate_numpy`
(through ``xr.apply_ufunc``, so dask can call it per chunk); the arrays it returns are the seat
draws before they are labelled. Magnitudes are one per province, or one per draw and province
when the law apportions them from each draw's votes.
"""

from __future__ import annotations

import numpy as np

from forecast.data.spec_law import DistrictRule, ElectoralLaw
from forecast.seats.batch import allocate_batch
from forecast.seats.national import (
    _COMPENSATORY_STREAM,
    _allowed,
    _compensatory_seats,
    _second_tier_seats,
    _vote_sums,
)
from forecast.seats.provinces import allocate_provinces
from forecast.seats.rows import _at
from forecast.seats.ties import Lottery


def _tie_seed(law: ElectoralLaw, seed: int) -> int | None:
    """Give the lottery seed of a law and a run's seed, or None when ties go by list order."""
    if law.tie_rule != "lottery":
        return None
    return int(np.random.SeedSequence([law.tie_seed, seed]).generate_state(1)[0])


def _allocate_numpy(
    votes: np.ndarray,
    magnitude: np.ndarray,
    sample_index: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    law: ElectoralLaw,
    pooled: np.ndarray,
    quota: np.ndarray,
    seed: int,
    chunk: int,
    small: type,
    provinces: tuple[str, ...],
    compiled: bool,
    sizes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Apply the law to plain arrays: votes (sample, province, party) -> seat arrays.

    Chunk by chunk over samples (bounded memory): each chunk's national votes and lists'
    largest votes per province (one pass when compiled), every province's district, then the
    national seats (compensatory or second tier). Seats are written party-major into
    (province, party, sample) and (party, sample) buffers and returned as transposed views,
    with the districts per sample where only pooled lists had votes. ``magnitude`` has dims
    (province,) or (sample, province); ``sizes`` (party,) the lists' numbers of parties.
    """
    n_sample, n_province, n_party = votes.shape
    n_out = len(quota)
    tie_seed = _tie_seed(law, seed)
    district = np.zeros((n_province, n_out, n_sample), dtype=small)
    compensatory = np.zeros((n_out, n_sample), dtype=quota.dtype)
    total = np.zeros((n_out, n_sample), dtype=quota.dtype)
    fallback = np.zeros(n_sample, dtype=np.int16)  # districts that needed the pooled lists
    m = magnitude.astype(np.int64)
    for start in range(0, n_sample, chunk):
        part = slice(start, min(start + chunk, n_sample))
        vc = votes[part]
        national, totals, list_max = _vote_sums(vc, compiled, totals=valid is None)
        vt = totals if valid is None else valid[part]  # (sample, province)
        vt = np.ascontiguousarray(vt, dtype=np.int64 if vt.dtype.kind in "iub" else np.float64)
        rows = sample_index[part]
        allowed = _allowed(national, vt, pooled, law, sizes)
        out = district[:, :n_party, part]
        mc = m if m.ndim == 1 else m[part]
        _district_seats(
            vc,
            vt,
            rows,
            mc,
            law,
            allowed,
            pooled,
            tie_seed,
            list_max,
            provinces,
            compiled,
            out=out,
            fallback=fallback[part],
        )
        won = _seats_won(out, m if m.ndim == 1 else m.max(axis=0, initial=0), total.dtype)
        total[:n_party, part] = won
        lottery = None if tie_seed is None else Lottery(tie_seed, _COMPENSATORY_STREAM, 0, rows)
        if law.compensatory.seats:
            _compensatory_seats(
                national,
                won,
                list_max,
                pooled,
                law,
                lottery,
                compiled,
                compensatory[:n_party, part],
            )
        elif law.second_tier is not None:
            tier = (vc, vt, mc, out, national, allowed)
            _second_tier_seats(*tier, law, lottery, compensatory[:n_party, part])
        total[:, part] += compensatory[:, part]
    total += quota[:, None]
    _check_house(total, law.house_size)
    quota_seats = np.broadcast_to(quota, (n_sample, n_out))  # the same in every sample
    return district.transpose(2, 0, 1), quota_seats, compensatory.T, total.T, fallback


def _check_house(total: np.ndarray, house_size: int) -> None:
    """Raise for the first sample whose seats, dims (party, sample), miss the house size (a bug)."""
    short = np.flatnonzero(total.sum(axis=0) != house_size)
    if short.size:
        raise ValueError(
            f"sample {int(short[0])}: seats add up to {int(total[:, short[0]].sum())}, "
            f"not the house size {house_size}"
        )


def _district_seats(
    votes: np.ndarray,
    valid: np.ndarray,
    rows: np.ndarray,
    m: np.ndarray,
    law: ElectoralLaw,
    allowed: np.ndarray,
    pooled: np.ndarray,
    tie_seed: int | None,
    list_max: np.ndarray,
    provinces: tuple[str, ...],
    compiled: bool,
    *,
    out: np.ndarray,
    fallback: np.ndarray,
) -> None:
    """Allocate every province's district of a chunk into ``out`` (province, party, sample).

    ``votes`` (sample, province, party) are the chunk's, ``rows`` their global sample indices,
    ``m`` the magnitudes, dims (province,) or (sample, province). Districts where no list
    allowed to win has a vote are counted in ``fallback`` (sample,) and allocated by
    :func:`_pooled_fallback`.
    """
    lotteries = None
    if tie_seed is not None:
        lotteries = [Lottery(tie_seed, p, 0, rows) for p in range(votes.shape[1])]
    compiled = compiled and law.second_tier is None  # the compiled kernels have no second tier
    if m.ndim == 2:
        missing = _by_draw(votes, valid, m, law.district, allowed, lotteries, out, compiled)
    else:
        missing = allocate_provinces(
            votes,
            m,
            law.district,
            valid=valid,
            allowed=allowed,
            lotteries=lotteries,
            out=out,
            list_max=list_max,
            strict=False,
            compiled=compiled,
        )
    for p, lost in missing:
        fallback[lost] += 1
        lottery = None if lotteries is None else lotteries[p]
        _pooled_fallback(
            votes[:, p],
            lost,
            int(m[p]) if m.ndim == 1 else m[lost, p],
            valid[:, p],
            allowed,
            pooled,
            law.district,
            lottery,
            out[p],
            where=(rows, provinces[p]),
        )


def _by_draw(
    votes: np.ndarray,
    valid: np.ndarray,
    m: np.ndarray,
    rule: DistrictRule,
    allowed: np.ndarray,
    lotteries: list[Lottery] | None,
    out: np.ndarray,
    compiled: bool,
) -> list[tuple[int, np.ndarray]]:
    """Allocate every province's district when its magnitude differs from draw to draw.

    Hand-written loop over provinces and their few magnitudes: the grouped blocks of
    :func:`~forecast.seats.provinces.allocate_provinces` hold one magnitude per province, so
    here the draws of a province with one magnitude go through
    :func:`~forecast.seats.batch.allocate_batch` as one vector of rows (compiled when asked).
    Returns the districts (province, rows) with seats but no votes for any allowed list, left
    at zero.
    """
    ok = allowed if allowed.ndim == 1 else allowed.T  # (party,) or (sample, party)
    missing = []
    for p in range(votes.shape[1]):
        lost = []
        for seats in np.unique(m[:, p]):
            rows = np.flatnonzero(m[:, p] == seats)
            part = np.zeros((votes.shape[2], rows.size), dtype=out.dtype)
            empty = allocate_batch(
                votes[rows, p],
                int(seats),
                rule,
                valid=valid[rows, p],
                allowed=ok if ok.ndim == 1 else ok[rows],
                lottery=None if lotteries is None else lotteries[p].subset(rows),
                out=part,
                strict=False,
                compiled=compiled,
            )
            out[p][:, rows] = part
            lost.append(rows[empty])
        lost = np.sort(np.concatenate(lost))
        if lost.size:
            missing.append((p, lost))
    return missing


def _seats_won(out: np.ndarray, m: np.ndarray, kind: type) -> np.ndarray:
    """District seats of each list summed over provinces, dims (party, sample), type ``kind``.

    ``out`` has dims (province, party, sample). Runs of provinces whose magnitudes add up to
    what ``out``'s small type holds are summed in that type (no conversion), then the runs'
    sums in ``kind``, which holds the house.
    """
    top = np.iinfo(out.dtype).max
    won, start = None, 0
    while start < len(m):
        stop, seats = start + 1, int(m[start])
        while stop < len(m) and seats + m[stop] <= top:
            seats += int(m[stop])
            stop += 1
        part = out[start:stop].sum(axis=0, dtype=out.dtype)
        won = part.astype(kind) if won is None else np.add(won, part, dtype=kind)
        start = stop
    return np.zeros(out.shape[1:], dtype=kind) if won is None else won


def _pooled_fallback(
    votes: np.ndarray,
    lost: np.ndarray,
    m: int | np.ndarray,
    valid: np.ndarray,
    allowed: np.ndarray,
    pooled: np.ndarray,
    rule: DistrictRule,
    lottery: Lottery | None,
    out: np.ndarray,
    *,
    where: tuple[np.ndarray, str],
) -> None:
    """Allocate districts where no list allowed to win has a vote, pooled lists included.

    A forecast draw can leave every named list of a province without votes while the pooled
    lists (an aggregate of many small lists) have some: there the pooled lists may win by the
    same district rule, and lists below a national threshold as well if they alone have
    votes. Only a district with seats and no votes at all is an error. ``votes`` has dims
    (sample, party), ``out`` (party, sample); ``lost`` are the rows to allocate, ``m`` their
    magnitude (one for all, or one each).
    """
    sub = votes[lost]
    none = np.flatnonzero(sub.sum(axis=1) == 0)
    if none.size:
        rows, province = where
        raise ValueError(
            f"sample {int(rows[lost[none[0]]])}, province '{province}': a district with "
            f"{_at(m, none[0])} seats has no votes at all"
        )
    wider = allowed | pooled if allowed.ndim == 1 else (allowed[:, lost] | pooled[:, None]).T
    sub_lottery = None if lottery is None else lottery.subset(lost)
    seats = np.zeros((votes.shape[1], lost.size), dtype=out.dtype)
    still = allocate_batch(
        sub,
        m,
        rule,
        valid=valid[lost],
        allowed=wider,
        lottery=sub_lottery,
        out=seats,
        strict=False,
    )
    if still.size:  # only lists below the national threshold have votes
        rest = np.zeros((votes.shape[1], still.size), dtype=out.dtype)
        allocate_batch(
            sub[still],
            _at(m, still),
            rule,
            valid=valid[lost[still]],
            out=rest,
            lottery=None if sub_lottery is None else sub_lottery.subset(still),
        )
        seats[:, still] = rest
    out[:, lost] = seats
