"""Published polls of the target election (``data.polls``) and the regions they may be about.

A polls table has one row per poll and list: who polled (``pollster``, a slug), when
(``field_start``, ``field_end``, ISO dates), how many (``sample_size``), where (``scope``:
``national``, a province slug, or a region of ``data.regions``), the list (``party``, a target
list slug) and its share of the scope's valid votes in percent, as published (``share``), with
its ``source``. Lists a poll does not report are left out (their shares are not zero). A poll is
pre-election evidence: a row fielded on or after election day is refused, and rows fielded after
the forecast's day (``polls.as_of``) are kept out by :func:`polls_before`.

A regions table maps each region slug to its provinces (one row per province).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from forecast.data.schemas import PROVINCES
from forecast.data.spec import ForecastSpec
from forecast.data.tables import Column, read_sidecar, read_table, slug, text
from forecast.data.tables import count as _count
from forecast.data.tables import percent as _percent
from forecast.errors import DataError, SpecError, did_you_mean

__all__ = [
    "NATIONAL",
    "POLLS",
    "REGIONS",
    "PollTable",
    "poll_files",
    "polls_as_of",
    "polls_before",
    "read_polls",
    "read_regions",
    "scope_provinces",
]

NATIONAL = "national"
# Shares of one poll may add up to a little over 100 when each was rounded (judgement: 0.5 point).
ROUNDING = 0.5


def iso_date(cell: str) -> dt.date:
    """Return a calendar date written as YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(cell)
    except ValueError:
        raise ValueError("expected a date written YYYY-MM-DD") from None


_NOTES = (
    Column("commissioner", text, required=False, allow_empty=True),
    Column("notes", text, required=False, allow_empty=True),
)
POLLS = (
    Column("pollster", slug),
    Column("field_start", iso_date),
    Column("field_end", iso_date),
    Column("sample_size", _count, allow_empty=True),
    Column("scope", slug),
    Column("party", slug),
    Column("share", _percent),
    Column("source", text),
    *_NOTES,
)
REGIONS = (
    Column("region", slug),
    Column("region_name", text),
    Column("province", slug),
    Column("notes", text, required=False, allow_empty=True),
)
_POLL_KEY = ("pollster", "field_start", "field_end", "scope")


@dataclass(frozen=True)
class PollTable:
    """Validated poll rows as arrays, one entry per poll and list (``row``: the file's row)."""

    file: Path
    pollster: np.ndarray
    field_start: np.ndarray
    field_end: np.ndarray
    sample_size: np.ndarray
    scope: np.ndarray
    party: np.ndarray
    share: np.ndarray
    row: np.ndarray

    def __len__(self) -> int:
        """Return the number of poll rows."""
        return len(self.row)

    def select(self, keep: np.ndarray) -> PollTable:
        """Return the rows where ``keep`` is True."""
        fields = ("pollster", "field_start", "field_end", "sample_size", "scope", "party")
        kept = {f: getattr(self, f)[keep] for f in (*fields, "share", "row")}
        return PollTable(file=self.file, **kept)

    def days_before(self, election: dt.date) -> np.ndarray:
        """Days from each row's fieldwork midpoint to election day."""
        mid = [s + (e - s) / 2 for s, e in zip(self.field_start, self.field_end, strict=True)]
        return np.array([(election - m).total_seconds() / 86400.0 for m in mid])


def _provinces(spec: ForecastSpec) -> list[str]:
    return [r["province"] for r in read_table(spec.resolve(spec.data.provinces), PROVINCES)]


def read_regions(spec: ForecastSpec, provinces: list[str] | None = None) -> dict[str, list[str]]:
    """Read ``data.regions``: region slug -> its provinces (empty without a regions table)."""
    if spec.data.regions is None:
        return {}
    path = spec.resolve(spec.data.regions)
    rows = read_table(path, REGIONS, key=("region", "province"))
    read_sidecar(path)
    known = provinces if provinces is not None else _provinces(spec)
    regions: dict[str, list[str]] = {}
    for r in rows:
        where = f"row {r['_row']}"
        if r["province"] not in known:
            hint = did_you_mean(r["province"], known)
            msg = f"unknown province '{r['province']}'{hint}"
            raise DataError(msg, file=path, where=where, field="province")
        if r["region"] in known or r["region"] == NATIONAL:
            msg = f"region '{r['region']}' is also a province or '{NATIONAL}': name it apart"
            raise DataError(msg, file=path, where=where, field="region")
        regions.setdefault(r["region"], []).append(r["province"])
    return regions


def scope_provinces(spec: ForecastSpec, provinces: list[str]) -> dict[str, list[str]]:
    """Every scope a poll may have: ``national`` (all provinces), each province, each region."""
    scopes = {NATIONAL: list(provinces)} | {p: [p] for p in provinces}
    return scopes | read_regions(spec, provinces)


