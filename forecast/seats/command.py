"""Seats for one set of actual votes: from a table or a CSV, and the ``forecast seats`` command.

:func:`seats_from_table` is :func:`forecast.seats.law.allocate_seats` with a single sample;
:func:`seats_command` reads a spec and a votes CSV, allocates and writes the seats, and
:func:`seats_table` prints them. This is also how the law is checked against official results.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from rich.table import Table

from forecast import dims
from forecast.data.spec import ForecastSpec, load_spec
from forecast.data.spec_law import ElectoralLaw
from forecast.data.tables import Column, count, read_table, slug, text, write_atomic
from forecast.errors import DataError
from forecast.seats.law import allocate_seats

__all__ = ["seats_command", "seats_from_table", "seats_table"]


def seats_from_table(
    spec_or_law: ForecastSpec | ElectoralLaw,
    magnitude: xr.DataArray | Mapping[str, int],
    votes_table: xr.DataArray | Iterable[Mapping[str, Any]],
    *,
    valid_votes: xr.DataArray | Mapping[str, float] | None = None,
    seed: int = 0,
) -> xr.Dataset:
    """Seats for one set of actual votes: ``allocate_seats`` with a single sample.

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
