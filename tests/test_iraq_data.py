"""The Iraq data folder checked as data: provenance of every table, and the tables no reader checks.

``forecast check-data`` checks the tables a spec reads. This file adds what it does not: every CSV
under ``data/iraq`` has a sidecar, every source id is registered in ``sources.csv``, and
``community_shares.csv`` and its companion ``community_share_bounds.csv`` have a schema, shares
in [0, 1], ``low <= mid <= high``, a mid on every governorate row of the first and none in the
second, mids adding up to at most 1 per governorate (within their rounding) and a mid for every
governorate. Each check is shown to refuse a broken copy of the real file.
"""

from __future__ import annotations

import csv
import shutil
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.data.tables import Column, read_sidecar, read_table, share, slug, text
from forecast.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
IRAQ = ROOT / "data" / "iraq"
SHARES = IRAQ / "community_shares.csv"
BOUNDS = IRAQ / "community_share_bounds.csv"
ROUNDING = 0.005  # each mid may be rounded by up to half a percentage point
KINDS = {"read", "read_qualitative", "derived", "gap"}

COMMUNITY_SHARES = (
    Column("province", slug),
    Column("community", slug),
    Column("share_low", share, allow_empty=True),
    Column("share_mid", share, allow_empty=True),
    Column("share_high", share, allow_empty=True),
    Column("provenance", text),
    Column("source_id", text),
    Column("notes", text, allow_empty=True),
)


def _column(path: Path, name: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row[name] for row in csv.DictReader(fh)]


def registered(sources_csv: Path = IRAQ / "sources.csv") -> set[str]:
    """Return the source ids of ``sources.csv``, refusing a duplicate id."""
    ids = _column(sources_csv, "source_id")
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DataError(f"source ids registered twice: {', '.join(dup)}", file=sources_csv)
    return set(ids)


def provinces() -> list[str]:
    return _column(IRAQ / "provinces.csv", "province")


def communities() -> set[str]:
    spec = tomllib.loads((ROOT / "models" / "iraq_2010.toml").read_text(encoding="utf-8"))
    return {c["id"] for c in spec["community"]}


def split_ids(cell: str | None) -> list[str]:
    return [s.strip() for s in (cell or "").split(";") if s.strip()]


def _fail(path: Path, row: dict, field: str, message: str) -> None:
    raise DataError(message, file=path, where=f"row {row['_row']}", field=field)


def _check_row(path: Path, r: dict, known: dict[str, set[str]], bounds: bool) -> None:
    """Raise ``DataError`` for a row outside the table's conventions."""
    if bounds and r["share_mid"] is not None:
        _fail(path, r, "share_mid", "the bounds table holds no point estimate")
    if not bounds and r["province"] != "national" and r["share_mid"] is None:
        _fail(path, r, "share_mid", "a governorate row needs share_mid (bounds go elsewhere)")
    if r["province"] not in known["province"]:
        _fail(path, r, "province", f"unknown province '{r['province']}'")
    if r["community"] not in known["community"]:
        _fail(path, r, "community", f"unknown community '{r['community']}'")
    kinds = split_ids(r["provenance"])
    if not kinds or not set(kinds) <= KINDS:
        _fail(path, r, "provenance", f"provenance must be ';'-joined {sorted(KINDS)}")
    values = [r[k] for k in ("share_low", "share_mid", "share_high")]
    given = [v for v in values if v is not None]
    if ("gap" in kinds) != (not given) or ("gap" in kinds and len(kinds) > 1):
        _fail(path, r, "provenance", "'gap' alone and only on a row without shares")
    if any(b < a for a, b in zip(given, given[1:], strict=False)):
        _fail(path, r, "share_mid", "expected share_low <= share_mid <= share_high")
    if "derived" in kinds and "DERIVED" not in (r["notes"] or ""):
        _fail(path, r, "notes", "a derived row states its arithmetic ('DERIVED: ...') in notes")
    if not split_ids(r["source_id"]):
        _fail(path, r, "source_id", "every row names a source")
    for sid in split_ids(r["source_id"]):
        if sid not in known["source"]:
            _fail(path, r, "source_id", f"source id '{sid}' is not registered in sources.csv")


