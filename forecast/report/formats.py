"""How the report writes a number or a name.

One place for the text, the tables, the figures and the tests, so that a probability or a seat
interval reads the same wherever it is printed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from forecast.government.candidates import SMALL_LISTS

__all__ = [
    "capital",
    "coalition_name",
    "fmt_interval",
    "fmt_p",
    "fmt_seats",
    "list_names",
    "short_name",
]


def fmt_p(p: float | None) -> str:
    """Format a probability as the report prints it: ``62%``, ``2.7%``, ``<0.1%``, ``>99%``."""
    if p is None or not math.isfinite(float(p)):
        return "n/a"
    p = float(p)
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.995:
        return ">99%"
    if p < 0.1:
        return f"{100 * p:.1f}%"
    return f"{100 * p:.0f}%"


def fmt_seats(median: float, lo: float, hi: float) -> str:
    """Format seats as the report prints them: ``65 (10–154)``, median and 90% interval."""
    if lo == hi == median:
        return f"{median:.0f}"
    return f"{median:.0f} ({lo:.0f}\u2013{hi:.0f})"


def fmt_interval(lo: float, hi: float) -> str:
    """Format an interval of probabilities: ``2.7%–11%``."""
    return f"{fmt_p(lo)}\u2013{fmt_p(hi)}"


def capital(text: str) -> str:
    """Capitalise the first letter only, leaving the rest as written."""
    return text[:1].upper() + text[1:]


def short_name(row: Mapping[str, Any]) -> str:
    """Return a list's name for figures and tables: its spec ``short`` name, else its name.

    Names are printed verbatim, every character kept: they reach Typst as JSON values (text,
    never markup) and matplotlib with math parsing off (``forecast.report.style.STYLE``).
    """
    return row.get("short") or row["name"]


def list_names(summary: Mapping[str, Any]) -> dict[str, str]:
    """Map list slugs to short display names (the grouped small-lists actor included)."""
    names = {r["party"]: short_name(r) for r in summary["lists"]}
    names.setdefault(SMALL_LISTS, "Small lists")
    return names


def coalition_name(members: Sequence[str], names: Mapping[str, str]) -> str:
    """Name a coalition by its members' display names: ``"Alpha + Beta"``."""
    return " + ".join(names.get(m, m) for m in members)
