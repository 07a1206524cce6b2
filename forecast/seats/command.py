"""Seats for one set of actual votes: from a table or a CSV, and the ``forecast seats`` command.

:func:`seats_from_table` is :func:`forecast.seats.law.allocate_seats` with a single sample;
:func:`seats_command` reads a spec (a forecast spec, or a law spec: :class:`LawSpec`) and a
votes CSV with the tables the law needs from the election's folder, allocates and writes the
seats, and :func:`seats_table` prints them. This is also how the law is checked against official
results.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from pydantic import ValidationError
from rich.table import Table

from forecast import dims
from forecast.data.schemas import PARTIES, POPULATION
from forecast.data.spec import ForecastSpec, _spec_error, load_spec
from forecast.data.spec_law import ElectoralLaw, LawSpec
from forecast.data.tables import Column, count, read_table, slug, text, write_atomic
from forecast.errors import DataError, SpecError
from forecast.seats.law import allocate_seats

__all__ = ["load_law", "seats_command", "seats_from_table", "seats_table"]


def seats_from_table(
    spec_or_law: ForecastSpec | ElectoralLaw,
    magnitude: xr.DataArray | Mapping[str, int] | None,
    votes_table: xr.DataArray | Iterable[Mapping[str, Any]],
    *,
    valid_votes: xr.DataArray | Mapping[str, float] | None = None,
    alliance_size: Mapping[str, int] | None = None,
    population: Mapping[str, float] | None = None,
    seed: int = 0,
) -> xr.Dataset:
    """Seats for one set of actual votes: ``allocate_seats`` with a single sample.

    Parameters
    ----------
    spec_or_law : ForecastSpec or ElectoralLaw
        The spec (its ``law`` is used) or the law itself.
    magnitude : xr.DataArray, dims (province,), or mapping of province to seats, or None
        District magnitudes; None when the law apportions them.
    votes_table : xr.DataArray, dims (province, party), or iterable of mappings
        Votes per province and list; rows need ``province``, ``party`` and ``votes`` (as read
        from a CSV). A list without a row in a province has no votes there.
    valid_votes : xr.DataArray, dims (province,), or mapping, optional
        Valid votes per province when they include lists not in the table.
    alliance_size : mapping of list to int, optional
        Number of parties in each list, for thresholds by alliance size.
    population : mapping of province to float, optional
        For magnitudes apportioned by population.
    seed : int
        For the tie lottery.

    Returns
    -------
    xr.Dataset
        ``SeatDraws`` with one sample.
    """
    law = spec_or_law.law if isinstance(spec_or_law, ForecastSpec) else spec_or_law
    if magnitude is not None and not isinstance(magnitude, xr.DataArray):
        magnitude = _labelled(magnitude, dims.PROVINCE)
    votes = votes_table if isinstance(votes_table, xr.DataArray) else _pivot(votes_table)
    votes = votes.expand_dims({dims.SAMPLE: 1}).transpose(dims.SAMPLE, dims.PROVINCE, dims.PARTY)
    provinces = [str(p) for p in votes[dims.PROVINCE].values]
    valid = None
    if valid_votes is not None:
        if not isinstance(valid_votes, xr.DataArray):
            valid_votes = _labelled({p: valid_votes[p] for p in provinces}, dims.PROVINCE)
        valid = valid_votes.expand_dims({dims.SAMPLE: 1})
    return allocate_seats(
        votes,
        magnitude,
        law,
        valid_votes=valid,
        alliance_size=None if alliance_size is None else _labelled(alliance_size, dims.PARTY),
        population=None if population is None else _labelled(population, dims.PROVINCE),
        seed=seed,
    )


def _labelled(values: Mapping[str, Any], dim: str) -> xr.DataArray:
    """Turn a mapping of labels to numbers into a DataArray along ``dim``."""
    return xr.DataArray(list(values.values()), dims=dim, coords={dim: list(values)})


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


_META = (
    Column("provenance", text, required=False, allow_empty=True),
    Column("source_id", text, required=False, allow_empty=True),
    Column("notes", text, required=False, allow_empty=True),
)
_MAGNITUDE = (Column("province", slug), Column("seats", count), *_META)
_VOTES = (
    Column("province", slug),
    Column("party", slug),
    Column("votes", count),
    *_META,
)


def load_law(spec_path: Path) -> tuple[ElectoralLaw, Path]:
    """Read the law of a spec and the folder of its election's tables.

    A forecast spec (a file with an ``[election]`` table) gives its law and ``data.target``; a
    law spec (:class:`forecast.data.spec_law.LawSpec`) its law and ``target``, relative to the
    spec file.

    Raises
    ------
    SpecError
        If the spec is invalid or its target folder does not exist.
    """
    spec_path = Path(spec_path)
    if not spec_path.is_file():
        raise SpecError("spec file not found", file=spec_path)
    try:
        raw = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        raw = {"election": None}  # load_spec says what is wrong with the file
    if "election" in raw:
        spec = load_spec(spec_path)
        return spec.law, spec.resolve(spec.data.target)
    try:
        law_spec = LawSpec.model_validate(raw)
    except ValidationError as exc:
        raise _spec_error(spec_path, exc) from None
    target = (spec_path.parent / law_spec.target).resolve()
    if not target.is_dir():
        raise SpecError(
            f"target folder '{law_spec.target}' does not exist",
            file=spec_path,
            where="key 'target'",
        )
    return law_spec.law, target


def seats_command(spec_path: Path, votes_path: Path, out_path: Path | None) -> xr.Dataset:
    """Run ``forecast seats``: seats for a CSV of actual votes under a spec's law.

    Reads the spec and, from the election's folder, the district magnitudes ``magnitude.csv``
    (``province, seats``; not when the law apportions them, by votes or by ``population.csv``:
    ``province, population``) and, for thresholds by alliance size, ``parties.csv`` with an
    ``alliance_size`` column; then the votes CSV (``province,party,votes``; ``provenance``,
    ``source_id`` and ``notes`` columns are allowed), allocates, and writes
    ``province,party,seats,seat_type`` to ``out_path`` (through a temporary file, so no
    partial file is left) when given.

    Parameters
    ----------
    spec_path : Path
        A ``models/*.toml`` spec or a law spec.
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
        Naming the file, row and field of a bad cell, a province without magnitude, a list
        without alliance size, or a district with seats but no votes.
    """
    law, target = load_law(spec_path)
    rows = read_table(Path(votes_path), _VOTES, key=("province", "party"))
    _check_quota_lists(rows, law, votes_path)
    magnitude = None
    if law.magnitude is None:
        magnitude = _column(target / "magnitude.csv", _MAGNITUDE, "province", "seats")
        _check_districts(rows, magnitude, target / "magnitude.csv", votes_path)
    population = None
    if law.apportioned_by == "population":
        population = _column(target / "population.csv", POPULATION, "province", "population")
    sizes = None
    if law.alliance_thresholds:
        sizes = _column(target / "parties.csv", PARTIES, "party", "alliance_size")
        for r in rows:
            if sizes.get(r["party"]) is None:
                raise DataError(
                    f"list '{r['party']}' has no alliance_size in {target / 'parties.csv'}",
                    file=votes_path,
                    where=f"row {r['_row']}",
                    field="party",
                )
    try:
        result = seats_from_table(
            law, magnitude, rows, alliance_size=sizes, population=population, seed=law.tie_seed
        )
    except ValueError as exc:
        raise DataError(str(exc), file=votes_path) from None
    if out_path is not None:
        write_atomic(Path(out_path), lambda tmp: _write_seats(result, law, tmp))
    return result


def _column(path: Path, columns: tuple[Column, ...], key: str, value: str) -> dict[str, Any]:
    """One column of a strictly read table, by its key column."""
    return {r[key]: r[value] for r in read_table(path, columns, key=(key,))}


def _check_districts(
    rows: list[dict[str, Any]], magnitude: dict[str, int], magnitude_path: Path, votes_path: Path
) -> None:
    """Every province of the votes has a magnitude, and every district with seats has votes."""
    for r in rows:
        if r["province"] not in magnitude:
            raise DataError(
                f"province '{r['province']}' has no district magnitude in {magnitude_path}",
                file=votes_path,
                where=f"row {r['_row']}",
                field="province",
            )
    voted = {r["province"] for r in rows if r["votes"] > 0}
    for province, seats in magnitude.items():
        if seats > 0 and province not in voted:
            raise DataError(
                f"province '{province}' has {seats} seats but no votes for any list",
                file=votes_path,
                field="province",
            )


def _check_quota_lists(rows: list[dict[str, Any]], law: ElectoralLaw, votes_path: Path) -> None:
    """No list holding reserved quota seats has votes."""
    quota_parties = {q.party for q in law.quota}
    for r in rows:
        if r["party"] in quota_parties:
            raise DataError(
                f"'{r['party']}' holds reserved quota seats; it takes no part in the districts",
                file=votes_path,
                where=f"row {r['_row']}",
                field="party",
            )


def _write_seats(result: xr.Dataset, law: ElectoralLaw, path: Path) -> None:
    """Write one sample's allocation as ``province,party,seats,seat_type`` rows.

    National seats are ``compensatory``, or ``second_tier`` under a law with a second tier.
    """
    one = result.isel({dims.SAMPLE: 0})
    national = "compensatory" if law.second_tier is None else "second_tier"
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
                w.writerow(["national", party, int(n), national])


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
