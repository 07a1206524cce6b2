"""The truth of a backtest: what actually happened in the target election, in the spec's lists.

:func:`read_truth` reads a folder of the same format as an election folder under ``data/``
(seats, optionally votes, valid votes and the government that formed), checks it cell by cell
and maps its lists onto the spec's, pooling the lists the spec does not know.
:func:`refuse_leakage` refuses a truth folder the forecast is fitted to.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.schemas import NATIONAL, PROVINCES, TURNOUT, VOTES
from forecast.data.spec import ForecastSpec
from forecast.data.tables import Column, count, read_table, text
from forecast.errors import DataError, SpecError, did_you_mean

__all__ = ["Government", "Truth", "read_truth", "refuse_leakage"]

# seats.csv: the votes table's key columns and metadata, with seats and their type.
SEATS = (
    *(c for c in VOTES if c.name in ("province", "party")),
    Column("seats", count),
    Column("seat_type", text, required=False, allow_empty=True),
    *(c for c in VOTES if c.name not in ("province", "party", "votes")),
)
NATIONAL_ROW = "national"  # seats.csv rows of seats won nationally (quota, compensatory)


@dataclass(frozen=True)
class Government:
    """The government that formed after the election (``government.toml``)."""

    members: tuple[str, ...]
    pm_party: str | None
    days: float | None


@dataclass(frozen=True)
class Truth:
    """What happened in the target election, in the spec's lists.

    ``seats`` (party,) covers the spec's lists and quota lists; ``known`` (party,) is False for
    a list whose seats the truth does not state (absent from a truth that accounts for fewer
    seats than the house, or an empty ``seats`` cell): such lists are not scored. ``complete``
    says whether the stated seats fill the house. ``district_seats``
    (province, party) and ``votes`` (province, party; NaN = not reported) cover the contested
    lists; ``valid_votes`` (province,) is NaN where unknown; ``pooled`` maps each truth list
    that is not a spec list to the pooled list that took it.
    """

    folder: Path
    seats: xr.DataArray
    known: xr.DataArray
    complete: bool
    seats_file: str
    district_seats: xr.DataArray | None
    votes: xr.DataArray | None
    valid_votes: xr.DataArray | None
    government: Government | None
    pooled: dict[str, str]


class _Lists:
    """Maps the truth's list slugs onto the spec's, pooling the unknown ones."""

    def __init__(self, spec: ForecastSpec) -> None:
        self.contested = spec.party_ids
        self.quota = list(dict.fromkeys(q.party for q in spec.law.quota))
        self.all = [*self.contested, *(q for q in self.quota if q not in self.contested)]
        pooled = [p for p in spec.law.pooled if p in self.contested]
        self.pool = pooled[0] if pooled else None
        self.pooled: dict[str, str] = {}

    def map(self, path: Path, row: Mapping[str, Any]) -> str:
        """Return the spec list of a truth row's list, pooling a list the spec does not know."""
        party = row["party"]
        if party in self.all:
            return party
        if self.pool is None:
            raise DataError(
                f"list '{party}' is not a list of the spec{did_you_mean(party, self.all)}, and the "
                f"spec has no pooled list (law.pooled) to take it; known: {', '.join(self.all)}",
                file=path,
                where=f"row {row['_row']}",
                field="party",
            )
        self.pooled[party] = self.pool
        return self.pool


def _check_province(path: Path, row: Mapping[str, Any], known: Sequence[str]) -> None:
    """Refuse a row whose province is not one of the spec's."""
    if row["province"] not in known:
        raise DataError(
            f"unknown province '{row['province']}'{did_you_mean(row['province'], known)}; "
            f"known: {', '.join(known)}",
            file=path,
            where=f"row {row['_row']}",
            field="province",
        )


def _national_seats(
    folder: Path, lists: _Lists
) -> tuple[dict[str, int], dict[str, int], set[str]] | None:
    """Seats per list from ``national.csv`` (mapped, as written, and the lists left empty)."""
    path = folder / "national.csv"
    if not path.exists():
        return None
    rows = [r for r in read_table(path, NATIONAL, key=("party",)) if r["party"] != "total"]
    gaps = {lists.map(path, r) for r in rows if r["seats"] is None}
    rows = [r for r in rows if r["seats"] is not None]
    if not rows:
        return None
    mapped: dict[str, int] = {}
    raw: dict[str, int] = {}
    for r in rows:
        party = lists.map(path, r)
        mapped[party] = mapped.get(party, 0) + r["seats"]
        raw[r["party"]] = r["seats"]
    return mapped, raw, gaps


