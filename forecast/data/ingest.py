"""CSV tables + spec -> ``ElectionData``, with the invariants checked at entry.

``ElectionData`` is an ``xr.Dataset`` over ``(election, province, party)``: the past elections
named as evidence, then the target election, whose results are never read here (only its law
tables: magnitudes and, where known, registered voters). A gap is NaN, never 0: a list that
stood but whose votes are unknown has ``contested=True`` and NaN votes; a province that held
no election (Iraq 2009 in the Kurdistan Region and Kirkuk) has ``voted=False``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.readers import (
    ElectionTables,
    read_communities,
    read_election_folder,
    read_law_tables,
    read_provinces,
)
from forecast.data.spec import ForecastSpec
from forecast.errors import DataError, SpecError, did_you_mean

__all__ = ["ingest_election"]

# The arrays of ElectionData, in their order, with their dims; flags start False, numbers NaN.
_LAYOUT = {
    "votes": (dims.ELECTION, dims.PROVINCE, dims.PARTY),
    "contested": (dims.ELECTION, dims.PROVINCE, dims.PARTY),
    "valid_votes": (dims.ELECTION, dims.PROVINCE),
    "registered": (dims.ELECTION, dims.PROVINCE),
    "magnitude": (dims.ELECTION, dims.PROVINCE),
    "voted": (dims.ELECTION, dims.PROVINCE),
    "turnout_pct": (dims.ELECTION, dims.PROVINCE),
    "national_votes": (dims.ELECTION, dims.PARTY),
    "national_valid": (dims.ELECTION,),
}
_FLAGS = ("contested", "voted")
# turnout.csv column of each turnout array
_TURNOUT_FIELDS = {"valid_votes": "valid", "registered": "registered", "turnout_pct": "turnout_pct"}


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
        ``turnout_pct`` (election, province), ``national_votes`` (election, party),
        ``national_valid`` (election),
        ``alliance_size`` (party; the target's lists, NaN for the others) when the law has
        thresholds by alliance size, ``population`` (province) when it apportions magnitudes by
        population (the target's ``magnitude`` is then NaN until
        :func:`forecast.seats.bind.bind_law` apportions it),
        ``community_share`` (province, community) when the spec names a communities table
        (NaN = unknown; ``community_share_low`` and ``_high``: the published range) with
        coord ``majority_community`` (province; a community slug,
        ``mixed``, or empty) from the table's qualitative labels;
        coords ``province_name``, ``party_name``, ``bloc`` (and ``tile_row``, ``tile_col``
        when the provinces table gives a tile layout); attrs ``target_election`` and
        ``provenance`` (JSON of every sidecar read).
    """
    prov: dict[str, Any] = {}
    province_rows = read_provinces(spec, prov)
    provinces = [r["province"] for r in province_rows]
    tables = [
        read_election_folder(spec.resolve(e.path), e.id, provinces, root=spec.root)
        for e in spec.evidence
    ]
    target = read_election_folder(
        spec.resolve(spec.data.target),
        spec.election.id,
        provinces,
        root=spec.root,
        results=False,
        magnitudes=spec.law.magnitude is None,
    )
    for t in (*tables, target):
        prov.update(t.provenance)
    if spec.law.magnitude is None:
        _check_target_magnitudes(spec, target, provinces)
    _check_vote_apportionment(spec, target, provinces)
    sizes, population = read_law_tables(spec, provinces, prov)
    _check_quota_provinces(spec, provinces)
    _check_lineage(spec, tables)

    party_names = _party_names(spec, tables)
    ds = _election_dataset(spec, [*tables, target], province_rows, party_names, prov)
    if sizes is not None:
        ds["alliance_size"] = (dims.PARTY, [sizes.get(k, np.nan) for k in party_names])
    if population is not None:
        ds["population"] = (dims.PROVINCE, [float(population[p]) for p in provinces])
    communities = read_communities(spec, provinces, prov)
    if communities is not None:
        ds = ds.merge(communities.assign_coords({dims.PROVINCE: provinces}))
        ds.attrs["provenance"] = json.dumps(prov, sort_keys=True)
    return dims.check(ds, "ElectionData")


