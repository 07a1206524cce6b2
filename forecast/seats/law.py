"""A whole electoral law as one function from vote draws to seat draws.

The law of a spec (:class:`forecast.data.spec.ElectoralLaw`) is composed of small parts: a national
threshold, the district rule applied in every province (:mod:`forecast.seats.kernels`),
reserved quota seats, national compensatory seats and the majority. :func:`allocate_seats`
applies it to every draw at once, wrapped once in ``xr.apply_ufunc``; :func:`seats_from_table`
and :func:`seats_command` do the same for one set of actual votes (the ``forecast seats``
command), which is also how the law is checked against official results.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from rich.table import Table

from forecast import dims
from forecast.data.spec import ForecastSpec, load_spec
from forecast.data.spec_law import DistrictRule, ElectoralLaw
from forecast.data.tables import Column, count, read_table, slug, text, write_atomic
from forecast.errors import DataError
from forecast.seats.kernels import (
    Lottery,
    allocate_batch,
    allocate_provinces,
    compiled_available,
    national_and_max,
    passes_threshold,
)

__all__ = ["allocate_seats", "seats_command", "seats_from_table", "seats_table"]

# Lottery streams: one per province (0 .. P-1) and this one for the compensatory seats.
_COMPENSATORY_STREAM = 1_000_001


def allocate_seats(
    votes: xr.DataArray,
    magnitude: xr.DataArray,
    law: ElectoralLaw,
    *,
    valid_votes: xr.DataArray | None = None,
    seed: int = 0,
    chunk: int = 16384,
    engine: Literal["auto", "numpy", "compiled"] = "auto",
) -> xr.Dataset:
    """Seats of every list in every draw under a whole electoral law.

    Per draw: lists below the national threshold are set aside; each province's seats go by the
    district rule (thresholds on the province's valid votes); reserved quota seats go to their
    quota lists; compensatory seats go by the national votes of the eligible lists. Lists named
    in ``law.pooled`` (such as ``other``, the sum of many small lists) count towards valid votes
    and thresholds but win no seat, except in a district where no list allowed to win has a
    single vote: there the pooled lists (and lists below the national threshold, should they
    alone have votes) compete by the same district rule, so that one extreme draw cannot stop
    a forecast. Such (sample, province) cells are counted in ``attrs["n_pooled_fallback"]``.

    Parameters
    ----------
    votes : xr.DataArray, dims (sample, province, party)
        Votes per list, whole numbers >= 0.
    magnitude : xr.DataArray, dims (province,)
        Seats of each province's district.
    law : ElectoralLaw
        The law (``spec.law``).
    valid_votes : xr.DataArray, optional, dims (sample, province)
        Valid votes per province when they include lists not in ``votes``; at least the sum
        of ``votes`` over ``party`` (not re-checked here). Defaults to that sum.
    seed : int
        Combined with ``law.tie_seed`` for the tie lottery.
    chunk : int
        Draws per batch; bounds the working memory.
    engine : str
        ``numpy``: the NumPy kernels only (the reference). ``compiled``: district and
        compensatory seats and national sums through numba-compiled kernels, with ties and
        districts without a qualifying list through the NumPy kernels (the same seats,
        faster). ``auto``: compiled when numba is installed and there are at least ``chunk``
        draws (below that, compiling would cost more than it saves).

    Returns
    -------
    xr.Dataset
        ``SeatDraws``: ``district_seats`` (sample, province, party) in the smallest integer
        type that holds a district's seats (int8 up to 127), ``quota_seats``,
        ``compensatory_seats`` and ``seats`` (int16, or int64 for a house of 32,768 seats or
        more), dims (sample, party). ``party`` is the input lists followed by the quota lists.
        Attrs ``sample_dims``, ``house_size``, ``majority``, ``n_pooled_fallback``.

    Raises
    ------
    ValueError
        If the magnitudes and reserved seats do not add up to the house size, the provinces of
        ``votes`` and ``magnitude`` differ, a quota list also has votes, a district with seats
        has no votes at all in some draw, or (a bug) a draw's seats do not add up to the house
        size.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from forecast.data.spec_law import ElectoralLaw, DistrictRule
    >>> law = ElectoralLaw(house_size=5, district=DistrictRule(method="dhondt"))
    >>> votes = xr.DataArray(
    ...     np.array([[[60, 40], [10, 90]]]), dims=("sample", "province", "party"),
    ...     coords={"party": ["a", "b"], "province": ["n", "s"]},
    ... )
    >>> magnitude = xr.DataArray([3, 2], dims="province", coords={"province": ["n", "s"]})
    >>> allocate_seats(votes, magnitude, law)["seats"].values.tolist()
    [[2, 3]]
    """
    votes = _check_votes(votes)
    provinces = [str(p) for p in votes[dims.PROVINCE].values]
    parties = [str(p) for p in votes[dims.PARTY].values]
    magnitude = _check_magnitude(magnitude, provinces, law)
    quota_parties = list(dict.fromkeys(q.party for q in law.quota))
    clash = sorted(set(quota_parties) & set(parties))
    if clash:
        raise ValueError(f"quota lists {clash} also have votes: their seats are reserved")
    for q in law.quota:
        if q.province != "national" and q.province not in provinces:
            raise ValueError(f"quota seats of '{q.party}' are in unknown province '{q.province}'")
    pooled = np.isin(parties, list(law.pooled))
    if valid_votes is not None:
        valid_votes = valid_votes.transpose(dims.SAMPLE, dims.PROVINCE)
        if [str(p) for p in valid_votes[dims.PROVINCE].values] != provinces:
            valid_votes = valid_votes.reindex({dims.PROVINCE: provinces})
    sample_index = xr.DataArray(np.arange(votes.sizes[dims.SAMPLE]), dims=dims.SAMPLE)
    seat_type = np.int16 if law.house_size <= np.iinfo(np.int16).max else np.int64
    quota = np.zeros(len(parties) + len(quota_parties), dtype=seat_type)
    for q in law.quota:
        quota[len(parties) + quota_parties.index(q.party)] += q.seats
    # district seats in the smallest integer type that holds them: the largest array returned
    small = np.int8 if int(magnitude.max()) <= np.iinfo(np.int8).max else np.int16
    inputs = [votes, magnitude, sample_index]
    core_dims = [[dims.PROVINCE, dims.PARTY], [dims.PROVINCE], []]
    if valid_votes is not None:
        inputs.append(valid_votes)
        core_dims.append([dims.PROVINCE])
    if engine == "auto":
        many = votes.sizes[dims.SAMPLE] >= chunk
        engine = "compiled" if many and compiled_available() else "numpy"
    elif engine not in ("numpy", "compiled"):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'compiled', not {engine!r}")
    elif engine == "compiled" and not compiled_available():
        raise ValueError("engine='compiled' needs numba; install it or use engine='numpy'")
    district, quota_seats, compensatory, seats, fallback = xr.apply_ufunc(
        _allocate_numpy,
        *inputs,
        input_core_dims=core_dims,
        output_core_dims=[[dims.PROVINCE, dims.PARTY]] + [[dims.PARTY]] * 3 + [[]],
        exclude_dims={dims.PARTY},
        kwargs={
            "law": law,
            "pooled": pooled,
            "quota": quota,
            "seed": seed,
            "chunk": chunk,
            "small": small,
            "provinces": tuple(provinces),
            "compiled": engine == "compiled",
        },
        dask="parallelized",
        output_dtypes=[small, seat_type, seat_type, seat_type, np.int16],
        dask_gufunc_kwargs={"output_sizes": {dims.PARTY: len(quota)}},
    )
    party_coord = parties + quota_parties
    ds = xr.Dataset(
        {
            "district_seats": district,
            "quota_seats": quota_seats,
            "compensatory_seats": compensatory,
            "seats": seats,
        }
    ).assign_coords({dims.PARTY: party_coord})
    ds = ds.transpose(dims.SAMPLE, dims.PROVINCE, dims.PARTY)
    ds.attrs = {
        "sample_dims": [dims.SAMPLE],
        "house_size": law.house_size,
        "majority": law.majority_seats,
        "n_pooled_fallback": _count(fallback, votes, magnitude, valid_votes, law, pooled),
    }
    return dims.check(ds, "SeatDraws")


def _count(
    fallback: xr.DataArray,
    votes: xr.DataArray,
    magnitude: xr.DataArray,
    valid_votes: xr.DataArray | None,
    law: ElectoralLaw,
    pooled: np.ndarray,
) -> int:
    """Count the cells that needed the pooled-list fallback.

    Taken from the allocation when it is computed; for dask-backed votes it is found from the
    votes alone, so that the lazy allocation does not run twice.
    """
    if isinstance(fallback.data, np.ndarray):
        return int(fallback.values.sum())
    inputs = [votes, magnitude] + ([] if valid_votes is None else [valid_votes])
    core = [[dims.PROVINCE, dims.PARTY], [dims.PROVINCE]] + [[dims.PROVINCE]] * (len(inputs) - 2)
    cells = xr.apply_ufunc(
        _fallback_cells,
        *inputs,
        input_core_dims=core,
        output_core_dims=[[dims.PROVINCE]],
        kwargs={"law": law, "pooled": pooled},
        dask="parallelized",
        output_dtypes=[bool],
    )
    return int(cells.sum().compute())


def _fallback_cells(
    votes: np.ndarray,
    magnitude: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    law: ElectoralLaw,
    pooled: np.ndarray,
) -> np.ndarray:
    """(sample, province) cells with seats but no vote for any list allowed to win."""
    national = _national(votes, votes.max(axis=0))
    vt = (votes.sum(axis=2) if valid is None else valid).astype(np.float64)
    allowed = _allowed(national, vt, pooled, law)
    allowed = allowed[None, None, :] if allowed.ndim == 1 else allowed.T[:, None, :]
    return ~((votes > 0) & allowed).any(axis=2) & (magnitude > 0)[None, :]


def _check_votes(votes: xr.DataArray) -> xr.DataArray:
    """Votes with dims exactly (sample, province, party), numeric and >= 0."""
    want = (dims.SAMPLE, dims.PROVINCE, dims.PARTY)
    if set(votes.dims) != set(want):
        raise ValueError(f"votes: dims {votes.dims}, expected {want}")
    votes = votes.transpose(*want)
    if votes.dtype.kind not in "iuf":
        raise ValueError(f"votes: dtype {votes.dtype}, expected whole numbers")
    for dim in (dims.PROVINCE, dims.PARTY):
        if dim not in votes.coords:
            raise ValueError(f"votes: coordinate '{dim}' is missing")
    return votes


def _check_magnitude(
    magnitude: xr.DataArray, provinces: list[str], law: ElectoralLaw
) -> xr.DataArray:
    """Magnitudes in the order of ``provinces``, adding up with the reserved seats."""
    if magnitude.dims != (dims.PROVINCE,):
        raise ValueError(f"magnitude: dims {magnitude.dims}, expected ('{dims.PROVINCE}',)")
    have = {str(p) for p in magnitude[dims.PROVINCE].values}
    if have != set(provinces):
        raise ValueError(
            f"magnitude and votes cover different provinces: only in magnitude "
            f"{sorted(have - set(provinces))}, only in votes {sorted(set(provinces) - have)}"
        )
    magnitude = magnitude.reindex({dims.PROVINCE: provinces})
    values = np.asarray(magnitude.values)
    if np.any(values < 0) or np.any(values != np.round(values)):
        raise ValueError("magnitude: seats must be whole numbers >= 0")
    total = int(values.sum()) + law.reserved_seats
    if total != law.house_size:
        raise ValueError(
            f"district magnitudes ({int(values.sum())}) plus {law.reserved_seats} quota and "
            f"compensatory seats make {total}, not the house size {law.house_size}"
        )
    return magnitude.astype(np.int64)


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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Apply the law to plain arrays: votes (sample, province, party) -> seat arrays.

    Works chunk by chunk over samples, so the working memory does not grow with the draws.
    Each chunk's votes are read for the national votes and each list's largest vote per
    province (one pass when compiled), then every province's district goes through
    :func:`allocate_provinces`. Seats are written party-major, into (province, party, sample)
    and (party, sample) buffers, and returned as transposed views, with the number of
    districts per sample where only pooled lists had votes.
    """
    n_sample, n_province, n_party = votes.shape
    n_out = len(quota)
    tie_seed = None
    if law.tie_rule == "lottery":
        tie_seed = int(np.random.SeedSequence([law.tie_seed, seed]).generate_state(1)[0])
    district = np.zeros((n_province, n_out, n_sample), dtype=small)
    compensatory = np.zeros((n_out, n_sample), dtype=quota.dtype)
    total = np.zeros((n_out, n_sample), dtype=quota.dtype)
    fallback = np.zeros(n_sample, dtype=np.int16)  # districts that needed the pooled lists
    m = magnitude.astype(np.int64)
    comp_rule = DistrictRule(method=law.compensatory.method)
    for start in range(0, n_sample, chunk):
        stop = min(start + chunk, n_sample)
        vc = votes[start:stop]
        if compiled:  # national (sample, party), list_max (province, party)
            national, list_max = national_and_max(vc)
        else:
            list_max = vc.max(axis=0)
            national = _national(vc, list_max)
        if national.size and not national.min() >= 0:  # cheap check of the votes' sign
            raise ValueError("votes must be >= 0 and not NaN")
        vt = np.einsum("spn->sp", vc) if valid is None else valid[start:stop]  # (sample, province)
        vt = np.ascontiguousarray(vt, dtype=np.int64 if vt.dtype.kind in "iub" else np.float64)
        rows = sample_index[start:stop]
        allowed = _allowed(national, vt, pooled, law)
        lotteries = None
        if tie_seed is not None:
            lotteries = [Lottery(tie_seed, p, 0, rows) for p in range(n_province)]
        out = district[:, :n_party, start:stop]
        missing = allocate_provinces(
            vc,
            m,
            law.district,
            valid=vt,
            allowed=allowed,
            lotteries=lotteries,
            out=out,
            list_max=list_max,
            strict=False,
            compiled=compiled,
        )
        for p, lost in missing:
            fallback[start + lost] += 1
            lottery = None if lotteries is None else lotteries[p]
            _pooled_fallback(
                vc[:, p],
                lost,
                int(m[p]),
                vt[:, p],
                allowed,
                pooled,
                law.district,
                lottery,
                out[p],
                where=(rows, provinces[p]),
            )
        won = _seats_won(out, m, total.dtype)
        total[:n_party, start:stop] = won
        if law.compensatory.seats:
            # national votes of the lists that may win compensatory seats
            may_win = ~pooled[None, :]
            if law.compensatory.eligible == "district_winners":
                may_win = may_win & (won > 0).T
            lottery = None if tie_seed is None else Lottery(tie_seed, _COMPENSATORY_STREAM, 0, rows)
            allocate_batch(
                national * may_win,
                law.compensatory.seats,
                comp_rule,
                lottery=lottery,
                out=compensatory[:n_party, start:stop],
                compiled=compiled,
                list_max=list_max.sum(axis=0),  # an upper bound of each list's national votes
            )
            total[:, start:stop] += compensatory[:, start:stop]
    total += quota[:, None]
    short = np.flatnonzero(total.sum(axis=0) != law.house_size)
    if short.size:
        raise ValueError(
            f"sample {int(short[0])}: seats add up to {int(total[:, short[0]].sum())}, "
            f"not the house size {law.house_size}"
        )
    quota_seats = np.broadcast_to(quota, (n_sample, n_out))  # the same in every sample
    return district.transpose(2, 0, 1), quota_seats, compensatory.T, total.T, fallback


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
    national: np.ndarray, valid: np.ndarray, pooled: np.ndarray, law: ElectoralLaw
) -> np.ndarray:
    """Lists allowed to win district seats: not pooled and above any national threshold.

    ``national`` has dims (sample, party), ``valid`` (sample, province); the result has dims
    (party,), or (party, sample) with a national threshold.
    """
    allowed = ~pooled
    if law.national_threshold:
        passing = passes_threshold(
            national, 1, valid=valid.sum(axis=1), share=law.national_threshold
        )
        allowed = allowed[:, None] & passing.T
    return allowed


