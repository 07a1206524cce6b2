"""ParlGov's post-election government formations: the shipped table, how it was cut, and its actors.

``data/parlgov/formations.csv`` holds, for every post-war formation after an election in the
parliamentary democracies where coalitions are the rule, one row per party in the new parliament
(ParlGov's ``view_cabinet``: seats, left-right position, whether the party entered the cabinet and
whether it held the premiership), plus whether the party sat in the cabinet in office on election
day. ``cut_formations`` makes that table from ParlGov's own file; ``formation_actors`` reads it
into the parties that bargain: parties (not ParlGov's "no party affiliation", "one seat" and
"others" rows) with at least ``min_share`` of the seats, the ``max_actors`` largest.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np
import xarray as xr

from forecast.data.tables import Column, Row, count, read_table, text, write_atomic
from forecast.dims import PARTY

__all__ = [
    "EXCLUDED_COUNTRIES",
    "FORMATIONS",
    "FORMATION",
    "cut_formations",
    "formation_actors",
    "read_formations",
    "write_formations",
]

FORMATION = "formation"
FORMATIONS_CSV = Path(__file__).resolve().parents[2] / "data" / "parlgov" / "formations.csv"
FIRST_ELECTION = "1945-01-01"
# Countries whose cabinets are not bargained among parties in parliament: single-member or
# two-round majoritarian systems (Australia, Canada, France, the United Kingdom, Japan's SNTV and
# mixed-majoritarian systems), a collegial executive fixed by convention (Switzerland) and a
# presidential one (Cyprus). New Zealand counts from its first MMP election (1996).
EXCLUDED_COUNTRIES = ("AUS", "CAN", "CHE", "CYP", "FRA", "GBR", "JPN")
NZL_FIRST_MMP = "1996-10-12"
# ParlGov's rows for members without a party, single-seat lists and "others": never an actor.
PSEUDO_PARTIES = ("none", "one-seat", "etc", "d-droite", "d-gauche")


def _flag(cell: str) -> bool:
    """Parse ParlGov's 0/1 flags."""
    if cell not in ("0", "1"):
        raise ValueError("expected 0 or 1")
    return cell == "1"


def _date(cell: str) -> dt.date:
    """Parse an ISO date such as 2010-03-07."""
    return dt.date.fromisoformat(cell)


def _position(cell: str) -> float:
    """Parse a left-right position on ParlGov's 0-10 scale."""
    value = float(cell)
    if not 0.0 <= value <= 10.0:
        raise ValueError("expected a position between 0 and 10")
    return value


FORMATIONS = (
    Column("country", text),
    Column("election_id", count),
    Column("election_date", _date),
    Column("cabinet_id", count),
    Column("cabinet_name", text),
    Column("start_date", _date),
    Column("party_id", count),
    Column("party", text),
    Column("seats", count),
    Column("seats_total", count),
    Column("left_right", _position, allow_empty=True),
    Column("cabinet_party", _flag),
    Column("prime_minister", _flag),
    Column("previous_cabinet_party", _flag, allow_empty=True),
)
_RAW_COLUMNS = ("cabinet_id", "cabinet_name", "start_date", "election_id", "election_date")


def _first_cabinets(cabinets: dict[str, list[dict[str, str]]]) -> dict[str, tuple[str, str]]:
    """Per election: (the cabinet in office on election day, the first non-caretaker after it)."""
    by_election: dict[str, list[dict[str, str]]] = defaultdict(list)
    for rows in cabinets.values():
        by_election[rows[0]["election_id"]].append(rows[0])
    out = {}
    for election, heads in by_election.items():
        heads.sort(key=lambda r: (r["start_date"], int(r["cabinet_id"])))
        formed = next((r for r in heads if r["caretaker"] == "0"), None)
        if formed is not None:
            out[election] = (heads[0]["previous_cabinet_id"], formed["cabinet_id"])
    return out


def _kept(row: dict[str, str]) -> bool:
    """Whether a formation's country and date are in the table (see the module constants)."""
    country, date = row["country_name_short"], row["election_date"]
    if country in EXCLUDED_COUNTRIES or date < FIRST_ELECTION:
        return False
    return not (country == "NZL" and date < NZL_FIRST_MMP)


