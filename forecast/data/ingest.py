"""CSV tables + spec -> ``ElectionData``, with the invariants checked at entry.

``ElectionData`` is an ``xr.Dataset`` over ``(election, province, party)``: the past elections
named as evidence, then the target election, whose results are never read here (only its law
tables: magnitudes and, where known, registered voters). A gap is NaN, never 0: a list that
stood but whose votes are unknown has ``contested=True`` and NaN votes; a province that held
no election (Iraq 2009 in the Kurdistan Region and Kirkuk) has ``voted=False``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.data.tables import Column, count, percent, read_sidecar, read_table, share, slug, text
from forecast.errors import DataError, SpecError, did_you_mean

__all__ = ["ingest_election", "read_election_folder", "ElectionTables"]

_META = (
    Column("provenance", text, required=False, allow_empty=True),
    Column("source_id", text, required=False, allow_empty=True),
    Column("notes", text, required=False, allow_empty=True),
)
PROVINCES = (
    Column("province", slug),
    Column("province_name", text),
    Column("iso_3166_2", text, required=False, allow_empty=True),
    Column("aliases", text, required=False, allow_empty=True),
    Column("tile_row", count, required=False, allow_empty=True),
    Column("tile_col", count, required=False, allow_empty=True),
)
PARTIES = (
    Column("party", slug),
    Column("party_name", text),
    Column("family", text, required=False, allow_empty=True),
    *_META,
)
VOTES = (
    Column("province", slug),
    Column("party", slug),
    Column("votes", count, allow_empty=True),
    *_META,
)
TURNOUT = (
    Column("province", slug),
    Column("registered", count, allow_empty=True),
    Column("voters", count, required=False, allow_empty=True),
    Column("valid", count, allow_empty=True),
    Column("turnout_pct", percent, allow_empty=True),
    *_META,
)
MAGNITUDE = (Column("province", slug), Column("seats", count, allow_empty=True), *_META)
ELECTORATE = (Column("province", slug), Column("registered", count, allow_empty=True), *_META)
NATIONAL = (
    Column("party", slug),
    Column("votes", count, allow_empty=True),
    Column("vote_pct", percent, required=False, allow_empty=True),
    Column("seats", count, required=False, allow_empty=True),
    Column("seats_district", count, required=False, allow_empty=True),
    Column("seats_national", count, required=False, allow_empty=True),
    *_META,
)
COMMUNITIES = (
    Column("province", slug),
    Column("community", slug),
    Column("share", share, allow_empty=True),
    Column("label", text, required=False, allow_empty=True),
    *_META,
)


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
    rows = read_table(path, columns, key=key)
    prov[str(path.relative_to(root)) if path.is_relative_to(root) else str(path)] = _jsonable(
        read_sidecar(path)
    )
    return rows


def _jsonable(meta: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(meta, default=str))


def _check_known(
    path: Path,
    row: dict[str, Any],
    name: str,
    known: dict[str, Any] | list[str],
    what: str,
    where: str = "",
) -> None:
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
                f"list votes in {prov_} add up to {total}, more than the {valid[prov_]} valid votes "
                "in turnout.csv",
                file=path,
                where=f"row {last_row[prov_]}",
                field="votes",
            )


def _read_provinces(spec: ForecastSpec, prov: dict[str, Any]) -> list[dict[str, Any]]:
    return _table(spec.resolve(spec.data.provinces), PROVINCES, ("province",), prov, spec.root)


def _read_communities(
    spec: ForecastSpec, provinces: list[str], prov: dict[str, Any]
) -> xr.DataArray | None:
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


def ingest_election(spec: ForecastSpec) -> xr.Dataset:
    """Read every table a spec names into one checked ``ElectionData``.

    Parameters
    ----------
    spec : ForecastSpec
        A loaded spec (paths resolved against its project root).

    Returns
    -------
    xr.Dataset
        ElectionData, dims ``(election, province, party)``: ``votes`` (NaN = gap),
        ``contested``, ``valid_votes``, ``registered``, ``magnitude``, ``voted``,
        ``turnout_pct`` (election, province), ``national_votes`` (election, party), ``national_valid`` (election),
        ``community_share`` (province, community) when the spec names a communities table
        (NaN = unknown) with coord ``majority_community`` (province; a community slug,
        ``mixed``, or empty) from the table's qualitative labels;
        coords ``province_name``, ``party_name``, ``bloc`` (and ``tile_row``, ``tile_col``
        when the provinces table gives a tile layout); attrs ``target_election`` and
        ``provenance`` (JSON of every sidecar read).
    """
    prov: dict[str, Any] = {}
    province_rows = _read_provinces(spec, prov)
    provinces = [r["province"] for r in province_rows]
    province_names = [r["province_name"] for r in province_rows]
    tables = [
        read_election_folder(spec.resolve(e.path), e.id, provinces, root=spec.root)
        for e in spec.evidence
    ]
    target = read_election_folder(
        spec.resolve(spec.data.target), spec.election.id, provinces, root=spec.root, results=False
    )
    for t in (*tables, target):
        prov.update(t.provenance)
    _check_target_magnitudes(spec, target, provinces)
    _check_lineage(spec, tables)

    party_names: dict[str, str] = {p.id: p.name for p in spec.party}
    for t in tables:
        for k, v in t.parties.items():
            party_names.setdefault(k, v)
    parties = list(party_names)
    elections = [t.election for t in tables] + [spec.election.id]
    shape3 = (len(elections), len(provinces), len(parties))
    shape2 = shape3[:2]
    votes = np.full(shape3, np.nan)
    contested = np.zeros(shape3, bool)
    valid, registered, magnitude, turnout_pct = (np.full(shape2, np.nan) for _ in range(4))
    voted = np.zeros(shape2, bool)
    national = np.full((len(elections), len(parties)), np.nan)
    national_valid = np.full(len(elections), np.nan)
    for e, t in enumerate((*tables, target)):
        for r in t.votes:
            p, k = provinces.index(r["province"]), parties.index(r["party"])
            contested[e, p, k] = True
            votes[e, p, k] = np.nan if r["votes"] is None else r["votes"]
            voted[e, p] = True
        for r in t.turnout:
            p = provinces.index(r["province"])
            for arr, name in (
                (valid, "valid"),
                (registered, "registered"),
                (turnout_pct, "turnout_pct"),
            ):
                if r[name] is not None:
                    arr[e, p] = r[name]
            if r["valid"] is not None or r["turnout_pct"] is not None:
                voted[e, p] = True
        for r in t.magnitude:
            if r["seats"] is not None:
                magnitude[e, provinces.index(r["province"])] = r["seats"]
        for r in t.national:
            if r["votes"] is None:
                continue
            if r["party"] == "total":
                national_valid[e] = r["votes"]
            else:
                national[e, parties.index(r["party"])] = r["votes"]
    blocs = {p.id: p.bloc for p in spec.party}
    ds = xr.Dataset(
        {
            "votes": ((dims.ELECTION, dims.PROVINCE, dims.PARTY), votes),
            "contested": ((dims.ELECTION, dims.PROVINCE, dims.PARTY), contested),
            "valid_votes": ((dims.ELECTION, dims.PROVINCE), valid),
            "registered": ((dims.ELECTION, dims.PROVINCE), registered),
            "magnitude": ((dims.ELECTION, dims.PROVINCE), magnitude),
            "voted": ((dims.ELECTION, dims.PROVINCE), voted),
            "turnout_pct": ((dims.ELECTION, dims.PROVINCE), turnout_pct),
            "national_votes": ((dims.ELECTION, dims.PARTY), national),
            "national_valid": ((dims.ELECTION,), national_valid),
        },
        coords={
            dims.ELECTION: elections,
            dims.PROVINCE: provinces,
            dims.PARTY: parties,
            "province_name": (dims.PROVINCE, province_names),
            "party_name": (dims.PARTY, [party_names[k] for k in parties]),
            "bloc": (dims.PARTY, [blocs.get(k, "") for k in parties]),
            "is_target_party": (dims.PARTY, [k in blocs for k in parties]),
            "election_date": (
                dims.ELECTION,
                [str(e.date) for e in spec.evidence] + [str(spec.election.date)],
            ),
        },
        attrs={
            "target_election": spec.election.id,
            "provenance": json.dumps(prov, sort_keys=True),
        },
    )
    if all(r["tile_row"] is not None and r["tile_col"] is not None for r in province_rows):
        ds = ds.assign_coords(
            tile_row=(dims.PROVINCE, [r["tile_row"] for r in province_rows]),
            tile_col=(dims.PROVINCE, [r["tile_col"] for r in province_rows]),
        )
    communities = _read_communities(spec, provinces, prov)
    if communities is not None:
        ds["community_share"] = communities.assign_coords({dims.PROVINCE: provinces})
        ds.attrs["provenance"] = json.dumps(prov, sort_keys=True)
    return dims.check(ds, "ElectionData")


def _check_target_magnitudes(
    spec: ForecastSpec, target: ElectionTables, provinces: list[str]
) -> None:
    path = spec.resolve(spec.data.target) / "magnitude.csv"
    have = {r["province"]: r["seats"] for r in target.magnitude}
    for p in provinces:
        if have.get(p) is None:
            raise DataError(f"province '{p}' has no district magnitude", file=path, field="seats")
    total = sum(have.values())
    expected = spec.law.house_size - spec.law.reserved_seats
    if total != expected:
        raise DataError(
            f"district magnitudes add up to {total}, but house_size {spec.law.house_size} minus "
            f"{spec.law.reserved_seats} quota and compensatory seats leaves {expected}",
            file=path,
            field="seats",
        )


def _check_lineage(spec: ForecastSpec, tables: list[ElectionTables]) -> None:
    by_id = {t.election: t for t in tables}
    for i, row in enumerate(spec.lineage):
        known = by_id[row.election].parties
        if row.source not in known:
            raise SpecError(
                f"list '{row.source}' is not in {row.election}/parties.csv"
                f"{did_you_mean(row.source, known)}",
                file=spec.source_file,
                where=f"key 'lineage[{i}].source'",
            )