def read_polls(spec: ForecastSpec, provinces: list[str] | None = None) -> PollTable | None:
    """Read and check ``data.polls`` (None when the spec names no polls table).

    Parameters
    ----------
    spec : ForecastSpec
        Its target lists, election date, provinces and regions define what a row may name.
    provinces : list of str, optional
        The provinces' slugs (read from ``data.provinces`` when not given).

    Returns
    -------
    PollTable or None
        Every row of the table, before the ``as_of`` cut (see :func:`polls_before`).

    Raises
    ------
    DataError
        Naming the file, the row and the field of the first bad cell.
    """
    if spec.data.polls is None:
        return None
    path = spec.resolve(spec.data.polls)
    rows = read_table(path, POLLS, key=(*_POLL_KEY, "party"))
    read_sidecar(path)
    scopes = scope_provinces(spec, provinces if provinces is not None else _provinces(spec))
    for r in rows:
        _check_row(spec, path, r, scopes)
    _check_polls(path, rows)
    columns = ("pollster", "field_start", "field_end", "sample_size", "scope", "party")
    arrays = {c: np.array([r[c] for r in rows], dtype=object) for c in columns}
    arrays["sample_size"] = arrays["sample_size"].astype(int)
    share = np.array([r["share"] / 100.0 for r in rows])
    return PollTable(file=path, share=share, row=np.array([r["_row"] for r in rows]), **arrays)


def _check_row(spec: ForecastSpec, path: Path, r: dict[str, Any], scopes: dict) -> None:
    """Check one row against the spec; fill an empty sample size from the spec's default."""
    where = f"row {r['_row']}"

    def fail(message: str, field: str) -> None:
        raise DataError(message, file=path, where=where, field=field)

    if r["field_start"] > r["field_end"]:
        fail(
            f"fieldwork starts {r['field_start']}, after it ends ({r['field_end']})", "field_start"
        )
    if r["field_end"] >= spec.election.date:
        fail(
            f"fieldwork ends {r['field_end']}, on or after election day {spec.election.date}: "
            "only polls fielded before the election are evidence",
            "field_end",
        )
    if r["scope"] not in scopes:
        fail(f"unknown scope '{r['scope']}'{did_you_mean(r['scope'], scopes)}", "scope")
    if r["party"] not in spec.party_ids:
        fail(
            f"'{r['party']}' is not a target list{did_you_mean(r['party'], spec.party_ids)}",
            "party",
        )
    if not 0.0 < r["share"] < 100.0:
        fail(f"a share of {r['share']:g}% has no logit: leave the list out of the poll", "share")
    if r["sample_size"] is None:
        if spec.polls.default_sample_size is None:
            fail(
                "sample size is empty: give it, or polls.default_sample_size in the spec",
                "sample_size",
            )
        r["sample_size"] = spec.polls.default_sample_size
    if r["sample_size"] < 1:
        fail("a poll needs a sample size of at least 1", "sample_size")
    if not r["source"].strip():
        fail("every poll needs its source", "source")


def _check_polls(path: Path, rows: list[dict[str, Any]]) -> None:
    """Rows of one poll share its sample size, and its shares add up to at most 100."""
    polls: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        polls.setdefault(tuple(r[k] for k in _POLL_KEY), []).append(r)
    for poll in polls.values():
        sizes = {r["sample_size"] for r in poll}
        if len(sizes) > 1:
            raise DataError(
                "rows of one poll give different sample sizes: "
                + ", ".join(map(str, sorted(sizes))),
                file=path,
                where=f"row {poll[-1]['_row']}",
                field="sample_size",
            )
        total = sum(r["share"] for r in poll)
        if total > 100.0 + ROUNDING:
            raise DataError(
                f"the shares of this poll add up to {total:.1f}%, over 100",
                file=path,
                where=f"row {poll[-1]['_row']}",
                field="share",
            )


def polls_as_of(spec: ForecastSpec) -> dt.date:
    """Return the day the forecast is made, never after the spec's information cut-off.

    ``polls.as_of``, else the election day less ``polls.lead_days``, else the cut-off.
    """
    settings = spec.polls
    if settings.as_of is not None:
        as_of = settings.as_of
    elif settings.lead_days is not None:
        as_of = spec.election.date - dt.timedelta(days=settings.lead_days)
    else:
        as_of = spec.election.information_cutoff
    if as_of > spec.election.information_cutoff:
        raise SpecError(
            f"polls are used up to {as_of}, after the information cut-off "
            f"{spec.election.information_cutoff}: the forecast may not know them",
            file=spec.source_file,
            where="key 'polls.as_of'",
        )
    return as_of


def polls_before(table: PollTable, spec: ForecastSpec) -> PollTable:
    """Return the rows whose fieldwork ended by the forecast's day (:func:`polls_as_of`)."""
    as_of = polls_as_of(spec)
    return table.select(np.array([end <= as_of for end in table.field_end], dtype=bool))


def poll_files(spec: ForecastSpec) -> list[Path]:
    """Return the polls and regions tables the spec names, with their sidecars (for data hashes)."""
    paths = [spec.resolve(p) for p in (spec.data.polls, spec.data.regions) if p is not None]
    return [f for p in paths for f in (p, p.with_name(p.stem + ".source.toml"))]