def cut_formations(view_cabinet: Path) -> list[dict[str, str]]:
    """Cut ParlGov's ``view_cabinet.csv`` down to the rows of ``data/parlgov/formations.csv``.

    Parameters
    ----------
    view_cabinet : Path
        ParlGov's cabinet view: one row per cabinet and party in parliament.

    Returns
    -------
    list of dict
        The rows, in the columns of ``FORMATIONS``, by country, election date and seats.
    """
    with view_cabinet.open(encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    cabinets: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in raw:
        cabinets[r["cabinet_id"]].append(r)
    out = []
    for previous, formed in _first_cabinets(cabinets).values():
        rows = cabinets[formed]
        if not _kept(rows[0]):
            continue
        before = {r["party_id"] for r in cabinets.get(previous, []) if r["cabinet_party"] == "1"}
        for r in rows:
            out.append(
                {
                    "country": r["country_name_short"],
                    **{k: r[k] for k in _RAW_COLUMNS},
                    "party_id": r["party_id"],
                    "party": r["party_name_short"],
                    "seats": r["seats"],
                    "seats_total": r["election_seats_total"],
                    "left_right": r["left_right"],
                    "cabinet_party": r["cabinet_party"],
                    "prime_minister": r["prime_minister"],
                    "previous_cabinet_party": (
                        ("1" if r["party_id"] in before else "0") if previous in cabinets else ""
                    ),
                }
            )
    out.sort(key=lambda r: (r["country"], r["election_date"], -int(r["seats"]), r["party"]))
    return [{c.name: r[c.name] for c in FORMATIONS} for r in out]


def write_formations(view_cabinet: Path, out: Path = FORMATIONS_CSV) -> Path:
    """Write ``cut_formations(view_cabinet)`` to ``out`` atomically: the shipped table's recipe."""
    rows = cut_formations(view_cabinet)

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=[c.name for c in FORMATIONS])
            writer.writeheader()
            writer.writerows(rows)

    return write_atomic(out, write)


def read_formations(path: Path = FORMATIONS_CSV) -> list[Row]:
    """Read ``formations.csv`` strictly (the ``FORMATIONS`` columns, one row per cabinet, party)."""
    return read_table(path, FORMATIONS, key=("cabinet_id", "party_id"))


def _actor_block(rows: list[Row], min_share: float, max_actors: int) -> dict[str, object] | None:
    """One formation's actors (largest first) and facts; None when no cabinet party is an actor."""
    total = rows[0]["seats_total"]
    parties = [r for r in rows if r["party"] not in PSEUDO_PARTIES and r["seats"] > 0]
    parties = [r for r in parties if r["seats"] >= min_share * total]
    parties = sorted(parties, key=lambda r: (-r["seats"], r["party_id"]))[:max_actors]
    if not any(r["cabinet_party"] for r in parties):
        return None
    head = rows[0]
    return {
        "parties": parties,
        "seats_total": total,
        "days": (head["start_date"] - head["election_date"]).days,
        "dropped_cabinet_parties": sum(r["cabinet_party"] for r in rows)
        - sum(r["cabinet_party"] for r in parties),
        "has_previous": head["previous_cabinet_party"] is not None,
        "label": f"{head['country']} {head['election_date'].isoformat()} {head['cabinet_name']}",
        "cabinet_id": head["cabinet_id"],
    }


def formation_actors(
    rows: list[Row], *, min_share: float = 0.01, max_actors: int = 12
) -> xr.Dataset:
    """Gather each formation's bargaining parties into padded arrays.

    Parameters
    ----------
    rows : list of dict
        ``read_formations`` rows (or rows of the same columns).
    min_share : float
        A party is an actor with at least this share of the seats.
    max_actors : int
        At most this many actors per formation, the largest (ties: lower ParlGov party id).

    Returns
    -------
    xr.Dataset
        Dims (formation, party), ``party`` an actor slot ordered by seats (padding: ``present``
        false, 0 seats): ``party_name`` (ParlGov's short name), ``seats``, ``left_right`` (NaN
        when unplaced), ``in_cabinet``, ``in_previous``, ``present``; and (formation,)
        ``seats_total``, ``days``, ``has_previous``, ``dropped_cabinet_parties`` (cabinet
        parties that are no actor), coordinate ``formation`` (cabinet id) and ``label``.
        Formations where no cabinet party is an actor are left out; ``attrs["n_left_out"]``
        counts them.
    """
    grouped: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        grouped[r["cabinet_id"]].append(r)
    blocks = [_actor_block(g, min_share, max_actors) for g in grouped.values()]
    kept = [b for b in blocks if b is not None]
    width = max(len(b["parties"]) for b in kept)

    def padded(key: str, fill: float, dtype: type) -> np.ndarray:
        out = np.full((len(kept), width), fill, dtype=dtype)
        for i, b in enumerate(kept):
            values = [fill if p[key] is None else p[key] for p in b["parties"]]
            out[i, : len(values)] = values
        return out

    present = padded("seats", 0, np.int64) > 0
    data = {
        "party_name": padded("party", "", object).astype(str),
        "seats": padded("seats", 0, np.int64),
        "left_right": padded("left_right", np.nan, np.float64),
        "in_cabinet": padded("cabinet_party", False, bool),
        "in_previous": padded("previous_cabinet_party", False, bool),
        "present": present,
    }
    facts = ("seats_total", "days", "has_previous", "dropped_cabinet_parties")
    return xr.Dataset(
        {k: ((FORMATION, PARTY), v) for k, v in data.items()}
        | {k: ((FORMATION,), np.array([b[k] for b in kept])) for k in facts},
        coords={
            FORMATION: [b["cabinet_id"] for b in kept],
            "label": ((FORMATION,), [b["label"] for b in kept]),
        },
        attrs={"n_left_out": len(blocks) - len(kept), "min_share": min_share},
    )
