"""The report's first page: the headline findings in plain words, one label and sentence each.

Largest list, how sure the seats are (the largest lists' interval widths), majority, most
likely government core, the lists likeliest to govern, prime minister, formation delay and
conflict risk are always written; what would change the seats (the inputs whose removal moves
them most), the main driver of the risk and how the risk varies by government core only when
the run has them. The government is spoken of
by its core (``forecast.government.cores``), not by the likeliest exact coalition, whose chance is
split among variants that differ by a one- or two-seat list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from forecast.dims import COALITION, PARTY
from forecast.report.cores import cores_note, shown_cores
from forecast.report.formation import protracted_days
from forecast.report.formats import capital, coalition_name, fmt_interval, fmt_p, fmt_seats
from forecast.run.pipeline import ForecastResult

__all__ = ["findings"]

Finding = dict[str, str]


def findings(
    result: ForecastResult, summary: Mapping[str, Any], names: Mapping[str, str], *, top: int
) -> list[Finding]:
    """Write the first page in plain words: label and sentence pairs (``top`` cores shown)."""
    shown = shown_cores(summary, top)
    out = [
        _largest_list(summary, names),
        _how_sure(summary, names),
        _what_would_change(summary, names),
        _majority(result.coalitions, summary, names),
        _government(summary, names, top),
        _in_government(summary, names),
        _prime_minister(summary, names),
        _formation_delay(result, summary),
        _conflict_risk(result, summary),
        _main_driver(summary["conflict_risk"]),
        _risk_by_government(shown, names),
    ]
    return [f for f in out if f is not None]


def _largest_list(summary: Mapping[str, Any], names: Mapping[str, str]) -> Finding:
    """Name the likeliest largest list and up to two runners-up with at least a 1% chance."""
    lists = sorted(summary["lists"], key=lambda r: -r["p_largest"])
    lead = [r for r in lists if r["p_largest"] >= 0.01][:3] or lists[:1]
    first, rest = lead[0], lead[1:]
    text = f"{names[first['party']]} is the most likely largest list ({fmt_p(first['p_largest'])})"
    if rest:
        text += ", ahead of " + " and ".join(
            f"{names[r['party']]} ({fmt_p(r['p_largest'])})" for r in rest
        )
    return {"label": "Largest list", "text": text + "."}


def _how_sure(summary: Mapping[str, Any], names: Mapping[str, str], lists: int = 4) -> Finding:
    """Say how sure the seats are: the width of the largest lists' 90% intervals."""
    big = sorted(summary["lists"], key=lambda r: -r["seats_median"])[:lists]
    widths = [r["seats_hi90"] - r["seats_lo90"] for r in big]
    mean = sum(widths) / len(widths)
    each = ", ".join(f"{names[r['party']]} {w:.0f}" for r, w in zip(big, widths, strict=True))
    text = (
        f"The {len(big)} largest lists' 90% seat intervals are on average {mean:.0f} seats wide "
        f"({mean / summary['house_size']:.0%} of the house; {each}): read their medians as the "
        "centre of a wide range, not as a prediction."
    )
    return {"label": "How sure", "text": text}


def _what_would_change(
    summary: Mapping[str, Any], names: Mapping[str, str], inputs: int = 3
) -> Finding | None:
    """Name the inputs whose removal moves the most seats, when the run left each one out."""
    rows = [r for r in summary.get("leave_out", []) if "seats_moved" in r][:inputs]
    if not rows:
        return None
    text = (
        "Refitted without each input in turn (a light fit each), the seats move most without "
        + "; ".join(_moved(r, names) for r in rows)
        + f". A light fit's mean seats carry a Monte Carlo error of up to "
        f"{max(r['mcse_seats'] for r in rows):.0f} seats a list."
    )
    return {"label": "What would change it", "text": text}


