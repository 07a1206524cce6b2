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
    COMMUNITY_SHARES,
    ELECTORATE,
    MAGNITUDE,
    NATIONAL,
    PARTIES,
    POPULATION,
    PROVINCES,
    TURNOUT,
    VOTES,
)
from forecast.data.spec import ForecastSpec
from forecast.data.tables import Column, read_sidecar, read_table
from forecast.errors import DataError, did_you_mean

__all__ = [
    "ElectionTables",
    "read_communities",
    "read_election_folder",
    "read_law_tables",
    "read_provinces",
]


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
    folder: Path,
    election: str,
    provinces: list[str],
    *,
    root: Path,
    results: bool = True,
    magnitudes: bool = True,
) -> ElectionTables:
    """Read one election folder; ``results=False`` reads only its law tables (target election).

    The target needs ``magnitude.csv`` unless ``magnitudes`` is False (a law that apportions
    the district seats); a past election's is read where it exists.
    """
    prov: dict[str, Any] = {}
    if not folder.is_dir():
        raise DataError("election folder not found", file=folder)
    parties: dict[str, str] = {}
    votes: list[dict[str, Any]] = []
    turnout: list[dict[str, Any]] = []
    national: list[dict[str, Any]] = []
    magnitude: list[dict[str, Any]] = []
    if (folder / "magnitude.csv").exists() or (not results and magnitudes):
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


def read_law_tables(
    spec: ForecastSpec, provinces: list[str], prov: dict[str, Any]
) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    """Read the target's tables the law needs: lists' numbers of parties, provinces' population.

    ``alliance_size`` of every list of the spec from the target's ``parties.csv`` when the law
    has ``alliance_thresholds``; ``population`` of every province from its ``population.csv``
    when the law apportions magnitudes by population; None where the law needs neither.
    """
    law, folder = spec.law, spec.resolve(spec.data.target)
    sizes = None
    if law.alliance_thresholds:
        path = folder / "parties.csv"
        rows = {r["party"]: r for r in _table(path, PARTIES, ("party",), prov, spec.root)}
        for party in spec.party_ids:
            if party not in rows:
                raise DataError(
                    f"list '{party}' of the spec has no row; law.alliance_thresholds needs "
                    "every list's number of parties",
                    file=path,
                    field="alliance_size",
                )
            if not rows[party]["alliance_size"]:
                raise DataError(
                    f"list '{party}' has no alliance_size (a number of parties >= 1), which "
                    "law.alliance_thresholds needs",
                    file=path,
                    where=f"row {rows[party]['_row']}",
                    field="alliance_size",
                )
        sizes = {p: rows[p]["alliance_size"] for p in spec.party_ids}
    population = None
    if law.apportioned_by == "population":
        path = folder / "population.csv"
        rows = _table(path, POPULATION, ("province",), prov, spec.root)
        for r in rows:
            _check_known(path, r, "province", provinces, "province")
        population = {r["province"]: r["population"] for r in rows}
        for p in provinces:
            if p not in population:
                raise DataError(
                    f"province '{p}' has no population, which law.magnitude apportions by",
                    file=path,
                    field="population",
                )
    return sizes, population


def read_provinces(spec: ForecastSpec, prov: dict[str, Any]) -> list[dict[str, Any]]:
    """Read the spec's provinces table (recording its sidecar in ``prov``)."""
    return _table(spec.resolve(spec.data.provinces), PROVINCES, ("province",), prov, spec.root)


ESTIMATE_TOLERANCE = 0.05


def read_communities(
    spec: ForecastSpec, provinces: list[str], prov: dict[str, Any]
) -> xr.Dataset | None:
    """Read the communities tables into shares (province, community); None if the spec has none.

    ``community_share`` holds the best estimate (NaN = unknown), ``community_share_low`` and
    ``_high`` its published range where there is one; coord ``majority_community``
    (province) holds the communities table's qualitative labels. Estimates of the
    community-shares table override the communities table's ``share``.
    """
    if spec.data.communities is None:
        return None
    path = spec.resolve(spec.data.communities)
    rows = _table(path, COMMUNITIES, ("province", "community"), prov, spec.root)
    communities = spec.community_ids or sorted({r["community"] for r in rows})
    out = np.full((3, len(provinces), len(communities)), np.nan)  # mid, low, high
    majority = [""] * len(provinces)
    for r in rows:
        _check_known(path, r, "province", provinces, "province")
        i = provinces.index(r["province"])
        if r["label"]:
            majority[i] = r["community"]
        if r["community"] in communities and r["share"] is not None:
            out[0, i, communities.index(r["community"])] = r["share"]
    tolerance = 1e-6
    if spec.data.community_shares is not None:
        _read_estimates(spec, provinces, communities, prov, out)
        path = spec.resolve(spec.data.community_shares)
        # estimates of one province from different sources and vintages may overshoot 1 by
        # their rounding; the model renormalises them
        tolerance = ESTIMATE_TOLERANCE
    _check_shares(path, provinces, out[0], tolerance)
    coords = {dims.COMMUNITY: communities, "majority_community": (dims.PROVINCE, majority)}
    pair = (dims.PROVINCE, dims.COMMUNITY)
    return xr.Dataset(
        {
            "community_share": (pair, out[0]),
            "community_share_low": (pair, out[1]),
            "community_share_high": (pair, out[2]),
        },
        coords=coords,
    )


def _read_estimates(
    spec: ForecastSpec,
    provinces: list[str],
    communities: list[str],
    prov: dict[str, Any],
    out: np.ndarray,
) -> None:
    """Write the community-shares table's estimates (mid, low, high) into ``out``."""
    path = spec.resolve(spec.data.community_shares)
    rows = _table(path, COMMUNITY_SHARES, ("province", "community"), prov, spec.root)
    for r in rows:
        if r["province"] == "national":
            continue
        _check_known(path, r, "province", provinces, "province")
        _check_known(path, r, "community", communities, "community")
        lo, mid, hi = r["share_low"], r["share_mid"], r["share_high"]
        given = [x for x in (lo, mid, hi) if x is not None]
        if given != sorted(given):
            raise DataError(
                f"community share of {r['community']} in {r['province']}: share_low, share_mid "
                "and share_high must be in increasing order",
                file=path,
                where=f"row {r['_row']}",
                field="share_mid",
            )
        i, c = provinces.index(r["province"]), communities.index(r["community"])
        out[:, i, c] = [np.nan if x is None else x for x in (mid, lo, hi)]


def _check_shares(path: Path, provinces: list[str], shares: np.ndarray, tolerance: float) -> None:
    """Raise ``DataError`` where a province's community shares add up to more than 1."""
    sums = np.nansum(shares, axis=1)
    for i, s in enumerate(sums):
        if s > 1.0 + tolerance:
            raise DataError(
                f"community shares of {provinces[i]} add up to {s:.3f}, more than 1",
                file=path,
                field="share",
            )
