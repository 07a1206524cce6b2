"""A whole electoral law as one function from vote draws to seat draws.

The law of a spec (:class:`forecast.data.spec_law.ElectoralLaw`) is composed of small parts: a
national threshold and compensatory seats (:mod:`forecast.seats.national`), district magnitudes
fixed or apportioned (:mod:`forecast.seats.magnitudes`), the district rule applied in every
province (:mod:`forecast.seats.provinces`), reserved quota seats and the majority.
:func:`allocate_seats` checks the labelled inputs and applies the law to every draw at once
(:mod:`forecast.seats.draws`), wrapped once in ``xr.apply_ufunc``;
:mod:`forecast.seats.command` does the same for one set of actual votes (the ``forecast seats``
command), which is also how the law is checked against official results.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec_law import ElectoralLaw
from forecast.seats.compiled import compiled_available
from forecast.seats.draws import _allocate_numpy, _tie_seed
from forecast.seats.magnitudes import apportion_magnitudes, population_magnitudes
from forecast.seats.national import _allowed, _national

__all__ = ["allocate_seats"]


def allocate_seats(
    votes: xr.DataArray,
    magnitude: xr.DataArray | None,
    law: ElectoralLaw,
    *,
    valid_votes: xr.DataArray | None = None,
    alliance_size: xr.DataArray | None = None,
    population: xr.DataArray | None = None,
    seed: int = 0,
    chunk: int = 16384,
    engine: Literal["auto", "numpy", "compiled"] = "auto",
) -> xr.Dataset:
    """Seats of every list in every draw under a whole electoral law.

    Per draw: lists below the national threshold are set aside; the district seats are divided
    among provinces if the law apportions them; each province's seats go by the district rule
    (thresholds on its valid votes); quota seats go to their lists; compensatory seats by the
    national votes of the eligible lists. Lists in ``law.pooled`` (such as ``other``, many small
    lists) count towards valid votes and thresholds but win no seat, except in a district where
    no list allowed to win has a vote: there the pooled lists (and lists below the national
    threshold, should they alone have votes) compete by the district rule, so that one extreme
    draw cannot stop a forecast; such cells are counted in ``attrs["n_pooled_fallback"]``.

    Parameters
    ----------
    votes : xr.DataArray, dims (sample, province, party)
        Votes per list, whole numbers >= 0.
    magnitude : xr.DataArray or None, dims (province,)
        Seats of each district; None when the law apportions them (by population, if given
        the law's apportionment replaces them, as a scenario changing the rule must).
    law : ElectoralLaw
        The law, ``spec.law``.
    valid_votes : xr.DataArray, optional, dims (sample, province)
        Valid votes per province when they include lists not in ``votes``; at least the sum
        of ``votes`` over ``party`` (not re-checked here). Defaults to that sum.
    alliance_size, population : xr.DataArray, optional, dims (party,) and (province,)
        Parties in each list (for ``law.alliance_thresholds``), provinces' population (for
        magnitudes by population); default ``law.tables`` (:mod:`forecast.seats.bind`).
    seed, chunk : int
        Combined with ``law.tie_seed`` for the tie lottery; draws per batch (bounds memory).
    engine : str
        ``numpy``: the NumPy kernels only (the reference). ``compiled``: numba-compiled
        kernels, with ties and districts without a qualifying list through the NumPy kernels
        (the same seats, faster). ``auto``: compiled when numba is installed and there are at
        least ``chunk`` draws (below that, compiling would cost more than it saves).

    Returns
    -------
    xr.Dataset
        ``SeatDraws``: ``district_seats`` (sample, province, party; int8 up to 127 seats a
        district), ``quota_seats``, ``compensatory_seats`` and ``seats`` (sample, party; int16,
        or int64 for 32,768 seats or more), ``party`` the input lists then the quota lists;
        ``magnitude`` (sample, province) when apportioned from votes. Attrs ``sample_dims``,
        ``house_size``, ``majority``, ``n_pooled_fallback``.

    Raises
    ------
    ValueError
        If magnitudes and reserved seats miss the house, provinces differ, magnitudes are given
        that votes apportion (or missing), a quota list has votes, a table the law reads is
        missing, a district with seats has no votes, or (a bug) a draw's seats miss the house.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from forecast.data.spec_law import ElectoralLaw, DistrictRule
    >>> law = ElectoralLaw(house_size=5, district=DistrictRule(method="dhondt"))
    >>> coords = {"party": ["a", "b"], "province": ["n", "s"]}
    >>> votes = xr.DataArray([[[60, 40], [10, 90]]], dims=("sample", "province", "party"),
    ...                      coords=coords)
    >>> magnitude = xr.DataArray([3, 2], dims="province", coords={"province": ["n", "s"]})
    >>> allocate_seats(votes, magnitude, law)["seats"].values.tolist()
    [[2, 3]]
    """
    votes, magnitude, valid_votes = _check_inputs(votes, magnitude, valid_votes, law)
    magnitude = _magnitudes(votes, magnitude, valid_votes, law, population=population, seed=seed)
    sizes = _sizes(_bound(law, "alliance_size", alliance_size, dims.PARTY), votes)
    compiled = _use_compiled(engine, votes.sizes[dims.SAMPLE] >= chunk)
    kwargs = {"seed": seed, "chunk": chunk, "compiled": compiled, "sizes": sizes}
    return dims.check(_apply_law(votes, magnitude, valid_votes, law, **kwargs), "SeatDraws")


def _bound(
    law: ElectoralLaw, name: str, given: xr.DataArray | None, dim: str
) -> xr.DataArray | None:
    """Return the table given, else the one bound to the law (``law.tables``), dims (dim,)."""
    bound = {} if law.tables is None else getattr(law.tables, name)
    if given is not None or not bound:
        return given
    return xr.DataArray(list(bound.values()), coords={dim: list(bound)})


def _magnitudes(
    votes: xr.DataArray,
    magnitude: xr.DataArray | None,
    valid_votes: xr.DataArray | None,
    law: ElectoralLaw,
    *,
    population: xr.DataArray | None,
    seed: int,
) -> xr.DataArray:
    """Give the law's magnitudes: as given or apportioned, dims (province,) or (sample, province).

    By population once (dims (province,)); by votes in every draw, through ``apply_ufunc`` so
    that dask-backed votes stay lazy.
    """
    rule, provinces = law.magnitude, votes[dims.PROVINCE]
    if rule is None:
        return magnitude
    population = _bound(law, "population", population, dims.PROVINCE)
    if rule.base == "population":
        if population is None:
            raise ValueError("law.magnitude apportions by population: pass population")
        return population_magnitudes(population.reindex({dims.PROVINCE: provinces.values}), law)
    seats, tie_seed = law.house_size - law.reserved_seats, _tie_seed(law, seed)
    base = votes.sum(dims.PARTY) if valid_votes is None else valid_votes
    rows = xr.DataArray(np.arange(votes.sizes[dims.SAMPLE]), dims=dims.SAMPLE)
    return xr.apply_ufunc(
        lambda b, r: apportion_magnitudes(b, seats, rule.rule, tie_seed=tie_seed, rows=r),
        base.transpose(dims.SAMPLE, dims.PROVINCE),
        rows,
        input_core_dims=[[dims.PROVINCE], []],
        output_core_dims=[[dims.PROVINCE]],
        dask="parallelized",
        output_dtypes=[np.int64],
    )


def _sizes(alliance_size: xr.DataArray | None, votes: xr.DataArray) -> np.ndarray | None:
    """Each list's number of parties in the order of the votes' lists, dims (party,)."""
    if alliance_size is None:
        return None
    parties = [str(p) for p in votes[dims.PARTY].values]
    missing = sorted(set(parties) - {str(p) for p in alliance_size[dims.PARTY].values})
    if missing:
        raise ValueError(f"alliance_size: no size for the lists {missing}")
    sizes = alliance_size.reindex({dims.PARTY: parties}).values
    if not np.all(sizes == np.round(sizes)) or sizes.min(initial=1) < 1:
        raise ValueError("alliance_size: each list's number of parties is a whole number >= 1")
    return sizes.astype(np.int64)


def _check_inputs(
    votes: xr.DataArray,
    magnitude: xr.DataArray | None,
    valid_votes: xr.DataArray | None,
    law: ElectoralLaw,
) -> tuple[xr.DataArray, xr.DataArray | None, xr.DataArray | None]:
    """Check the votes, magnitudes and quota seats; return the inputs in the votes' order.

    Votes come as (sample, province, party), magnitudes and valid votes in the votes' order of
    provinces; magnitudes stay None when the law apportions them.
    """
    votes = _check_votes(votes)
    provinces = [str(p) for p in votes[dims.PROVINCE].values]
    parties = [str(p) for p in votes[dims.PARTY].values]
    by_population = law.apportioned_by == "population"
    if (magnitude is None) != (law.magnitude is not None) and not by_population:
        raise ValueError(
            "law.magnitude apportions the district seats: pass magnitude=None"
            if law.magnitude is not None
            else "magnitude is missing: the law has fixed district magnitudes"
        )
    if magnitude is not None:
        magnitude = _check_magnitude(magnitude, provinces, law)
    quota_parties = list(dict.fromkeys(q.party for q in law.quota))
    clash = sorted(set(quota_parties) & set(parties))
    if clash:
        raise ValueError(f"quota lists {clash} also have votes: their seats are reserved")
    for q in law.quota:
        if q.province != "national" and q.province not in provinces:
            raise ValueError(f"quota seats of '{q.party}' are in unknown province '{q.province}'")
    if valid_votes is not None:
        valid_votes = _in_order(valid_votes.transpose(dims.SAMPLE, dims.PROVINCE), provinces)
    return votes, magnitude, valid_votes


def _in_order(da: xr.DataArray, provinces: list[str]) -> xr.DataArray:
    """Return ``da`` with its provinces in the order of ``provinces`` (a reindex only if not)."""
    if [str(p) for p in da[dims.PROVINCE].values] != provinces:
        da = da.reindex({dims.PROVINCE: provinces})  # about 2 ms a call: only when needed
    return da


def _use_compiled(engine: str, many: bool) -> bool:
    """Tell whether ``engine`` runs the compiled kernels (``auto``: with ``many`` draws)."""
    if engine == "auto":
        return many and compiled_available()
    if engine not in ("numpy", "compiled"):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'compiled', not {engine!r}")
    if engine == "compiled" and not compiled_available():
        raise ValueError("engine='compiled' needs numba; install it or use engine='numpy'")
    return engine == "compiled"


def _apply_law(
    votes: xr.DataArray,
    magnitude: xr.DataArray,
    valid_votes: xr.DataArray | None,
    law: ElectoralLaw,
    *,
    seed: int,
    chunk: int,
    compiled: bool,
    sizes: np.ndarray | None = None,
) -> xr.Dataset:
    """Apply the law to checked inputs in one ``xr.apply_ufunc``; return the seat draws.

    Dask-backed votes give dask-backed seats, allocated chunk by chunk when computed.
    ``magnitude`` has dims (province,) or, apportioned from votes, (sample, province).
    """
    provinces = [str(p) for p in votes[dims.PROVINCE].values]
    parties = [str(p) for p in votes[dims.PARTY].values]
    quota_parties, quota = _reserved(law, parties)
    pooled = np.isin(parties, list(law.pooled))
    sample_index = xr.DataArray(np.arange(votes.sizes[dims.SAMPLE]), dims=dims.SAMPLE)
    # district seats in the smallest integer type that holds them: the largest array returned
    by_draw = dims.SAMPLE in magnitude.dims
    top = law.house_size - law.reserved_seats if by_draw else int(magnitude.max())
    small = np.int8 if top <= np.iinfo(np.int8).max else np.int16
    inputs = [votes, magnitude, sample_index]
    core_dims = [[dims.PROVINCE, dims.PARTY], [dims.PROVINCE], []]
    if valid_votes is not None:
        inputs.append(valid_votes)
        core_dims.append([dims.PROVINCE])
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
            "compiled": compiled,
            "sizes": sizes,
        },
        dask="parallelized",
        output_dtypes=[small, quota.dtype, quota.dtype, quota.dtype, np.int16],
        dask_gufunc_kwargs={"output_sizes": {dims.PARTY: len(quota)}},
    )
    ds = xr.Dataset(
        {
            "district_seats": district,
            "quota_seats": quota_seats,
            "compensatory_seats": compensatory,
            "seats": seats,
        }
    ).assign_coords({dims.PARTY: parties + quota_parties})
    if by_draw:  # the magnitudes the law gave each draw
        ds["magnitude"] = magnitude.astype(small)
    ds = ds.transpose(dims.SAMPLE, dims.PROVINCE, dims.PARTY)
    ds.attrs = {
        "sample_dims": [dims.SAMPLE],
        "house_size": law.house_size,
        "majority": law.majority_seats,
        "n_pooled_fallback": _count(fallback, votes, magnitude, valid_votes, law, pooled, sizes),
    }
    return ds


def _reserved(law: ElectoralLaw, parties: list[str]) -> tuple[list[str], np.ndarray]:
    """Give the quota lists and each list's reserved seats, the input lists first.

    The seats are in the type of the house's seats: int16, or int64 for a house of 32,768 seats
    or more.
    """
    quota_parties = list(dict.fromkeys(q.party for q in law.quota))
    seat_type = np.int16 if law.house_size <= np.iinfo(np.int16).max else np.int64
    quota = np.zeros(len(parties) + len(quota_parties), dtype=seat_type)
    for q in law.quota:
        quota[len(parties) + quota_parties.index(q.party)] += q.seats
    return quota_parties, quota


def _count(
    fallback: xr.DataArray,
    votes: xr.DataArray,
    magnitude: xr.DataArray,
    valid_votes: xr.DataArray | None,
    law: ElectoralLaw,
    pooled: np.ndarray,
    sizes: np.ndarray | None,
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
        kwargs={"law": law, "pooled": pooled, "sizes": sizes},
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
    sizes: np.ndarray | None,
) -> np.ndarray:
    """(sample, province) cells with seats but no vote for any list allowed to win."""
    national = _national(votes, votes.max(axis=0))
    vt = (votes.sum(axis=2) if valid is None else valid).astype(np.float64)
    allowed = _allowed(national, vt, pooled, law, sizes)
    allowed = allowed[None, None, :] if allowed.ndim == 1 else allowed.T[:, None, :]
    return ~((votes > 0) & allowed).any(axis=2) & (magnitude > 0)


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
    magnitude = _in_order(magnitude, provinces)
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