def _check_same_seats(
    folder: Path, national: Mapping[str, int], rows: list[dict[str, Any]]
) -> None:
    """Refuse a truth whose national.csv and seats.csv disagree on a list's seats.

    A seats.csv of as many seats as national.csv must agree list by list; a shorter one (the
    published district table covers some provinces only) must not give a list more seats than
    its national total.
    """
    summed: dict[str, int] = {}
    for r in rows:
        summed[r["party"]] = summed.get(r["party"], 0) + r["seats"]
    whole = sum(summed.values()) >= sum(national.values())
    for party in sorted(set(national) | set(summed)):
        a, b = national.get(party, 0), summed.get(party, 0)
        if a != b if whole else b > a:
            raise DataError(
                f"list '{party}' has {a} seats here but its rows in seats.csv add up to {b}",
                file=folder / "national.csv",
                field="seats",
            )


def _seats(
    folder: Path, lists: _Lists, provinces: list[str], house: int
) -> tuple[dict[str, int], set[str], str, xr.DataArray | None]:
    """Read the seats per list, the lists left empty, their file, and district seats."""
    national = _national_seats(folder, lists)
    path = folder / "seats.csv"
    rows = (
        read_table(path, SEATS, key=("province", "party", "seat_type")) if path.exists() else None
    )
    if national is None and rows is None:
        raise DataError(
            "the truth folder needs the seats won: national.csv with a 'seats' column, or "
            "seats.csv",
            file=folder,
        )
    district = None
    if rows is not None:
        parties = lists.contested
        district = xr.DataArray(
            np.zeros((len(provinces), len(parties)), dtype=np.int64),
            dims=(dims.PROVINCE, dims.PARTY),
            coords={dims.PROVINCE: provinces, dims.PARTY: parties},
        )
        summed: dict[str, int] = {}
        for r in rows:
            if r["province"] != NATIONAL_ROW:
                _check_province(path, r, provinces)
            party = lists.map(path, r)
            summed[party] = summed.get(party, 0) + r["seats"]
            if r["province"] != NATIONAL_ROW and r["seat_type"] in (None, "district"):
                if party not in parties:
                    raise DataError(
                        f"quota list '{party}' holds district seats; give its seats with "
                        "seat_type 'quota'",
                        file=path,
                        where=f"row {r['_row']}",
                        field="seat_type",
                    )
                district.loc[{dims.PROVINCE: r["province"], dims.PARTY: party}] += r["seats"]
        if national is not None:
            _check_same_seats(folder, national[1], rows)
    if national is not None:
        seats, gaps, source = national[0], national[2], "national.csv"
    else:
        seats, gaps, source = summed, set(), "seats.csv"
    total = sum(seats.values())
    if total > house:
        raise DataError(
            f"the lists' seats add up to {total}, more than the house of {house} in the spec",
            file=folder / source,
            field="seats",
        )
    return seats, gaps, source, district


def _known(
    seats: Mapping[str, int], gaps: set[str], lists: _Lists, house: int
) -> tuple[xr.DataArray, bool]:
    """Mark the lists whose seats the truth states, and whether its seats fill the house.

    A list with a row is known; so is an absent list when the stated seats fill the house (it
    won none). An empty seats cell is a gap, never a zero.
    """
    complete = sum(seats.values()) == house
    known = [(p in seats or complete) and p not in gaps for p in lists.all]
    return xr.DataArray(known, dims=dims.PARTY, coords={dims.PARTY: lists.all}), complete


