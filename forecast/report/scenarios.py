"""The report's scenarios: each scenario beside the baseline, run on the same posterior."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from forecast.report.formats import coalition_name, fmt_p, fmt_seats
from forecast.run.results import largest_lists, settings_text

__all__ = ["scenario_section"]


def scenario_section(
    details: Sequence[Mapping[str, Any]], names: Mapping[str, str], *, lists: int = 5
) -> dict[str, Any]:
    """Lay out the scenarios beside the baseline.

    What each changes, the seats of the baseline's largest lists, and the government,
    premiership, delay and risk that follow.
    """
    top = largest_lists(details, lists)
    items, seats, outcomes = [], [], []
    for h in details:
        label = h["scenario"].replace("_", " ")
        changes = settings_text(h["settings"])
        items.append({"name": label, "description": h["description"], "changes": changes})
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
        gov = h["coalitions"][0] if h["coalitions"] else None
        pm, p_pm = next(iter(h["p_pm"].items()), (None, 0.0))
        days = h["formation_days"]
        outcomes.append(
            [
                label,
                f"{coalition_name(gov['label'].split('+'), names)} ({fmt_p(gov['p_form'])})"
                if gov
                else "n/a",
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
                "Likeliest government",
                "Prime minister's list",
                "Days to form",
                "P(> 6 months)",
                "P(any onset)",
            ],
            "rows": outcomes,
        },
        "samples": f"{details[0]['samples']:,}",
    }