def _pooled_fallback(
    votes: np.ndarray,
    lost: np.ndarray,
    m: int,
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
    (sample, party), ``out`` (party, sample); ``lost`` are the rows to allocate.
    """
    sub = votes[lost]
    none = np.flatnonzero(sub.sum(axis=1) == 0)
    if none.size:
        rows, province = where
        raise ValueError(
            f"sample {int(rows[lost[none[0]]])}, province '{province}': a district with {m} "
            f"seats has no votes at all"
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
            m,
            rule,
            valid=valid[lost[still]],
            out=rest,
            lottery=None if sub_lottery is None else sub_lottery.subset(still),
        )
        seats[:, still] = rest
    out[:, lost] = seats


def seats_from_table(
    spec_or_law: ForecastSpec | ElectoralLaw,
    magnitude: xr.DataArray | Mapping[str, int],
    votes_table: xr.DataArray | Iterable[Mapping[str, Any]],
    *,
    valid_votes: xr.DataArray | Mapping[str, float] | None = None,
    seed: int = 0,
) -> xr.Dataset:
    """Seats for one set of actual votes: :func:`allocate_seats` with a single sample.

    Parameters
    ----------
    spec_or_law : ForecastSpec or ElectoralLaw
        The spec (its ``law`` is used) or the law itself.
    magnitude : xr.DataArray, dims (province,), or mapping of province to seats
        District magnitudes.
    votes_table : xr.DataArray, dims (province, party), or iterable of mappings
        Votes per province and list; rows need ``province``, ``party`` and ``votes`` (as read
        from a CSV). A list without a row in a province has no votes there.
    valid_votes : xr.DataArray, dims (province,), or mapping, optional
        Valid votes per province when they include lists not in the table.
    seed : int
        For the tie lottery.

    Returns
    -------
    xr.Dataset
        ``SeatDraws`` with one sample.
    """
    law = spec_or_law.law if isinstance(spec_or_law, ForecastSpec) else spec_or_law
    if not isinstance(magnitude, xr.DataArray):
        magnitude = xr.DataArray(
            list(magnitude.values()), dims=dims.PROVINCE, coords={dims.PROVINCE: list(magnitude)}
        )
    votes = votes_table if isinstance(votes_table, xr.DataArray) else _pivot(votes_table)
    votes = votes.expand_dims({dims.SAMPLE: 1}).transpose(dims.SAMPLE, dims.PROVINCE, dims.PARTY)
    provinces = [str(p) for p in votes[dims.PROVINCE].values]
    valid = None
    if valid_votes is not None:
        if not isinstance(valid_votes, xr.DataArray):
            valid_votes = xr.DataArray(
                [valid_votes[p] for p in provinces],
                dims=dims.PROVINCE,
                coords={dims.PROVINCE: provinces},
            )
        valid = valid_votes.expand_dims({dims.SAMPLE: 1})
    return allocate_seats(votes, magnitude, law, valid_votes=valid, seed=seed)


def _pivot(rows: Iterable[Mapping[str, Any]]) -> xr.DataArray:
    """Rows of (province, party, votes) as votes with dims (province, party); absent = 0."""
    cells = [(str(r["province"]), str(r["party"]), r["votes"]) for r in rows]
    provinces = list(dict.fromkeys(c[0] for c in cells))
    parties = list(dict.fromkeys(c[1] for c in cells))
    values = np.zeros((len(provinces), len(parties)), dtype=np.int64)
    for province, party, n in cells:
        values[provinces.index(province), parties.index(party)] += int(n or 0)
    return xr.DataArray(
        values,
        dims=(dims.PROVINCE, dims.PARTY),
        coords={dims.PROVINCE: provinces, dims.PARTY: parties},
    )


_MAGNITUDE = (
    Column("province", slug),
    Column("seats", count),
    Column("source_id", text, required=False, allow_empty=True),
    Column("notes", text, required=False, allow_empty=True),
)
_VOTES = (
    Column("province", slug),
    Column("party", slug),
    Column("votes", count),
    Column("provenance", text, required=False, allow_empty=True),
    Column("source_id", text, required=False, allow_empty=True),
    Column("notes", text, required=False, allow_empty=True),
)


def seats_command(spec_path: Path, votes_path: Path, out_path: Path | None) -> xr.Dataset:
    """Run ``forecast seats``: seats for a CSV of actual votes under a spec's law.

    Reads the spec, the district magnitudes ``<data.target>/magnitude.csv`` (``province,
    seats``) and the votes CSV (``province,party,votes``; ``provenance``, ``source_id`` and
    ``notes`` columns are allowed), allocates, and writes ``province,party,seats,seat_type``
    to ``out_path`` (through a temporary file, so no partial file is left) when given.

    Parameters
    ----------
    spec_path : Path
        A ``models/*.toml`` spec.
    votes_path : Path
        The votes CSV.
    out_path : Path, optional
        Where to write the allocation.

    Returns
    -------
    xr.Dataset
        ``SeatDraws`` with one sample.

    Raises
    ------
    SpecError
        If the spec is invalid.
    DataError
        Naming the file, row and field of a bad cell, a province without magnitude, or a
        district with seats but no votes.
    """
    spec = load_spec(spec_path)
    magnitude_path = spec.resolve(spec.data.target) / "magnitude.csv"
    magnitude = {
        r["province"]: r["seats"] for r in read_table(magnitude_path, _MAGNITUDE, key=("province",))
    }
    rows = read_table(Path(votes_path), _VOTES, key=("province", "party"))
    quota_parties = {q.party for q in spec.law.quota}
    for r in rows:
        if r["province"] not in magnitude:
            raise DataError(
                f"province '{r['province']}' has no district magnitude in {magnitude_path}",
                file=votes_path,
                where=f"row {r['_row']}",
                field="province",
            )
        if r["party"] in quota_parties:
            raise DataError(
                f"'{r['party']}' holds reserved quota seats; it takes no part in the districts",
                file=votes_path,
                where=f"row {r['_row']}",
                field="party",
            )
    voted = {r["province"] for r in rows if r["votes"] > 0}
    for province, seats in magnitude.items():
        if seats > 0 and province not in voted:
            raise DataError(
                f"province '{province}' has {seats} seats but no votes for any list",
                file=votes_path,
                field="province",
            )
    try:
        result = seats_from_table(spec, magnitude, rows, seed=spec.law.tie_seed)
    except ValueError as exc:
        raise DataError(str(exc), file=votes_path) from None
    if out_path is not None:
        write_atomic(Path(out_path), lambda tmp: _write_seats(result, spec.law, tmp))
    return result


def _write_seats(result: xr.Dataset, law: ElectoralLaw, path: Path) -> None:
    """Write one sample's allocation as ``province,party,seats,seat_type`` rows."""
    one = result.isel({dims.SAMPLE: 0})
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["province", "party", "seats", "seat_type"])
        district = one["district_seats"]
        for province in district[dims.PROVINCE].values:
            for party in district[dims.PARTY].values:
                n = int(district.sel({dims.PROVINCE: province, dims.PARTY: party}))
                if n:
                    w.writerow([province, party, n, "district"])
        for q in law.quota:
            w.writerow([q.province, q.party, q.seats, "quota"])
        for party, n in zip(one[dims.PARTY].values, one["compensatory_seats"].values, strict=True):
            if n:
                w.writerow(["national", party, int(n), "compensatory"])


def seats_table(result: xr.Dataset) -> Table:
    """Tabulate seats per list for printing (the mean when there are several samples).

    Parameters
    ----------
    result : xr.Dataset
        ``SeatDraws``.

    Returns
    -------
    rich.table.Table
        One row per list with seats: district, quota, compensatory and total, largest first.
    """
    mean = {
        var: result[var].mean(dims.SAMPLE) for var in ("quota_seats", "compensatory_seats", "seats")
    }
    district = result["district_seats"].sum(dims.PROVINCE).mean(dims.SAMPLE)
    n = result.sizes[dims.SAMPLE]
    fmt = "{:.0f}" if n == 1 else "{:.1f}"
    table = Table(
        title=(
            f"Seats ({result.attrs['house_size']} in all, majority {result.attrs['majority']}"
            + (")" if n == 1 else f"; mean of {n} samples)")
        )
    )
    for name in ("list", "district", "quota", "compensatory", "total"):
        table.add_column(name, justify="left" if name == "list" else "right")
    order = np.argsort(-mean["seats"].values, kind="stable")
    for i in order:
        if mean["seats"].values[i] == 0:
            continue
        table.add_row(
            str(result[dims.PARTY].values[i]),
            *(
                fmt.format(float(x.values[i]))
                for x in (
                    district,
                    mean["quota_seats"],
                    mean["compensatory_seats"],
                    mean["seats"],
                )
            ),
        )
    return table