def _votes(
    folder: Path, lists: _Lists, provinces: list[str]
) -> tuple[xr.DataArray | None, xr.DataArray | None]:
    """Read votes (province, party) and valid votes (province), when there is a votes.csv."""
    path = folder / "votes.csv"
    if not path.exists():
        return None, None
    parties = lists.contested
    votes = np.full((len(provinces), len(parties)), np.nan)
    last_row = {}
    for r in read_table(path, VOTES, key=("province", "party")):
        _check_province(path, r, provinces)
        party = lists.map(path, r)
        if party not in parties or r["votes"] is None:
            continue  # quota lists stand in separate contests; an empty cell is a gap
        i, k = provinces.index(r["province"]), parties.index(party)
        votes[i, k] = np.nansum([votes[i, k], r["votes"]])
        last_row[r["province"]] = r["_row"]
    valid = np.full(len(provinces), np.nan)
    turnout = folder / "turnout.csv"
    if turnout.exists():
        for r in read_table(turnout, TURNOUT, key=("province",)):
            _check_province(turnout, r, provinces)
            if r["valid"] is not None:
                valid[provinces.index(r["province"])] = r["valid"]
    for i, province in enumerate(provinces):
        total = np.nansum(votes[i])
        if np.isfinite(valid[i]) and total > valid[i]:
            raise DataError(
                f"list votes in {province} add up to {total:.0f}, more than the "
                f"{valid[i]:.0f} valid votes in turnout.csv",
                file=path,
                where=f"row {last_row[province]}",
                field="votes",
            )
    coords = {dims.PROVINCE: provinces, dims.PARTY: parties}
    return (
        xr.DataArray(votes, dims=(dims.PROVINCE, dims.PARTY), coords=coords),
        xr.DataArray(valid, dims=dims.PROVINCE, coords={dims.PROVINCE: provinces}),
    )


def _government(folder: Path, lists: _Lists) -> Government | None:
    """Read ``government.toml`` when there is one, checking its lists and days."""
    path = folder / "government.toml"
    if not path.exists():
        return None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid TOML: {exc}", file=path) from None
    members = raw.get("members")
    if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
        raise DataError(
            'expected a non-empty list of list slugs, e.g. members = ["a", "b"]',
            file=path,
            where="key 'members'",
        )
    pm = raw.get("pm_party")
    for key, names in (("members", members), ("pm_party", [pm] if pm is not None else [])):
        for name in names:
            if not isinstance(name, str) or name not in lists.all:
                raise DataError(
                    f"unknown list '{name}'{did_you_mean(name, lists.all)}; known: "
                    f"{', '.join(lists.all)}",
                    file=path,
                    where=f"key '{key}'",
                )
    days = raw.get("days")
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int | float) or days < 0
    ):
        raise DataError(
            f"expected a number of days >= 0, got {days!r}", file=path, where="key 'days'"
        )
    return Government(tuple(dict.fromkeys(members)), pm, None if days is None else float(days))


def read_truth(folder: Path, spec: ForecastSpec) -> Truth:
    """Read the actual results of the target election from an election folder.

    Parameters
    ----------
    folder : Path
        The truth folder: ``national.csv`` (``seats``) and/or ``seats.csv``
        (``province,party,seats[,seat_type]``, province ``national`` for seats won nationally);
        optionally ``votes.csv``, ``turnout.csv`` (``valid``) and ``government.toml``
        (``members``, ``pm_party``, ``days``).
    spec : ForecastSpec
        Its lists, quota lists, pooled list, provinces and house size.

    Returns
    -------
    Truth
        Actual seats per list (``national.csv`` when it has seats, else the sum of
        ``seats.csv``), which of them are known, seats and votes by province when given, and
        the government.

    Raises
    ------
    DataError
        Naming the file, row or key, and field: unknown provinces, lists that are not spec
        lists when the spec has no pooled list, unknown lists in ``government.toml``, seats
        over the house size, ``national.csv`` and ``seats.csv`` disagreeing, malformed cells.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("truth folder not found", file=folder)
    rows = read_table(spec.resolve(spec.data.provinces), PROVINCES, key=("province",))
    provinces = [r["province"] for r in rows]
    lists = _Lists(spec)
    house = spec.law.house_size
    stated, gaps, source, district = _seats(folder, lists, provinces, house)
    known, complete = _known(stated, gaps, lists, house)
    seats = xr.DataArray(
        [stated.get(p, 0) for p in lists.all], dims=dims.PARTY, coords={dims.PARTY: lists.all}
    )
    votes, valid = _votes(folder, lists, provinces)
    government = _government(folder, lists)
    return Truth(
        folder, seats, known, complete, source, district, votes, valid, government, lists.pooled
    )


def refuse_leakage(spec: ForecastSpec, truth_dir: Path) -> None:
    """Refuse a truth folder that the forecast is fitted to (one of the spec's evidence folders)."""
    truth = Path(truth_dir).resolve()
    for i, e in enumerate(spec.evidence):
        if spec.resolve(e.path) == truth:
            raise SpecError(
                f"evidence election '{e.id}' is the truth folder {truth_dir}: the forecast would "
                "be scored against results it was fitted to; remove it from the evidence or "
                "choose the target election's results",
                file=spec.source_file,
                where=f"key 'evidence[{i}].path'",
            )
