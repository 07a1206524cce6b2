"""The report's scenarios: each scenario beside the baseline, run on the same posterior."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from forecast.report.formats import coalition_name, fmt_p, fmt_seats
from forecast.run.results import largest_lists, settings_text

__all__ = ["risk_change", "scenario_section"]

_MOVED = 0.0005  # a change in risk smaller than this is reported as none


def risk_change(mechanisms: Mapping[str, Mapping[str, Any]]) -> str:
    """Say, in one sentence, whose risk the scenario moves most, by how much and through what.

    The mechanism named is under-representation when the community's shortfall of seats against
    its population moves by at least 0.05, and otherwise who governs (its power status).
    """
    c, m = max(mechanisms.items(), key=lambda kv: abs(kv[1]["p_onset_change"]))
    if abs(m["p_onset_change"]) < _MOVED:
        return "No community's conflict risk moves by more than 0.05 points."
    before = m["p_onset"] - m["p_onset_change"]
    shift = m["under_representation"] - m["under_representation_baseline"]
    why = (
        f"its seats {fmt_p(m['seat_share_baseline'])} \u2192 {fmt_p(m['seat_share'])} of the "
        f"house against {fmt_p(m['population_share'])} of the population (under-representation "
        f"{m['under_representation_baseline']:.2f} \u2192 {m['under_representation']:.2f})"
        if abs(shift) >= 0.05
        else "through who governs (its power status), its seats barely moving"
    )
    return (
        f"{m['name']}: risk of {m['kind']} {fmt_p(before)} \u2192 {fmt_p(m['p_onset'])} "
        f"({100 * m['p_onset_change']:+.1f} points), {why}."
    )


def scenario_section(
    details: Sequence[Mapping[str, Any]], names: Mapping[str, str], *, lists: int = 5
) -> dict[str, Any]:
    """Lay out the scenarios beside the baseline.

    What each changes, the seats of the baseline's largest lists, and the likeliest government
    core, premiership, delay and risk that follow.
    """
    top = largest_lists(details, lists)
    items, seats, outcomes = [], [], []
    for h in details:
        label = h["scenario"].replace("_", " ")
        changes = settings_text(h["settings"])
        description = h["description"]
        if h is not details[0] and "risk_mechanisms" in h:
            description = f"{description.rstrip('.')}. {risk_change(h['risk_mechanisms'])}"
        items.append({"name": label, "description": description, "changes": changes})
        seats.append(
            [
                label,
                *(
                    fmt_seats(
                        *(h["lists"][p][k] for k in ("seats_median", "seats_lo90", "seats_hi90"))
                    )
                    for p in top
                ),
            ]
        )
        core = h["cores"][0] if h.get("cores") else None  # runs saved before cores: none
        pm, p_pm = next(iter(h["p_pm"].items()), (None, 0.0))
        days = h["formation_days"]
        outcomes.append(
            [
                label,
                f"{coalition_name(core['members'], names)} ({fmt_p(core['p'])})" if core else "n/a",
                f"{names.get(pm, pm)} ({fmt_p(p_pm)})" if pm else "n/a",
                fmt_seats(days["median"], days["lo90"], days["hi90"]),
                fmt_p(days["p_over_6_months"]),
                fmt_p(h["conflict_risk"]["p_onset_any"]),
            ]
        )
    return {
        "items": items,
        "seats": {"columns": ["Scenario", *(names.get(p, p) for p in top)], "rows": seats},
        "outcomes": {
            "columns": [
                "Scenario",
                "Likeliest government core",
                "Prime minister's list",
                "Days to form",
                "P(> 6 months)",
                "P(any onset)",
            ],
            "rows": outcomes,
        },
        "samples": f"{details[0]['samples']:,}",
    }
