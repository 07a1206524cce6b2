"""What every section of a spec is built from: strict immutable models, slugs and shares.

The sections live in ``spec_election``, ``spec_law``, ``spec_government``, ``spec_model`` and
``spec_run``; ``spec`` assembles them into the whole file and loads it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = ["DataPath", "Share", "Slug", "StrictSection", "sums_to_one"]


def _named(path: Path) -> Path:
    """Refuse an empty path (which would name the project folder itself)."""
    if str(path) in ("", "."):
        raise ValueError("expected the path of a file or folder, got an empty one")
    return path


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
DataPath = Annotated[Path, AfterValidator(_named)]


def sums_to_one(shares: dict[str, float], what: str) -> dict[str, float]:
    """Return ``shares`` if they sum to 1; raise ``ValueError`` naming ``what`` otherwise."""
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"{what} sum to {total:.6g}, expected 1")
    return shares


class StrictSection(BaseModel):
    """Base of every spec section: unknown keys are errors, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
