"""District magnitudes apportioned by law: the district seats divided among the provinces.

Some laws fix the magnitudes only after the vote, by each district's valid votes, others before
it by population. Either way the provinces take the place of lists in a district method
(largest remainder or a divisor method) without thresholds, so the kernels of
:mod:`forecast.seats.kernels` apportion every draw at once; :mod:`forecast.seats.law` labels
the result.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec_law import DistrictRule, ElectoralLaw
from forecast.seats.draws import _tie_seed
from forecast.seats.kernels import allocate_district
from forecast.seats.ties import Lottery

__all__ = ["apportion_magnitudes", "population_magnitudes"]

# Lottery stream of the apportionment (provinces use 0 .. P-1, compensatory seats 1,000,001).
_APPORTION_STREAM = 1_000_002


def apportion_magnitudes(
    base: np.ndarray,
    seats: int,
    rule: DistrictRule,
    *,
    tie_seed: int | None = None,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Divide ``seats`` among the provinces by ``rule`` in proportion to ``base``, row by row.

    Parameters
    ----------
    base : np.ndarray, dims (row, province)
        What the law apportions by: valid votes of each draw, or population (one row).
    seats : int
        The seats to divide (the house less quota and compensatory seats).
    rule : DistrictRule
        The method, e.g. ``law.magnitude.rule``.
    tie_seed : int, optional
        Seed of the tie lottery (each row drawn by its global index ``rows``); without it the
        province listed first wins a tie.
    rows : np.ndarray, optional, dims (row,)
        Global indices of the rows; default 0, 1, ...

    Returns
    -------
    np.ndarray of int64, dims (row, province)
        Each row sums to ``seats``.

    Raises
    ------
    ValueError
        If a row's base is all zero, or negative or NaN somewhere.
    """
    base = np.asarray(base)
    if rows is None:
        rows = np.arange(base.shape[0])
    lottery = None if tie_seed is None else Lottery(tie_seed, _APPORTION_STREAM, 0, rows)
    return allocate_district(
        base,
        seats,
        method=rule.method,
        first_divisor=rule.first_divisor,
        quota_rounding=rule.quota_rounding,
        lottery=lottery,
    )


def population_magnitudes(population: xr.DataArray, law: ElectoralLaw) -> xr.DataArray:
    """District magnitudes apportioned by ``law.magnitude`` from each province's population.

    One apportionment for every draw, made before the vote: a tie goes by the law's own lottery
    (``law.tie_seed``), never by a run's seed.

    Parameters
    ----------
    population : xr.DataArray, dims (province,)
        Each province's population.
    law : ElectoralLaw
        A law with ``magnitude`` from population.

    Returns
    -------
    xr.DataArray, dims (province,)
        Seats of each district (int64), summing to the house less quota and compensatory seats.

    Raises
    ------
    ValueError
        If a province has no population (NaN), or the populations are all zero.
    """
    if population.isnull().any():
        raise ValueError("population: a province of the votes has no population")
    seats = law.house_size - law.reserved_seats
    m = apportion_magnitudes(
        population.values[None, :], seats, law.magnitude.rule, tie_seed=_tie_seed(law, 0)
    )
    return xr.DataArray(m[0], dims=dims.PROVINCE, coords={dims.PROVINCE: population[dims.PROVINCE]})
