"""Strict reading of the project's CSV tables and their provenance sidecars.

Every table is UTF-8 CSV with a header row; every cell error names the file, the row (as a
spreadsheet shows it: the header is row 1) and the column. An empty cell is a gap; a cell that
*says* it is missing ("NA", "nan") is an error, so that a gap is always written the same way.
"""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast.errors import DataError, did_you_mean

__all__ = ["Column", "Row", "read_table", "read_sidecar", "sidecar_path", "write_atomic"]

_MISSING_WORDS = {"na", "n/a", "nan", "none", "null", "-", "?"}
SIDECAR_KEYS = {"title", "sources", "retrieved", "licence"}


@dataclass(frozen=True)
class Column:
    """A column of a table: its name, how to parse a cell, and whether it may be empty."""

    name: str
    parse: Callable[[str], Any]
    required: bool = True
    allow_empty: bool = False


Row = dict[str, Any]


def text(cell: str) -> str:
    """Any text."""
    return cell


def slug(cell: str) -> str:
    """Return a lowercase ASCII identifier such as ``state_of_law``."""
    if not cell.isascii() or not cell.replace("_", "").isalnum() or cell.lower() != cell:
        raise ValueError("expected a lowercase ascii slug such as 'state_of_law'")
    return cell


def count(cell: str) -> int:
    """Return a non-negative whole number (thousands separators are not allowed)."""
    try:
        value = float(cell)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if not math.isfinite(value) or value != int(value):
        raise ValueError("expected a whole number")
    if value < 0:
        raise ValueError("expected a number >= 0")
    return int(value)


def _bounded(cell: str, low: float, high: float, what: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"expected a {what}") from None
    if not low <= value <= high:
        raise ValueError(f"expected a {what} between {low:g} and {high:g}")
    return value


def percent(cell: str) -> float:
    """Return a percentage in [0, 100]."""
    return _bounded(cell, 0.0, 100.0, "percentage")


def share(cell: str) -> float:
    """Return a share in [0, 1]."""
    return _bounded(cell, 0.0, 1.0, "share")


def read_table(path: Path, columns: Iterable[Column], *, key: tuple[str, ...] = ()) -> list[Row]:
    """Read a CSV file strictly.

    Parameters
    ----------
    path : Path
        The CSV file.
    columns : iterable of Column
        Allowed columns; any other column is an error, a required one must be present.
    key : tuple of str
        Columns whose combination must be unique across rows.

    Returns
    -------
    list of dict
        One dict per row with parsed cells (``None`` for an empty cell) and ``_row``.
    """
    cols = {c.name: c for c in columns}
    raw = _read_text(path)
    reader = csv.reader(io.StringIO(raw))
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise DataError("file is empty: expected a header row and data rows", file=path)
    header = [h.strip() for h in header]
    for name in header:
        if name not in cols:
            raise DataError(
                f"unexpected column '{name}'{did_you_mean(name, cols)}; "
                f"allowed columns: {', '.join(cols)}",
                file=path,
                where="row 1",
                field=name,
            )
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise DataError("column appears twice in the header", file=path, where="row 1", field=dup)
    for c in cols.values():
        if c.required and c.name not in header:
            raise DataError(
                f"required column '{c.name}' is missing; header is: {', '.join(header)}",
                file=path,
                where="row 1",
                field=c.name,
            )
    rows: list[Row] = []
    seen: dict[tuple[Any, ...], int] = {}
    for lineno, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise DataError(
                f"has {len(cells)} cells but the header has {len(header)} columns",
                file=path,
                where=f"row {lineno}",
            )
        row: Row = {"_row": lineno}
        for name, cell in zip(header, cells, strict=True):
            row[name] = _parse_cell(cols[name], cell.strip(), path, lineno)
        for c in cols.values():
            row.setdefault(c.name, None)
        if key:
            k = tuple(row[name] for name in key)
            if k in seen:
                raise DataError(
                    "duplicate row for "
                    f"{', '.join(f'{n}={v}' for n, v in zip(key, k, strict=True))}"
                    f" (first at row {seen[k]})",
                    file=path,
                    where=f"row {lineno}",
                    field=key[-1],
                )
            seen[k] = lineno
        rows.append(row)
    if not rows:
        raise DataError("file has a header but no data rows", file=path)
    return rows


def _parse_cell(col: Column, cell: str, path: Path, lineno: int) -> Any:
    if cell == "":
        if col.allow_empty:
            return None
        raise DataError(
            "cell is empty; a value is required", file=path, where=f"row {lineno}", field=col.name
        )
    if cell.lower() in _MISSING_WORDS and col.parse is not text:
        raise DataError(
            f"'{cell}' is not a value; leave the cell empty to mark a gap",
            file=path,
            where=f"row {lineno}",
            field=col.name,
        )
    try:
        return col.parse(cell)
    except ValueError as exc:
        raise DataError(
            f"{exc}, got '{cell}'", file=path, where=f"row {lineno}", field=col.name
        ) from None


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise DataError("file not found", file=path)
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"not UTF-8 text (invalid byte at offset {exc.start}); save the file as UTF-8",
            file=path,
            where=f"row {line}",
        ) from None


def sidecar_path(path: Path) -> Path:
    """``votes.csv`` -> ``votes.source.toml``."""
    return path.with_name(path.stem + ".source.toml")


def read_sidecar(path: Path) -> dict[str, Any]:
    """Read and check the provenance sidecar of a data file.

    Returns
    -------
    dict
        ``title``, ``sources``, ``retrieved``, ``licence`` and optional ``caveats``, ``gaps``.
    """
    side = sidecar_path(path)
    if not side.is_file():
        raise DataError(
            f"provenance sidecar {side.name} is missing: every data table needs one "
            "(title, sources, retrieved, licence, caveats, gaps)",
            file=path,
        )
    try:
        meta = tomllib.loads(_read_text(side))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"not valid TOML: {exc}", file=side) from None
    missing = sorted(SIDECAR_KEYS - set(meta))
    if missing:
        raise DataError(
            f"provenance keys missing: {', '.join(missing)}", file=side, field=missing[0]
        )
    if not meta["sources"]:
        raise DataError("at least one source is required", file=side, field="sources")
    return meta


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Write a file through a temporary sibling and rename it, so no partial file is left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def as_mapping(rows: Iterable[Row], key: str, value: str) -> Mapping[Any, Any]:
    """``{row[key]: row[value]}`` for rows already checked for unique keys."""
    return {r[key]: r[value] for r in rows}