def _moved(row: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One left-out input: the seats that change hands and the two lists moving most."""
    shifts = [f"{names.get(p, p)} {d:+.0f}" for p, d in list(row["shifts"].items())[:2]]
    said = f": {', '.join(shifts)}" if shifts else ""
    return f"{row['label']} ({row['seats_moved']:.0f} seats change hands{said})"


def _majority(table: xr.Dataset, summary: Mapping[str, Any], names: Mapping[str, str]) -> Finding:
    """Say whether a list can govern alone, beside the seats of the largest list."""
    majority, house = summary["majority"], summary["house_size"]
    single = [
        (float(table["p_majority"].sel({COALITION: str(p)})), str(p))
        for p in table[PARTY].values
        if str(p) in table[COALITION].values
    ]
    p_alone, alone = max(single) if single else (0.0, "")
    biggest = max(summary["lists"], key=lambda r: r["seats_median"])
    seats = fmt_seats(biggest["seats_median"], biggest["seats_lo90"], biggest["seats_hi90"])
    if p_alone < 0.005:
        text = (
            f"No list wins a majority ({majority} of {house} seats) on its own: the largest, "
            f"{names[biggest['party']]}, wins a median of {seats} seats (90% interval). A "
            "coalition is needed."
        )
    elif alone == biggest["party"]:
        text = (
            f"{names[alone]} wins a median of {seats} seats (90% interval) and a majority of its "
            f"own ({majority} of {house}) in {fmt_p(p_alone)} of simulations."
        )
    else:
        text = (
            f"{names.get(alone, alone)} wins a majority ({majority} of {house} seats) on its "
            f"own in {fmt_p(p_alone)} of simulations; {names[biggest['party']]} wins a median of "
            f"{seats} seats (90% interval)."
        )
    return {"label": "Majority", "text": text}


def _government(summary: Mapping[str, Any], names: Mapping[str, str], top: int) -> Finding:
    """Name the likeliest government core; when it is unlikely, say how much the shown ones hold."""
    top_core = summary["government"]["cores"][0]
    note = cores_note(summary, top)
    text = (
        f"{coalition_name(top_core['members'], names)} is the core of the government (its lists "
        f"with at least {note['core_share']} of the government's seats) in "
        f"{fmt_p(top_core['p'])} of simulations; these lists alone hold "
        f"{fmt_seats(top_core['seats_median'], top_core['seats_lo90'], top_core['seats_hi90'])}"
        f" seats and a majority in {fmt_p(top_core['p_core_majority'])} of them."
    )
    if top_core["p"] < 0.5:
        text += (
            f" No single core is likely: the {note['shown']} likeliest together hold "
            f"{note['p_shown']} of simulations, the other {note['n_rest']} cores {note['p_rest']}."
        )
    return {"label": "Most likely government", "text": text}


def _in_government(summary: Mapping[str, Any], names: Mapping[str, str]) -> Finding:
    """Name the three lists likeliest to sit in government, whichever core it has."""
    p_in = list(summary["government"]["p_in_government"].items())[:3]
    text = "The lists likeliest to sit in government are " + ", ".join(
        f"{names.get(p, p)} ({fmt_p(v)})" for p, v in p_in
    )
    return {"label": "In government", "text": text + "."}


def _prime_minister(summary: Mapping[str, Any], names: Mapping[str, str]) -> Finding:
    """Name the three lists likeliest to hold the premiership."""
    pm = list(summary["p_pm"].items())[:3]
    text = "The premiership goes to " + ", ".join(f"{names.get(p, p)} in {fmt_p(v)}" for p, v in pm)
    return {"label": "Prime minister", "text": text + " of simulations."}


def _formation_delay(result: ForecastResult, summary: Mapping[str, Any]) -> Finding:
    """Give the days to a government and the chance that formation is protracted."""
    days = summary["formation_days"]
    limit = protracted_days(result)
    return {
        "label": "Formation delay",
        "text": (
            f"A government takes a median of {days['median']:.0f} days to form (90% interval "
            f"{days['lo90']:.0f}\u2013{days['hi90']:.0f} days); the chance that it takes "
            f"longer than {limit:.0f} days is {fmt_p(days['p_over_6_months'])}."
        ),
    }


def _conflict_risk(result: ForecastResult, summary: Mapping[str, Any]) -> Finding:
    """Give the overall onset risk and the community most at risk, with why."""
    risk = summary["conflict_risk"]
    overall = risk["overall"]
    worst_id, worst = max(risk["communities"].items(), key=lambda kv: kv[1]["p_onset"])
    community = {c.id: c.name for c in result.spec.community}
    return {
        "label": "Conflict risk",
        "text": (
            f"The chance of a conflict onset in at least one community within a year of the "
            f"government forming is {fmt_p(overall['p_onset_any'])} (90% interval "
            f"{fmt_interval(overall['lo90'], overall['hi90'])}). The highest is among "
            f"{community.get(worst_id, worst_id)} ({fmt_p(worst['p_onset'])}), who are out of "
            f"power in {fmt_p(worst['p_excluded'])} of simulations and lose rank in "
            f"{fmt_p(worst['p_downgraded'])}."
        ),
    }


def _main_driver(risk: Mapping[str, Any]) -> Finding | None:
    """Name the term with the largest share of the risk, when the run decomposed it."""
    drivers = risk.get("drivers")
    if not (isinstance(drivers, Mapping) and drivers):
        return None
    term, value = max(drivers.items(), key=lambda kv: abs(float(kv[1])))
    return {
        "label": "Main driver",
        "text": f"{capital(str(term).replace('_', ' '))} ({fmt_p(float(value))} of the risk).",
    }


def _risk_by_government(
    shown: Sequence[Mapping[str, Any]], names: Mapping[str, str]
) -> Finding | None:
    """Give the range of the risk over the shown government cores, when two or more have one."""
    given = [c for c in shown if c["p_onset_any_if_formed"] is not None]
    if len(given) < 2:
        return None
    lo = min(given, key=lambda c: c["p_onset_any_if_formed"])
    hi = max(given, key=lambda c: c["p_onset_any_if_formed"])
    return {
        "label": "Risk by government",
        "text": (
            "Risk depends on who governs, and so on which communities are left out of "
            f"power or lose rank: among the {len(shown)} likeliest government cores it ranges "
            f"from {fmt_p(lo['p_onset_any_if_formed'])} ({coalition_name(lo['members'], names)})"
            f" to {fmt_p(hi['p_onset_any_if_formed'])} ({coalition_name(hi['members'], names)})."
        ),
    }
