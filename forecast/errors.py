"""The engine's exceptions: every failure names where it happened and what was expected.

Each error carries the file, the location inside it (row number or TOML key) and the field, so
that the CLI can print one human sentence and exit with a code that tells the kind of failure.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "ForecastError",
    "SpecError",
    "DataError",
    "ConvergenceError",
    "StoreError",
    "EXIT_CODES",
    "did_you_mean",
]


class ForecastError(Exception):
    """Base class of the engine's errors.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    file : Path or str, optional
        The file in which the problem was found.
    where : str, optional
        The row (``"row 7"``) or TOML key (``"law.house_size"``) inside the file.
    field : str, optional
        The column or field name.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        where: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = Path(file) if file is not None else None
        self.where = where
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [str(self.file)] if self.file is not None else []
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(f"field '{self.field}'")
        prefix = ", ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class SpecError(ForecastError):
    """A spec file is malformed or inconsistent."""

    exit_code = 2


class DataError(ForecastError):
    """A data file is missing, malformed or breaks an invariant."""

    exit_code = 3


class ConvergenceError(ForecastError):
    """The sampler did not converge and the caller asked for a hard failure."""

    exit_code = 4


class StoreError(ForecastError):
    """A saved artefact does not belong to the spec, data or version asking for it."""

    exit_code = 5


EXIT_CODES = {
    cls.__name__: cls.exit_code for cls in (SpecError, DataError, ConvergenceError, StoreError)
}


def did_you_mean(name: object, candidates: Iterable[object]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(str(name), sorted(map(str, candidates)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
