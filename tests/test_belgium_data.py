"""The Belgium data folder checked as data: schemas, sums, provenance, and the spec that reads it.

``forecast check-data`` checks the tables a spec reads through the engine's readers (schemas,
known provinces and lists, list votes within valid votes). This file runs those readers on every
election folder of ``data/belgium`` and adds what they do not check: each constituency's seats add
up to its magnitude (and every election to the 150 seats of the Chamber, counting the
Brussels-Halle-Vilvoorde and Leuven constituencies of 2007 and 2010), list votes add up to the
valid votes, every CSV has a sidecar whose sources are registered, every ``source_id`` cell is
registered, and each government names lists of its election. Each check is shown to refuse a
broken copy of the real files. No fitting here.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.data.readers import read_election_folder
from forecast.data.tables import Column, count, read_sidecar, read_table, slug, text
from forecast.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
BELGIUM = ROOT / "data" / "belgium"
SPEC = ROOT / "models" / "belgium_2019.toml"
ELECTIONS = ("2007_federal", "2010_federal", "2014_federal", "2019_federal")
HOUSE = 150

SEATS = (
    Column("province", slug),
    Column("party", slug),
    Column("seats", count),
    Column("seat_type", text, required=False, allow_empty=True),
    Column("provenance", text, required=False, allow_empty=True),
    Column("source_id", text, required=False, allow_empty=True),
    Column("notes", text, required=False, allow_empty=True),
)
OLD_DISTRICTS = (
    Column("district", slug),
    Column("party", slug),
    Column("votes", count),
    Column("seats", count),
    Column("provenance", text),
    Column("source_id", text),
    Column("notes", text, allow_empty=True),
)
# Seats of the 2003-2012 constituencies outside the 2014 geography (FPSI_SEATS).
OLD_MAGNITUDE = {"bhv": 22, "leuven": 7}


def split_ids(cell: str | None) -> list[str]:
    return [s.strip() for s in (cell or "").split(";") if s.strip()]


def registered(registry: Path = BELGIUM / "sources.csv") -> set[str]:
    """Return the source ids of ``sources.csv``, refusing a duplicate id."""
    with registry.open(encoding="utf-8", newline="") as fh:
        ids = [row["source_id"] for row in csv.DictReader(fh)]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DataError(f"source ids registered twice: {', '.join(dup)}", file=registry)
    return set(ids)


def provinces(root: Path = BELGIUM) -> list[str]:
    return [r["province"] for r in read_table(root / "provinces.csv", _PROVINCE_COLUMNS)]


_PROVINCE_COLUMNS = (
    Column("province", slug),
    Column("province_name", text),
    Column("iso_3166_2", text, required=False, allow_empty=True),
    Column("aliases", text, required=False, allow_empty=True),
    Column("tile_row", count, required=False, allow_empty=True),
    Column("tile_col", count, required=False, allow_empty=True),
)


def check_provenance(root: Path, known: set[str]) -> None:
    """Raise ``DataError`` unless every CSV has a sidecar and names only registered sources."""
    for path in sorted(root.rglob("*.csv")):
        meta = read_sidecar(path)
        unknown = sorted(set(meta["sources"]) - known)
        if unknown:
            raise DataError(f"sidecar sources not registered: {', '.join(unknown)}", file=path)
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if "source_id" not in (reader.fieldnames or []) or path.name == "sources.csv":
                continue
            for lineno, row in enumerate(reader, start=2):
                for sid in split_ids(row["source_id"]):
                    if sid not in known:
                        raise DataError(
                            f"source id '{sid}' is not registered in sources.csv",
                            file=path,
                            where=f"row {lineno}",
                            field="source_id",
                        )


def check_election(folder: Path, provs: list[str], known: set[str]) -> dict[str, int]:
    """Read one election folder with the engine's readers and check its sums.

    Returns the seats of each list nationally. Raises ``DataError`` naming the file, row and
    field where the folder breaks a rule.
    """
    tables = read_election_folder(folder, folder.name, provs, root=ROOT)
    parties = set(tables.parties)
    magnitude = {r["province"]: r["seats"] for r in tables.magnitude}
    valid = {r["province"]: r["valid"] for r in tables.turnout}
    votes: dict[str, int] = {}
    for r in tables.votes:
        votes[r["province"]] = votes.get(r["province"], 0) + r["votes"]
    for prov, total in votes.items():
        if valid.get(prov) is not None and total != valid[prov]:
            raise DataError(
                f"list votes in {prov} add up to {total}, not the {valid[prov]} valid votes "
                "(every valid ballot is a vote for one list)",
                file=folder / "turnout.csv",
                field="valid",
            )
    path = folder / "seats.csv"
    seats = read_table(path, SEATS, key=("province", "party"))
    won: dict[str, int] = {}
    by_list: dict[str, int] = {}
    for r in seats:
        where = f"row {r['_row']}"
        if r["province"] not in provs:
            raise DataError(f"unknown province '{r['province']}'", file=path, where=where)
        if r["party"] not in parties:
            raise DataError(f"list '{r['party']}' not in parties.csv", file=path, where=where)
        won[r["province"]] = won.get(r["province"], 0) + r["seats"]
        by_list[r["party"]] = by_list.get(r["party"], 0) + r["seats"]
    for prov, seats_won in won.items():
        if magnitude.get(prov) != seats_won:
            raise DataError(
                f"seats won in {prov} add up to {seats_won}, magnitude is {magnitude.get(prov)}",
                file=path,
                field="seats",
            )
    if (folder / "old_districts.csv").exists():
        _old_districts(folder / "old_districts.csv", parties, by_list)
    if sum(by_list.values()) != HOUSE:
        raise DataError(f"seats add up to {sum(by_list.values())}, not {HOUSE}", file=path)
    national = {r["party"]: r["votes"] for r in tables.national}
    if national.get("total") is None or national["total"] < sum(votes.values()):
        raise DataError("national total below the constituencies' votes", file=folder)
    _government(folder / "government.toml", parties)
    return by_list


def _old_districts(path: Path, parties: set[str], by_list: dict[str, int]) -> None:
    rows = read_table(path, OLD_DISTRICTS, key=("district", "party"))
    seats = {d: 0 for d in OLD_MAGNITUDE}
    for r in rows:
        if r["district"] not in OLD_MAGNITUDE or r["party"] not in parties:
            raise DataError("unknown district or list", file=path, where=f"row {r['_row']}")
        seats[r["district"]] += r["seats"]
        by_list[r["party"]] = by_list.get(r["party"], 0) + r["seats"]
    for district, n in seats.items():
        if n != OLD_MAGNITUDE[district]:
            raise DataError(f"{district} seats add up to {n}", file=path, field="seats")


def _government(path: Path, parties: set[str]) -> None:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    read_sidecar(path)
    for name in [*raw["members"], raw["pm_party"]]:
        if name not in parties:
            raise DataError(f"unknown list '{name}'", file=path, where="key 'members'")
    days = (raw["approved_date"] - raw["election_date"]).days
    if not isinstance(raw["approved_date"], dt.date) or days != raw["days"]:
        raise DataError(f"days {raw['days']} but the dates give {days}", file=path)


# ---- the real files ---------------------------------------------------------------------


@pytest.mark.parametrize("election", ELECTIONS)
def test_election_folder_passes_every_check(election):
    seats = check_election(BELGIUM / election, provinces(), registered())
    assert sum(seats.values()) == HOUSE


def test_2019_seats_by_list():
    seats = check_election(BELGIUM / "2019_federal", provinces(), registered())
    expected = {"n_va": 25, "vlaams_belang": 18, "ps": 20, "mr": 14, "ecolo": 13, "pvda_ptb": 12}
    assert {k: seats[k] for k in expected} == expected


def test_every_csv_has_a_sidecar_and_registered_sources():
    check_provenance(BELGIUM, registered())


def test_source_registry_sidecar_lists_every_id():
    assert set(read_sidecar(BELGIUM / "sources.csv")["sources"]) == registered()


def test_spec_sources_are_registered():
    body = SPEC.read_text(encoding="utf-8")
    for sid in ("FPSI_SEATS", "FLANDERSTODAY_CORDON", "CFI_GDP", "IPU10", "PARLGOV_DEV_2023"):
        assert sid in body and sid in registered()


def test_check_data_passes_on_the_belgium_spec():
    result = CliRunner().invoke(app, ["check-data", str(SPEC), "-q"])
    assert result.exit_code == 0, result.output


# ---- the checks refuse broken copies -----------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    """Copy data/belgium into ``tmp_path`` (the readers resolve paths against ROOT)."""
    target = tmp_path / "belgium"
    shutil.copytree(BELGIUM, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    body = path.read_text(encoding="utf-8")
    assert old in body, old
    path.write_text(body.replace(old, new, 1), encoding="utf-8")


BROKEN = {
    "votes above valid": (
        "2014_federal/votes.csv",
        "antwerp,n_va,449531,",
        "antwerp,n_va,949531,",
        "more than the",
    ),
    "votes below valid": (
        "2014_federal/votes.csv",
        "antwerp,n_va,449531,",
        "antwerp,n_va,449530,",
        "not the",
    ),
    "unknown province": (
        "2014_federal/votes.csv",
        "antwerp,n_va,",
        "antwerpen,n_va,",
        "unknown province",
    ),
    "unknown list": ("2014_federal/votes.csv", "antwerp,n_va,", "antwerp,nva,", "unknown list"),
    "votes written as NA": (
        "2014_federal/votes.csv",
        "antwerp,n_va,449531,",
        "antwerp,n_va,NA,",
        "votes",
    ),
    "seats off the magnitude": (
        "2014_federal/seats.csv",
        "antwerp,n_va,11,",
        "antwerp,n_va,12,",
        "magnitude is 24",
    ),
    "old district seats": (
        "2010_federal/old_districts.csv",
        "bhv,ps,139660,4,",
        "bhv,ps,139660,5,",
        "bhv seats add up to 23",
    ),
    "unregistered source": (
        "2014_federal/seats.csv",
        ",RESULTATSELECTION,",
        ",RESULTS_X,",
        "'RESULTS_X' is not registered",
    ),
    "government list": (
        "2019_federal/government.toml",
        '"open_vld", "mr"',
        '"open_vld", "mrr"',
        "unknown list 'mrr'",
    ),
    "government days": (
        "2019_federal/government.toml",
        "days = 494",
        "days = 493",
        "the dates give 494",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_copies_are_refused(case, tmp_path):
    rel, old, new, fragment = BROKEN[case]
    root = _copy(tmp_path)
    _edit(root / rel, old, new)
    known = registered(root / "sources.csv")
    with pytest.raises(DataError) as err:
        check_provenance(root, known)
        for election in ELECTIONS:
            check_election(root / election, provinces(root), known)
    assert fragment in str(err.value), str(err.value)


def test_missing_sidecar_is_refused(tmp_path):
    root = _copy(tmp_path)
    (root / "2014_federal" / "votes.source.toml").unlink()
    with pytest.raises(DataError, match="sidecar"):
        check_provenance(root, registered(root / "sources.csv"))


def test_duplicate_registered_source_is_refused(tmp_path):
    registry = tmp_path / "sources.csv"
    body = (BELGIUM / "sources.csv").read_text(encoding="utf-8")
    registry.write_text(body + body.splitlines()[1] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="registered twice"):
        registered(registry)
