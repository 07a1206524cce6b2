"""The law bound to its election's tables: what a forecast's seat stage reads besides the votes.

A law may read tables of the target election besides its magnitudes: each list's number of
parties (thresholds by alliance size, ``alliance_size`` in ``parties.csv``) and each province's
population (magnitudes apportioned by population, ``population.csv``). The ingest reads them
into ElectionData; :func:`bind_law` puts them on ``spec.law`` (``law.tables``), so that every
stage allocating under the spec's law (the forecast, its scenarios, the dry run, the
backtest's baselines) reads the same tables, and fills the target's magnitudes apportioned by
population into the data, where the stages read the target's magnitudes.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.data.spec_law import LawTables
from forecast.errors import DataError
from forecast.seats.magnitudes import population_magnitudes

__all__ = ["bind_law", "target_magnitude"]


def bind_law(spec: ForecastSpec, data: xr.Dataset) -> tuple[ForecastSpec, xr.Dataset]:
    """Return the spec with its law bound to the data's tables, and the data with its magnitudes.

    Parameters
    ----------
    spec : ForecastSpec
        The loaded spec.
    data : xr.Dataset
        Its ElectionData (:func:`forecast.data.ingest.ingest_election`): ``alliance_size``
        (party) when the law has thresholds by alliance size, ``population`` (province) when it
        apportions magnitudes by population.

    Returns
    -------
    ForecastSpec, xr.Dataset
        The spec, its ``law.tables`` holding those tables (the spec itself when the law needs
        none), and the data with the target's ``magnitude`` (election, province) apportioned
        from the population (the data itself otherwise).

    Raises
    ------
    DataError
        If the target folder has a ``magnitude.csv`` that is not the law's apportionment of
        its ``population.csv``.

    Examples
    --------
    >>> from forecast.testing import toy_spec
    >>> spec = toy_spec()
    >>> bind_law(spec, xr.Dataset())[0] is spec
    True
    """
    if "alliance_size" not in data and "population" not in data:
        return spec, data
    tables = LawTables(
        alliance_size=_sizes(data["alliance_size"], spec) if "alliance_size" in data else {},
        population=(
            {str(p): float(v) for p, v in data["population"].to_series().items()}
            if "population" in data
            else {}
        ),
    )
    bound = spec.model_copy(update={"law": spec.law.model_copy(update={"tables": tables})})
    if "population" in data:
        data = _with_magnitudes(bound, data)
    return bound, data


def target_magnitude(spec: ForecastSpec, data: xr.Dataset) -> xr.DataArray | None:
    """Return the target's district magnitudes to allocate with, dims (province,); None by votes.

    A law apportioning the seats by votes divides them anew in every draw
    (:func:`forecast.seats.law.allocate_seats` with ``magnitude=None``).
    """
    if spec.law.apportioned_by == "votes":
        return None
    return data["magnitude"].sel({dims.ELECTION: spec.election.id}).astype(int)


def _sizes(alliance_size: xr.DataArray, spec: ForecastSpec) -> dict[str, int]:
    """Each target list's number of parties (the ingest has checked that every one has one)."""
    return {p: int(alliance_size.sel({dims.PARTY: p})) for p in spec.party_ids}


def _with_magnitudes(spec: ForecastSpec, data: xr.Dataset) -> xr.Dataset:
    """Return the data with the target's magnitudes apportioned from its population."""
    at = {dims.ELECTION: spec.election.id}
    seats = population_magnitudes(data["population"], spec.law)
    given = data["magnitude"].sel(at)
    differ = {
        str(p): int(n)
        for p, n, m in zip(seats[dims.PROVINCE].values, seats.values, given.values, strict=True)
        if np.isfinite(m) and m != n
    }
    if differ or (given.notnull().any() and given.isnull().any()):
        raise DataError(
            f"district magnitudes are not the law's apportionment of population.csv (it gives "
            f"{json.dumps(differ or {str(p): int(n) for p, n in seats.to_series().items()})}); "
            "drop magnitude.csv or correct it",
            file=spec.resolve(spec.data.target) / "magnitude.csv",
            field="seats",
        )
    magnitude = data["magnitude"].copy()
    magnitude.loc[at] = seats.values.astype(float)
    return data.assign(magnitude=magnitude)
