"""Each table of a spec read and checked row by row: provinces, communities, election folders.

Every table is read with its provenance sidecar, recorded under the table's path relative to
the project root; a row that names an unknown province or list is an error naming the file, the
row and the field. Checks across tables (magnitudes against the house, lineage against the
lists) are the ingest's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.schemas import (
    COMMUNITIES,
    ELECTORATE,
    MAGNITUDE,
    NATIONAL,
    PARTIES,
    PROVINCES,
    TURNOUT,
    VOTES,
)
from forecast.data.spec import ForecastSpec
from forecast.data.tables import Column, read_sidecar, read_table
from forecast.errors import DataError, did_you_mean

__all__ = ["ElectionTables", "read_communities", "read_election_folder", "read_provinces"]


@dataclass
class ElectionTables:
    """The validated tables of one election folder (rows keep their file and row number)."""

    election: str
    folder: Path
    parties: dict[str, str]
    votes: list[dict[str, Any]]
    turnout: list[dict[str, Any]]
    magnitude: list[dict[str, Any]]
    national: list[dict[str, Any]]
    provenance: dict[str, Any] = field(default_factory=dict)


def _table(
    path: Path, columns: tuple[Column, ...], key: tuple[str, ...], prov: dict[str, Any], root: Path
):
    """Read a table and record its sidecar in ``prov`` under its project-relative path."""
    rows = read_table(path, columns, key=key)
    prov[str(path.relative_to(root)) if path.is_relative_to(root) else str(path)] = _jsonable(
        read_sidecar(path)
    )
    return rows


def _jsonable(meta: dict[str, Any]) -> dict[str, Any]:
    """Return the sidecar's metadata as JSON values (dates become text)."""
    return json.loads(json.dumps(meta, default=str))


def _check_known(
    path: Path,
    row: dict[str, Any],
    name: str,
    known: dict[str, Any] | list[str],
    what: str,
    where: str = "",
) -> None:
    """Raise ``DataError`` if the row's ``name`` field is not one of ``known``."""
    if row[name] not in known:
        raise DataError(
            f"unknown {what} '{row[name]}'{did_you_mean(row[name], known)}; "
            f"known{where}: {', '.join(sorted(known))}",
            file=path,
            where=f"row {row['_row']}",
            field=name,
        )


def read_election_folder(
    folder: Path, election: str, provinces: list[str], *, root: Path, results: bool = True
) -> ElectionTables:
    """Read one election folder; ``results=False`` reads only its law tables (target election)."""
    prov: dict[str, Any] = {}
    if not folder.is_dir():
        raise DataError("election folder not found", file=folder)
    parties: dict[str, str] = {}
    votes: list[dict[str, Any]] = []
    turnout: list[dict[str, Any]] = []
    national: list[dict[str, Any]] = []
    magnitude: list[dict[str, Any]] = []
    if (folder / "magnitude.csv").exists() or not results:
        path = folder / "magnitude.csv"
        magnitude = _table(path, MAGNITUDE, ("province",), prov, root)
        for r in magnitude:
            _check_known(path, r, "province", provinces, "province")
    if results:
        path = folder / "parties.csv"
        parties = {
            r["party"]: r["party_name"] for r in _table(path, PARTIES, ("party",), prov, root)
        }
        path = folder / "votes.csv"
        if not path.exists() and not (folder / "national.csv").exists():
            raise DataError("an election folder needs votes.csv, national.csv or both", file=path)
        votes = _table(path, VOTES, ("province", "party"), prov, root) if path.exists() else []
        for r in votes:
            _check_known(path, r, "province", provinces, "province")
            _check_known(path, r, "party", parties, "list", f" in {election}/parties.csv")
        path = folder / "turnout.csv"
        turnout = _table(path, TURNOUT, ("province",), prov, root)
        for r in turnout:
            _check_known(path, r, "province", provinces, "province")
            _check_turnout_row(path, r)
        if (folder / "national.csv").exists():
            path = folder / "national.csv"
            national = _table(path, NATIONAL, ("party",), prov, root)
            for r in national:
                if r["party"] != "total":
                    _check_known(path, r, "party", parties, "list", f" in {election}/parties.csv")
        _check_votes_within_valid(folder / "votes.csv", votes, turnout)
    elif (folder / "electorate.csv").exists():
        path = folder / "electorate.csv"
        for r in _table(path, ELECTORATE, ("province",), prov, root):
            _check_known(path, r, "province", provinces, "province")
            turnout.append({**r, "valid": None, "voters": None, "turnout_pct": None})
    return ElectionTables(election, folder, parties, votes, turnout, magnitude, national, prov)