def _party_names(spec: ForecastSpec, tables: list[ElectionTables]) -> dict[str, str]:
    """Return the name of every list: the target's lists in spec order, then past ones."""
    party_names: dict[str, str] = {p.id: p.name for p in spec.party}
    for t in tables:
        for k, v in t.parties.items():
            party_names.setdefault(k, v)
    return party_names


def _result_arrays(
    tables: list[ElectionTables], provinces: list[str], parties: list[str]
) -> dict[str, np.ndarray]:
    """Fill the arrays of ``_LAYOUT`` from the tables of every election, in election order."""
    sizes = {dims.ELECTION: len(tables), dims.PROVINCE: len(provinces), dims.PARTY: len(parties)}
    out: dict[str, np.ndarray] = {}
    for name, dims_ in _LAYOUT.items():
        shape = tuple(sizes[d] for d in dims_)
        out[name] = np.zeros(shape, bool) if name in _FLAGS else np.full(shape, np.nan)
    for e, t in enumerate(tables):
        for r in t.votes:
            p, k = provinces.index(r["province"]), parties.index(r["party"])
            out["contested"][e, p, k] = True
            out["votes"][e, p, k] = np.nan if r["votes"] is None else r["votes"]
            out["voted"][e, p] = True
        for r in t.turnout:
            p = provinces.index(r["province"])
            for name, column in _TURNOUT_FIELDS.items():
                if r[column] is not None:
                    out[name][e, p] = r[column]
            if r["valid"] is not None or r["turnout_pct"] is not None:
                out["voted"][e, p] = True
        for r in t.magnitude:
            if r["seats"] is not None:
                out["magnitude"][e, provinces.index(r["province"])] = r["seats"]
        for r in t.national:
            if r["votes"] is None:
                continue
            if r["party"] == "total":
                out["national_valid"][e] = r["votes"]
            else:
                out["national_votes"][e, parties.index(r["party"])] = r["votes"]
    return out


def _election_dataset(
    spec: ForecastSpec,
    tables: list[ElectionTables],
    province_rows: list[dict[str, Any]],
    party_names: dict[str, str],
    prov: dict[str, Any],
) -> xr.Dataset:
    """Label the arrays of every election (past ones, then the target) as ElectionData."""
    provinces = [r["province"] for r in province_rows]
    parties = list(party_names)
    arrays = _result_arrays(tables, provinces, parties)
    blocs = {p.id: p.bloc for p in spec.party}
    ds = xr.Dataset(
        {name: (dims_, arrays[name]) for name, dims_ in _LAYOUT.items()},
        coords={
            dims.ELECTION: [t.election for t in tables],
            dims.PROVINCE: provinces,
            dims.PARTY: parties,
            "province_name": (dims.PROVINCE, [r["province_name"] for r in province_rows]),
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
    return ds


def _check_vote_apportionment(
    spec: ForecastSpec, target: ElectionTables, provinces: list[str]
) -> None:
    """Refuse magnitudes apportioned by each draw's votes without the target's registered voters.

    Without fixed magnitudes the registered voters are the only weights of the provinces in the
    national totals and polls (elsewhere the target's magnitudes stand in for them).
    """
    if spec.law.apportioned_by != "votes":
        return
    have = {r["province"] for r in target.turnout if r["registered"] is not None}
    missing = [p for p in provinces if p not in have]
    if missing:
        raise DataError(
            f"law.magnitude apportions the seats by votes, so the target needs registered voters "
            f"in every province; missing for {missing}",
            file=target.folder / "electorate.csv",
            field="registered",
        )


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


def _check_quota_provinces(spec: ForecastSpec, provinces: list[str]) -> None:
    """Refuse quota seats placed in a province the provinces table does not have."""
    for i, q in enumerate(spec.law.quota):
        if q.province != "national" and q.province not in provinces:
            raise SpecError(
                f"unknown province '{q.province}'{did_you_mean(q.province, provinces)}; "
                "give a province of data.provinces or 'national'",
                file=spec.source_file,
                where=f"key 'law.quota[{i}].province'",
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
