"""The report's government at the level a reader thinks in: its core, and who sits in it.

Exact candidate governments that differ only by a one- or two-seat list split what is in
substance one government; the core of a drawn government (its lists holding at least
``coalitions.core_share`` of its seats, ``forecast.government.cores``) does not. Every simulation
has exactly one core, so the cores shown and the remainder stated beside them sum to 100%.
Beside them, each bargaining list's chance of sitting in government and of holding the
premiership.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forecast.report.formats import coalition_name, fmt_p, fmt_seats

__all__ = ["cores_note", "cores_table", "in_government_table", "shown_cores"]


def shown_cores(summary: Mapping[str, Any], top: int) -> list[Mapping[str, Any]]:
    """Return the ``top`` likeliest cores of ``summary.json`` (at most those it holds)."""
    return list(summary["government"]["cores"][:top])


def cores_table(
    summary: Mapping[str, Any], names: Mapping[str, str], top: int
) -> list[dict[str, str]]:
    """Lay out the likeliest government cores: members, chance, seats, majority, risk."""
    return [
        {
            "rank": str(k + 1),
            "members": coalition_name(c["members"], names),
            "p": fmt_p(c["p"]),
            "seats": fmt_seats(c["seats_median"], c["seats_lo90"], c["seats_hi90"]),
            "p_majority": fmt_p(c["p_core_majority"]),
            "risk_if_formed": fmt_p(c["p_onset_any_if_formed"]),
        }
        for k, c in enumerate(shown_cores(summary, top))
    ]


def cores_note(summary: Mapping[str, Any], top: int) -> dict[str, str]:
    """Say what a core is, how many there were and how much the ones not shown hold."""
    government = summary["government"]
    shown = shown_cores(summary, top)
    hidden = government["cores"][len(shown) :]
    rest = float(government["p_other_cores"]) + sum(float(c["p"]) for c in hidden)
    return {
        "core_share": fmt_p(government["core_share"]),
        "shown": str(len(shown)),
        "n_cores": str(government["n_cores"]),
        "p_shown": fmt_p(sum(float(c["p"]) for c in shown)),
        "n_rest": str(int(government["n_cores"]) - len(shown)),
        "p_rest": fmt_p(rest),
    }


def in_government_table(
    summary: Mapping[str, Any], names: Mapping[str, str]
) -> list[dict[str, str]]:
    """Each bargaining list's chance of sitting in government and of the premiership.

    Ordered by the chance of governing; a list that bargains in no simulation (below
    ``coalitions.min_seats`` throughout) has neither and is not shown.
    """
    p_pm = summary["p_pm"]
    return [
        {"name": names.get(p, p), "p_in_government": fmt_p(v), "p_pm": fmt_p(p_pm.get(p, 0.0))}
        for p, v in summary["government"]["p_in_government"].items()
    ]