def _check_turnout_row(path: Path, r: dict[str, Any]) -> None:
    """Raise ``DataError`` unless valid <= voters <= registered (where given)."""
    where = f"row {r['_row']}"
    reg, voters, valid = r["registered"], r["voters"], r["valid"]
    if reg is not None and voters is not None and voters > reg:
        raise DataError(
            f"voters {voters} exceed registered {reg}", file=path, where=where, field="voters"
        )
    if voters is not None and valid is not None and valid > voters:
        raise DataError(
            f"valid {valid} exceed voters {voters}", file=path, where=where, field="valid"
        )
    if reg is not None and valid is not None and valid > reg:
        raise DataError(
            f"valid {valid} exceed registered {reg}", file=path, where=where, field="valid"
        )


def _check_votes_within_valid(
    path: Path, votes: list[dict[str, Any]], turnout: list[dict[str, Any]]
) -> None:
    """Raise ``DataError`` where a province's list votes add up to more than its valid votes."""
    valid = {r["province"]: r["valid"] for r in turnout if r["valid"] is not None}
    totals: dict[str, int] = {}
    last_row: dict[str, int] = {}
    for r in votes:
        if r["votes"] is not None:
            totals[r["province"]] = totals.get(r["province"], 0) + r["votes"]
            last_row[r["province"]] = r["_row"]
    for prov_, total in totals.items():
        if prov_ in valid and total > valid[prov_]:
            raise DataError(
                f"list votes in {prov_} add up to {total}, more than the {valid[prov_]} "
                "valid votes in turnout.csv",
                file=path,
                where=f"row {last_row[prov_]}",
                field="votes",
            )


def read_provinces(spec: ForecastSpec, prov: dict[str, Any]) -> list[dict[str, Any]]:
    """Read the spec's provinces table (recording its sidecar in ``prov``)."""
    return _table(spec.resolve(spec.data.provinces), PROVINCES, ("province",), prov, spec.root)


def read_communities(
    spec: ForecastSpec, provinces: list[str], prov: dict[str, Any]
) -> xr.DataArray | None:
    """Read the communities table into shares (province, community); None if the spec has none.

    Unknown shares are NaN; coord ``majority_community`` (province) holds the table's
    qualitative labels.
    """
    if spec.data.communities is None:
        return None
    path = spec.resolve(spec.data.communities)
    rows = _table(path, COMMUNITIES, ("province", "community"), prov, spec.root)
    communities = spec.community_ids or sorted({r["community"] for r in rows})
    out = np.full((len(provinces), len(communities)), np.nan)
    majority = [""] * len(provinces)
    for r in rows:
        _check_known(path, r, "province", provinces, "province")
        i = provinces.index(r["province"])
        if r["label"]:
            majority[i] = r["community"]
        if r["community"] in communities and r["share"] is not None:
            out[i, communities.index(r["community"])] = r["share"]
    sums = np.nansum(out, axis=1)
    for i, s in enumerate(sums):
        if s > 1.0 + 1e-6:
            raise DataError(
                f"community shares of {provinces[i]} add up to {s:.3f}, more than 1",
                file=path,
                field="share",
            )
    return xr.DataArray(
        out,
        dims=(dims.PROVINCE, dims.COMMUNITY),
        coords={dims.COMMUNITY: communities, "majority_community": (dims.PROVINCE, majority)},
    )