def check_community_shares(
    path: Path, known: dict[str, set[str]], *, bounds: bool = False
) -> list[dict]:
    """Read a community-shares table and its sidecar, raising ``DataError`` naming row and field.

    ``bounds=True`` reads the companion table of bounds and gaps (no ``share_mid``).
    """
    rows = read_table(path, COMMUNITY_SHARES, key=("province", "community"))
    meta = read_sidecar(path)
    for r in rows:
        _check_row(path, r, known, bounds)
    used = {sid for r in rows for sid in split_ids(r["source_id"])}
    missing = sorted(used - set(meta["sources"]))
    if missing:
        raise DataError(f"sources used but not in the sidecar: {', '.join(missing)}", file=path)
    mids: dict[str, list[float]] = {}
    for r in rows:
        if r["share_mid"] is not None:
            mids.setdefault(r["province"], []).append(r["share_mid"])
            total, n = sum(mids[r["province"]]), len(mids[r["province"]])
            if total > 1 + ROUNDING * n:
                _fail(path, r, "share_mid", f"mids of {r['province']} add up to {total:.3f} > 1")
    absent = sorted(known["province"] - {"national"} - set(mids))
    if absent and not bounds:
        raise DataError(f"no share_mid for governorates: {', '.join(absent)}", file=path)
    return rows


def known_values() -> dict[str, set[str]]:
    return {
        "province": set(provinces()) | {"national"},
        "community": communities(),
        "source": registered(),
    }


# ---- the real files ---------------------------------------------------------------------


def test_community_shares_cover_every_governorate():
    rows = check_community_shares(SHARES, known_values())
    covered = {r["province"] for r in rows}
    assert covered == set(provinces()) | {"national"}
    for prov in provinces():
        communities_with_mid = {
            r["community"] for r in rows if r["province"] == prov and r["share_mid"] is not None
        }
        assert communities_with_mid, prov


def test_bounds_table_complements_the_estimates():
    known = known_values()
    estimates = {(r["province"], r["community"]) for r in check_community_shares(SHARES, known)}
    for r in check_community_shares(BOUNDS, known, bounds=True):
        assert (r["province"], r["community"]) not in estimates, r


def test_every_csv_has_a_sidecar_and_registered_sources():
    known = registered()
    for path in sorted(IRAQ.rglob("*.csv")):
        meta = read_sidecar(path)
        unknown = set(meta["sources"]) - known
        assert not unknown, f"{path}: sidecar sources not registered: {sorted(unknown)}"
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if "source_id" not in (reader.fieldnames or []) or path.name == "sources.csv":
                continue
            for lineno, row in enumerate(reader, start=2):
                for sid in split_ids(row["source_id"]):
                    assert sid in known, f"{path} row {lineno}: source id {sid!r} not registered"


def test_source_registry_sidecar_lists_every_id():
    meta = read_sidecar(IRAQ / "sources.csv")
    assert set(meta["sources"]) == registered()


@pytest.mark.parametrize("spec", ["iraq_2010.toml", "iraq_2005_dec.toml"])
def test_check_data_passes_on_the_iraq_specs(spec):
    result = CliRunner().invoke(app, ["check-data", str(ROOT / "models" / spec), "-q"])
    assert result.exit_code == 0, result.output


# ---- the checks refuse broken copies -----------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / SHARES.name
    shutil.copy(SHARES, target)
    shutil.copy(SHARES.with_name("community_shares.source.toml"), tmp_path)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    body = path.read_text(encoding="utf-8")
    assert old in body, old
    path.write_text(body.replace(old, new, 1), encoding="utf-8")


