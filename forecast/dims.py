"""Canonical dimension names and one schema per stage object.

``party`` means an electoral list (a registered entity on the ballot, alone or as an alliance),
not a party organisation. The downstream draw dimension is ``sample``; inside a posterior the
dims are ArviZ's ``chain, draw``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

__all__ = [
    "CHAIN",
    "CI_BOUND",
    "COALITION",
    "COMMUNITY",
    "DRAW",
    "ELECTION",
    "PARTY",
    "PROVINCE",
    "SAMPLE",
    "SEAT_TYPE",
    "LIST",
    "VarSchema",
    "SCHEMAS",
    "check",
]

ELECTION = "election"
PROVINCE = "province"
PARTY = "party"
COALITION = "coalition"
COMMUNITY = "community"
SAMPLE = "sample"
CHAIN = "chain"
DRAW = "draw"
CI_BOUND = "ci_bound"
SEAT_TYPE = "seat_type"
# Every list of a seat draw, when ``party`` holds coalition actors (lists, or small lists grouped).
LIST = "list"


@dataclass(frozen=True)
class VarSchema:
    """What one variable of a stage object must look like."""

    name: str
    dims: tuple[str, ...]
    kind: str  # numpy dtype kind(s) allowed: "i" int, "f" float, "b" bool, "U"/"O" text
    required: bool = True


SCHEMAS: dict[str, tuple[VarSchema, ...]] = {
    # Votes are float so that gaps can be NaN (never 0); `contested` says the list stood.
    "ElectionData": (
        VarSchema("votes", (ELECTION, PROVINCE, PARTY), "f"),
        VarSchema("contested", (ELECTION, PROVINCE, PARTY), "b"),
        VarSchema("valid_votes", (ELECTION, PROVINCE), "f"),
        VarSchema("registered", (ELECTION, PROVINCE), "f"),
        VarSchema("magnitude", (ELECTION, PROVINCE), "f"),
        VarSchema("voted", (ELECTION, PROVINCE), "b"),
    ),
    "VoteDraws": (
        VarSchema("votes", (SAMPLE, PROVINCE, PARTY), "i"),
        VarSchema("valid_votes", (SAMPLE, PROVINCE), "i"),
        VarSchema("turnout", (SAMPLE, PROVINCE), "f"),
    ),
    "SeatDraws": (
        VarSchema("district_seats", (SAMPLE, PROVINCE, PARTY), "i"),
        VarSchema("quota_seats", (SAMPLE, PARTY), "i"),
        VarSchema("compensatory_seats", (SAMPLE, PARTY), "i"),
        VarSchema("seats", (SAMPLE, PARTY), "i"),
    ),
    # What the coalition, power and risk stages read: national seats only.
    "NationalSeats": (VarSchema("seats", (SAMPLE, PARTY), "i"),),
    "CoalitionTable": (
        VarSchema("members", (COALITION, PARTY), "b"),
        VarSchema("seats", (SAMPLE, COALITION), "i"),
        VarSchema("p_majority", (COALITION,), "f"),
        VarSchema("p_form", (COALITION,), "f", required=False),
    ),
    "RiskTable": (VarSchema("conflict_risk", (SAMPLE, COMMUNITY), "f"),),
}


def check(obj: xr.Dataset, kind: str) -> xr.Dataset:
    """Check a stage object against its schema and return it unchanged.

    Parameters
    ----------
    obj : xr.Dataset
        The object crossing a stage boundary.
    kind : str
        Its name in :data:`SCHEMAS`, e.g. ``"SeatDraws"``.

    Raises
    ------
    ValueError
        Naming the object, the variable and what was expected.
    """
    for var in SCHEMAS[kind]:
        if var.name not in obj:
            if var.required:
                raise ValueError(f"{kind}: variable '{var.name}' with dims {var.dims} is missing")
            continue
        da = obj[var.name]
        if tuple(da.dims) != var.dims:
            raise ValueError(f"{kind}.{var.name}: dims {tuple(da.dims)}, expected {var.dims}")
        if da.dtype.kind not in var.kind:
            raise ValueError(f"{kind}.{var.name}: dtype {da.dtype}, expected kind '{var.kind}'")
    if SAMPLE in obj.dims and obj.attrs.get("sample_dims") != [SAMPLE]:
        raise ValueError(f"{kind}: attrs['sample_dims'] must be ['{SAMPLE}']")
    return obj


def probabilities_ok(da: xr.DataArray) -> bool:
    """Tell whether every finite value lies in [0, 1]."""
    v = np.asarray(da, dtype=float)
    v = v[np.isfinite(v)]
    return bool(np.all((v >= 0) & (v <= 1)))