BROKEN = {
    "extra column": ("province,community,", "province,community,colour,", "unexpected column"),
    "renamed column": (",share_mid,", ",share_middle,", "share_middle"),
    "share above 1": (
        "babil,sunni_arab,0.05,0.05,0.20",
        "babil,sunni_arab,0.05,0.05,1.20",
        "share",
    ),
    "share written as NA": ("babil,sunni_arab,0.05,0.05", "babil,sunni_arab,0.05,NA", "NA"),
    "low above mid": ("babil,sunni_arab,0.05,0.05", "babil,sunni_arab,0.10,0.05", "share_low"),
    "unknown province": ("babil,sunni_arab,", "babylon,sunni_arab,", "unknown province"),
    "unknown community": ("babil,sunni_arab,", "babil,sunni,", "unknown community"),
    "unregistered source": (",SIGIR08;PRT_BAB06,", ",SIGIR09;PRT_BAB06,", "not registered"),
    "mids above 1": ("babil,sunni_arab,0.05,0.05", "babil,sunni_arab,0.05,0.15", "add up to"),
    "duplicate row": ("babil,shia_arab,", "babil,sunni_arab,", "duplicate row"),
    "unknown provenance": ("0.20,read,SIGIR08;PRT_BAB06", "0.20,guess,SIGIR08;PRT_BAB06", "';'"),
    "gap on a row with shares": (
        ",read,SIGIR08;PRT_BAB06",
        ",gap,SIGIR08;PRT_BAB06",
        "'gap' alone",
    ),
    "derived row without arithmetic": ("low DERIVED: 1 - 0.20", "low: 1 - 0.20", "DERIVED"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_community_shares_are_refused(case, tmp_path):
    old, new, fragment = BROKEN[case]
    path = _copy(tmp_path)
    _edit(path, old, new)
    with pytest.raises(DataError) as err:
        check_community_shares(path, known_values())
    assert fragment in str(err.value), str(err.value)


def test_estimate_row_without_a_mid_is_refused(tmp_path):
    path = _copy(tmp_path)
    _edit(path, "babil,sunni_arab,0.05,0.05,0.20", "babil,sunni_arab,0.05,,0.20")
    with pytest.raises(DataError, match="needs share_mid"):
        check_community_shares(path, known_values())


def test_bounds_row_with_a_mid_is_refused(tmp_path):
    target = tmp_path / BOUNDS.name
    shutil.copy(BOUNDS, target)
    shutil.copy(BOUNDS.with_name("community_share_bounds.source.toml"), tmp_path)
    _edit(target, "babil,kurd,,,0.15", "babil,kurd,,0.05,0.15")
    with pytest.raises(DataError, match="no point estimate"):
        check_community_shares(target, known_values(), bounds=True)


def test_governorate_without_a_mid_is_refused(tmp_path):
    path = _copy(tmp_path)
    body = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(
        "".join(line for line in body if not line.startswith("anbar,")), encoding="utf-8"
    )
    with pytest.raises(DataError, match="anbar"):
        check_community_shares(path, known_values())


def test_source_missing_from_sidecar_is_refused(tmp_path):
    path = _copy(tmp_path)
    _edit(path.with_name("community_shares.source.toml"), '"PRT_BAB06", ', "")
    with pytest.raises(DataError, match="PRT_BAB06"):
        check_community_shares(path, known_values())


def test_missing_sidecar_is_refused(tmp_path):
    path = _copy(tmp_path)
    path.with_name("community_shares.source.toml").unlink()
    with pytest.raises(DataError, match="sidecar"):
        check_community_shares(path, known_values())


def test_duplicate_registered_source_is_refused(tmp_path):
    registry = tmp_path / "sources.csv"
    body = (IRAQ / "sources.csv").read_text(encoding="utf-8")
    registry.write_text(body + body.splitlines()[1] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="registered twice"):
        registered(registry)
