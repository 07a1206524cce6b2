"""``render_report``: the PDF risk report of a forecast, typeset with Typst.

The report is assembled in a temporary folder: the figures of :mod:`forecast.report.plots` as SVG, the
data file ``report.json`` and a copy of the template (``reports/templates/<spec.report.template>``)
are compiled there by the ``typst`` package, and the PDF is written atomically. Every number in
the report comes from the result: the headline numbers of :func:`forecast.run.results.summarise`,
the stage objects and their attrs (priors, provenance, diagnostics). The template only lays
them out; :func:`report_data` formats them, so the text and the tests agree on how a number
reads.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from forecast import __version__
from forecast.data.tables import write_atomic
from forecast.dims import CHAIN, COALITION, COMMUNITY, DRAW, PARTY, PROVINCE
from forecast.errors import ForecastError, SpecError
from forecast.evaluate.backtest import BACKTEST_FILE
from forecast.government.coalitions import SMALL_LISTS
from forecast.report import plots
from forecast.report.plots import fmt_p
from forecast.run.pipeline import ForecastResult
from forecast.run.results import largest_lists, settings_text, summarise
from forecast.votes.diagnostics import ESS_MIN, RHAT_MAX

__all__ = [
    "REPORT_FILE",
    "DATA_FILE",
    "TEMPLATES",
    "fmt_p",
    "fmt_seats",
    "render_report",
    "report_data",
]

log = logging.getLogger("forecast")

REPORT_FILE = "report.pdf"
DATA_FILE = "report.json"
TEMPLATES = Path("reports") / "templates"
_ENGINE_ROOT = Path(__file__).resolve().parents[2]  # the source tree that holds reports/templates
_METHOD_NAMES = {
    "hare_lr": "Hare quota with largest remainders",
    "droop_lr": "Droop quota with largest remainders",
    "dhondt": "D'Hondt",
    "sainte_lague": "Sainte-Laguë",
    "modified_sainte_lague": "modified Sainte-Laguë",
}
_PRIOR_SECTIONS = (
    ("coalitions", "priors_formation", "Which government forms (conditional logit)"),
    ("coalitions", "priors_duration", "How long formation takes (hazard model, log-hazard scale)"),
    ("risk", "priors_risk", "Conflict onset risk (group-year logit)"),
)


# ---- number formats: one place, shared by the text, the tables and the tests ---------------------


def fmt_seats(median: float, lo: float, hi: float) -> str:
    """Seats as the report prints them: ``65 (10–154)``, median and 90% interval."""
    if lo == hi == median:
        return f"{median:.0f}"
    return f"{median:.0f} ({lo:.0f}\u2013{hi:.0f})"


def _fmt_interval(lo: float, hi: float) -> str:
    return f"{fmt_p(lo)}\u2013{fmt_p(hi)}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _json_attr(value: Any) -> Any:
    """Read an attr that may hold JSON text (netCDF attrs are flat) or the object itself."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


# ---- the data file ------------------------------------------------------------------------------


def _names(summary: Mapping[str, Any]) -> dict[str, str]:
    """Map list slugs to short display names (the grouped small-lists actor included)."""
    names = {r["party"]: _capital(plots.short_name(r["name"])) for r in summary["lists"]}
    names.setdefault(SMALL_LISTS, "Small lists")
    return names


def _members(members: Sequence[str], names: Mapping[str, str]) -> str:
    return " + ".join(names.get(m, m) for m in members)


def _lists_table(summary: Mapping[str, Any], names: Mapping[str, str]) -> list[dict[str, str]]:
    p_pm = summary["p_pm"]
    power = summary["power_indices"]
    rows = []
    for r in summary["lists"]:
        if r["seats_hi90"] <= 0 and r["seats_median"] <= 0:
            continue
        p = r["party"]
        rows.append(
            {
                "name": names[p],
                "seats": fmt_seats(r["seats_median"], r["seats_lo90"], r["seats_hi90"]),
                "seats_mean": f"{r['seats_mean']:.1f}",
                "p_largest": fmt_p(r["p_largest"]),
                "p_pm": fmt_p(p_pm.get(p, 0.0)),
                "p_most_pivotal": fmt_p(power[p]["p_most_pivotal"]) if p in power else "n/a",
            }
        )
    return rows


def _coalitions_table(
    summary: Mapping[str, Any], names: Mapping[str, str], top: int
) -> list[dict[str, str]]:
    return [
        {
            "rank": str(k + 1),
            "members": _members(c["members"], names),
            "seats": fmt_seats(c["seats_median"], c["seats_lo90"], c["seats_hi90"]),
            "p_majority": fmt_p(c["p_majority"]),
            "p_form": fmt_p(c["p_form"]),
            "risk_if_formed": fmt_p(c["p_onset_any_if_formed"]),
        }
        for k, c in enumerate(summary["coalitions"][:top])
    ]


def _power_table(power: xr.Dataset, names: Mapping[str, str]) -> list[dict[str, str]]:
    rows = []
    for p in power[PARTY].values:
        r = power.sel({PARTY: p})
        rows.append(
            {
                "name": names.get(str(p), str(p)),
                "banzhaf": f"{fmt_p(float(r['banzhaf_mean']))} "
                f"({_fmt_interval(*map(float, r['banzhaf_eti'].values))})",
                "shapley_shubik": f"{fmt_p(float(r['shapley_shubik_mean']))} "
                f"({_fmt_interval(*map(float, r['shapley_shubik_eti'].values))})",
                "p_most_pivotal": fmt_p(float(r["p_most_pivotal"])),
                "per_seat_share": f"{float(r['banzhaf_per_seat_share']):.2f}",
            }
        )
    return rows


def _communities_table(result: ForecastResult, summary: Mapping[str, Any]) -> list[dict[str, str]]:
    risk = result.risk
    spec = {c.id: c for c in result.spec.community}
    order = np.argsort(-risk["p_onset"].values, kind="stable")
    rows = []
    for c in risk[COMMUNITY].values[order]:
        s = summary["conflict_risk"]["communities"][str(c)]
        r = risk.sel({COMMUNITY: c})
        info = spec.get(str(c))
        rows.append(
            {
                "name": info.name if info else str(c),
                "p_onset": fmt_p(s["p_onset"]),
                "interval": _fmt_interval(s["lo90"], s["hi90"]),
                "p_senior": fmt_p(float(r["p_senior_partner"])),
                "p_junior": fmt_p(float(r["p_junior_partner"])),
                "p_excluded": fmt_p(s["p_excluded"]),
                "p_downgraded": fmt_p(s["p_downgraded"]),
                "p_pivotal": fmt_p(float(r["p_pivotal"])),
                "size": fmt_p(info.relative_size) if info else "n/a",
                "previous_conflict": "yes" if info and info.previous_conflict else "no",
            }
        )
    return rows


def _protracted_days(result: ForecastResult) -> float:
    """Return the days beyond which the duration stage called a formation protracted."""
    days = result.coalitions["p_formation_over"].attrs.get("days")
    return float(result.spec.duration.protracted_days if days is None else days)


def _findings(
    result: ForecastResult,
    summary: Mapping[str, Any],
    names: Mapping[str, str],
    coalitions: list[dict[str, str]],
) -> list[dict[str, str]]:
    """Write the first page in plain words: label and sentence pairs."""
    out = []
    lists = sorted(summary["lists"], key=lambda r: -r["p_largest"])
    lead = [r for r in lists if r["p_largest"] >= 0.01][:3] or lists[:1]
    first, rest = lead[0], lead[1:]
    text = f"{names[first['party']]} is the most likely largest list ({fmt_p(first['p_largest'])})"
    if rest:
        text += ", ahead of " + " and ".join(
            f"{names[r['party']]} ({fmt_p(r['p_largest'])})" for r in rest
        )
    out.append({"label": "Largest list", "text": text + "."})

    majority, house = summary["majority"], summary["house_size"]
    table = result.coalitions
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
    out.append({"label": "Majority", "text": text})

    top = summary["coalitions"][0]
    shown = summary["coalitions"][: len(coalitions)]
    text = (
        f"{_members(top['members'], names)}: it forms in {fmt_p(top['p_form'])} of simulations "
        f"and has a majority in {fmt_p(top['p_majority'])}, with "
        f"{fmt_seats(top['seats_median'], top['seats_lo90'], top['seats_hi90'])} seats."
    )
    if top["p_form"] < 0.5:
        text += (
            f" No single government is likely: the {len(shown)} likeliest together form in "
            f"{fmt_p(sum(c['p_form'] for c in shown))}."
        )
    out.append({"label": "Most likely government", "text": text})

    pm = list(summary["p_pm"].items())[:3]
    text = "The premiership goes to " + ", ".join(f"{names.get(p, p)} in {fmt_p(v)}" for p, v in pm)
    out.append({"label": "Prime minister", "text": text + " of simulations."})

    days = summary["formation_days"]
    limit = _protracted_days(result)
    out.append(
        {
            "label": "Formation delay",
            "text": (
                f"A government takes a median of {days['median']:.0f} days to form (90% interval "
                f"{days['lo90']:.0f}\u2013{days['hi90']:.0f} days); the chance that it takes "
                f"longer than {limit:.0f} days is {fmt_p(days['p_over_6_months'])}."
            ),
        }
    )

    risk = summary["conflict_risk"]
    overall = risk["overall"]
    worst_id, worst = max(risk["communities"].items(), key=lambda kv: kv[1]["p_onset"])
    community = {c.id: c.name for c in result.spec.community}
    out.append(
        {
            "label": "Conflict risk",
            "text": (
                f"The chance of a conflict onset in at least one community within a year of the "
                f"government forming is {fmt_p(overall['p_onset_any'])} (90% interval "
                f"{_fmt_interval(overall['lo90'], overall['hi90'])}). The highest is among "
                f"{community.get(worst_id, worst_id)} ({fmt_p(worst['p_onset'])}), who are out of "
                f"power in {fmt_p(worst['p_excluded'])} of simulations and lose rank in "
                f"{fmt_p(worst['p_downgraded'])}."
            ),
        }
    )
    drivers = risk.get("drivers")
    if isinstance(drivers, Mapping) and drivers:
        term, value = max(drivers.items(), key=lambda kv: abs(float(kv[1])))
        out.append(
            {
                "label": "Main driver",
                "text": (
                    f"{_capital(str(term).replace('_', ' '))} ({fmt_p(float(value))} of the risk)."
                ),
            }
        )
    given = [c for c in shown if c["p_onset_any_if_formed"] is not None]
    if len(given) >= 2:
        lo = min(given, key=lambda c: c["p_onset_any_if_formed"])
        hi = max(given, key=lambda c: c["p_onset_any_if_formed"])
        out.append(
            {
                "label": "Risk by government",
                "text": (
                    "Risk depends on who governs, and so on which communities are left out of "
                    f"power or lose rank: among the {len(shown)} likeliest governments it ranges "
                    f"from {fmt_p(lo['p_onset_any_if_formed'])} ({_members(lo['members'], names)})"
                    f" to {fmt_p(hi['p_onset_any_if_formed'])} ({_members(hi['members'], names)})."
                ),
            }
        )
    return out


def _convergence(summary: Mapping[str, Any], posterior_attrs: Mapping[str, Any]) -> dict[str, Any]:
    d = summary["diagnostics"]
    detail = (
        f"R-hat max {d['rhat_max']:.3f} (needs < {RHAT_MAX}), bulk ESS min "
        f"{d['ess_bulk_min']:.0f} (needs > {ESS_MIN}), {d['divergences']} divergent transitions"
    )
    worst = posterior_attrs.get("worst_parameter")
    if d["converged"]:
        text = f"The sampler converged: {detail}."
    else:
        text = (
            f"The sampler did not converge: {detail}"
            + (f"; worst parameter {worst}" if worst else "")
            + ". The numbers in this report are provisional: do not rely on them."
        )
    return {"converged": bool(d["converged"]), "text": text}


def _law_text(result: ForecastResult) -> str:
    law = result.spec.law
    rule = law.district
    method = _METHOD_NAMES.get(rule.method, rule.method)
    if rule.first_divisor:
        method += f" (first divisor {rule.first_divisor:g})"
    provinces = result.data.sizes.get(PROVINCE, 0)
    district = law.house_size - law.reserved_seats
    parts = [f"{law.house_size} seats; a government needs {law.majority_seats}."]
    parts.append(f"{district} seats in {provinces} provincial districts by {method}")
    if rule.threshold:
        parts[-1] += f", threshold {fmt_p(rule.threshold)} of the district's valid votes"
    if rule.threshold_quotas:
        parts[-1] += f", threshold {rule.threshold_quotas:g} Hare quota(s) in the district"
    parts[-1] += "."
    if law.national_threshold:
        parts.append(f"National threshold {fmt_p(law.national_threshold)} of valid votes.")
    if law.quota:
        seats = ", ".join(f"{q.seats} {q.community}" for q in law.quota)
        parts.append(f"{sum(q.seats for q in law.quota)} quota seats ({seats}).")
    if law.compensatory.seats:
        comp = law.compensatory
        parts.append(
            f"{comp.seats} compensatory seats by {_METHOD_NAMES.get(comp.method, comp.method)} on "
            f"national votes ({'all lists' if comp.eligible == 'all' else 'district winners'})."
        )
    parts.append(f"Ties: {law.tie_rule.replace('_', ' ')}.")
    if law.source:
        parts.append(f"Source: {law.source}.")
    return " ".join(parts)


def _methods(result: ForecastResult, summary: Mapping[str, Any]) -> list[dict[str, str]]:
    spec = result.spec
    post = result.posterior.attrs
    # the chains and draws the fit actually has; the spec's settings if the posterior lacks them
    sizes = dict(result.posterior["posterior"].sizes) if "posterior" in result.posterior else {}
    chains = sizes.get(CHAIN, spec.sampler.chains)
    draws = sizes.get(DRAW, spec.sampler.draws)
    evidence = "; ".join(
        f"{e.kind.replace('_', ' ')}, {e.date.strftime('%B %Y')}" for e in spec.evidence
    )
    table, risk = result.coalitions.attrs, result.risk.attrs
    gdp = risk.get("log_gdp_per_capita")
    gdp_text = (
        f" Log GDP per head {float(gdp):.2f} ({risk.get('gdp_source', '')})."
        if gdp not in (None, "")
        else ""
    )
    return [
        {
            "label": "Votes and turnout",
            "text": (
                "A Bayesian model of turnout and list support by province, fitted to "
                f"{len(spec.evidence)} past elections ({evidence}); "
                f"{len(spec.lineage)} lineage rows carry past lists' voters to this election's "
                "lists with Dirichlet uncertainty. Sampler "
                f"{post.get('sampler', spec.sampler.backend)}, {chains} chains of {draws} draws; "
                f"{summary['samples']:,} simulated elections downstream. Information "
                f"cut-off {spec.election.information_cutoff.strftime('%-d %B %Y')}."
            ),
        },
        {"label": "Seats", "text": _law_text(result)},
        {
            "label": "Government",
            "text": (
                f"Candidates: {table.get('candidate_rule', 'not recorded')}. Formation: "
                f"{table.get('formation_rule', 'not recorded')}. Formation time: a hazard model "
                "with a Weibull baseline whose coefficients are drawn per simulation."
            ),
        },
        {
            "label": "Conflict risk",
            "text": (
                "Each community's status under the government drawn in a simulation (senior or "
                "junior partner, powerless, discriminated; downgraded against the outgoing "
                "government) enters an onset logit whose coefficients are drawn per simulation; "
                f"horizon: {risk.get('horizon', 'not recorded')}.{gdp_text}"
            ),
        },
    ]


def _prior_status(c: Mapping[str, Any]) -> str:
    status = []
    if c.get("verified"):
        status.append("verified")
    if c.get("judgemental"):
        status.append("judgement")
    return "; ".join(status) or "unverified"


def _priors(result: ForecastResult) -> list[dict[str, Any]]:
    out = []
    for stage, attr, title in _PRIOR_SECTIONS:
        table = _json_attr(getattr(result, stage).attrs.get(attr))
        rows = []
        for term, c in sorted(table.items() if isinstance(table, Mapping) else []):
            rows.append(
                {
                    "term": term.replace("_", " "),
                    "mean": f"{float(c['mean']):.4g}",
                    "sd": f"{float(c['sd']):.3g}",
                    "status": _prior_status(c),
                    "source": str(c.get("source", "")),
                }
            )
        out.append({"title": title, "rows": rows})
    return out


def _provenance(data: xr.Dataset) -> list[dict[str, Any]]:
    prov = _json_attr(data.attrs.get("provenance", {}))
    if not isinstance(prov, Mapping):
        return []
    rows = []
    for file, meta in sorted(prov.items()):
        meta = meta if isinstance(meta, Mapping) else {}
        rows.append(
            {
                "file": str(file),
                "title": str(meta.get("title", "")),
                "sources": ", ".join(map(str, meta.get("sources", []) or [])),
                "retrieved": str(meta.get("retrieved", "")),
                "caveats": [str(x) for x in meta.get("caveats", []) or []],
                "gaps": [str(x) for x in meta.get("gaps", []) or []],
            }
        )
    return rows


def _scenario_section(
    details: Sequence[Mapping[str, Any]], names: Mapping[str, str], *, lists: int = 5
) -> dict[str, Any]:
    """The scenarios beside the baseline: what each changes, the seats of the baseline's largest
    lists, and the government, premiership, delay and risk that follow.
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
                f"{_members(gov['label'].split('+'), names)} ({fmt_p(gov['p_form'])})"
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


_BACKTEST_NAMES = {
    "model": "Model",
    "carry_forward": "Carry-forward",
    "uniform_swing": "Uniform swing",
}


def _sig3(x: float) -> str:
    return f"{x:.3g}"


def _points(share: float) -> str:
    return f"{100 * share:.1f} pts"


# (key, row label, format) of the backtest's scores table
_BACKTEST_SCORES: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("seat_mae", "Seat error, mean absolute (median)", _sig3),
    ("coverage_50", "Lists inside their 50% interval", fmt_p),
    ("coverage_90", "Lists inside their 90% interval", fmt_p),
    ("crps", "CRPS of seats, mean over lists (lower is better)", _sig3),
    ("log_score", "Log score of seats, mean over lists (higher is better)", _sig3),
    ("vote_share_mae", "Vote share error by province, mean absolute", _points),
    ("p_government", "P(actual government forms)", fmt_p),
    ("p_actual_pm", "P(premiership to the actual PM's list)", fmt_p),
)


def _backtest_rows(f: Mapping[str, Any]) -> dict[str, str]:
    """One forecast's headline scores, formatted, keyed by the row label; absent scores left out."""
    out = {}
    for key, label, fmt in _BACKTEST_SCORES:
        if f.get(key) is not None:
            out[label] = fmt(f[key])
    if f.get("p_government") is not None:  # a rank only means something beside its probability
        rank = f.get("government_rank")
        out["Rank of the actual government"] = "not a candidate" if rank is None else str(rank)
    if f.get("formation_days_median") is not None:
        lo, hi = f.get("formation_days_lo90"), f.get("formation_days_hi90")
        days = f["formation_days_median"]
        out["Days to form a government: median (90%)"] = (
            fmt_seats(days, lo, hi) if lo is not None and hi is not None else f"{days:.0f}"
        )
    return out


def _backtest_section(bt: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Lay out the backtest: its scores table (model beside baselines) and the note above it."""
    forecasts = {"model": bt, **(bt.get("baselines") or {})}
    cells = {name: _backtest_rows(f) for name, f in forecasts.items()}
    labels = list(dict.fromkeys(label for c in cells.values() for label in c))
    columns = ["Score", *(_BACKTEST_NAMES.get(n, n.replace("_", " ")) for n in forecasts)]
    rows = [[label, *(c.get(label, "n/a") for c in cells.values())] for label in labels]
    facts = []
    if bt.get("truth"):
        facts.append(f"Scored against the actual results in {bt['truth']}.")
    if bt.get("government"):
        members = _members(bt["government"].split("+"), names)
        facts.append(f"The government that formed: {members}.")
    if bt.get("formation_days_actual") is not None:
        facts.append(f"It took {bt['formation_days_actual']:.0f} days to form.")
    return {"scores": {"columns": columns, "rows": rows}, "note": " ".join(facts)}


def _diagnostics(result: ForecastResult, summary: Mapping[str, Any]) -> dict[str, Any]:
    d = summary["diagnostics"]
    post = result.posterior.attrs
    rows = [
        [
            "R-hat, largest",
            f"{d['rhat_max']:.3f}",
            f"< {RHAT_MAX}",
            "pass" if d["rhat_max"] < RHAT_MAX else "FAIL",
        ],
        [
            "Bulk ESS, smallest",
            f"{d['ess_bulk_min']:.0f}",
            f"> {ESS_MIN}",
            "pass" if d["ess_bulk_min"] > ESS_MIN else "FAIL",
        ],
        [
            "Divergent transitions",
            f"{d['divergences']}",
            "0",
            "pass" if not d["divergences"] else "check",
        ],
    ]
    facts = [["Sampler", str(d.get("sampler", ""))]]
    if post.get("worst_parameter"):
        facts.append(["Worst parameter (R-hat)", str(post["worst_parameter"])])
    if post.get("sampling_seconds") not in (None, ""):
        facts.append(["Sampling time", f"{float(post['sampling_seconds']):.0f} s"])
    facts.append(["Simulated elections", f"{summary['samples']:,}"])
    facts.append(
        [
            "Spec hash, seed, version",
            f"{summary['spec_hash']}, {summary['seed']}, {summary['version']}",
        ]
    )
    out: dict[str, Any] = {"gate": rows, "facts": facts}
    if summary.get("ppc"):
        out["ppc"] = _ppc_table(summary["ppc"])
    return out


def _ppc_table(ppc: Mapping[str, Any]) -> dict[str, Any]:
    """Lay out the posterior predictive check: what was checked, how many, share inside."""
    rows = [
        [f"List vote shares, {election.replace('_', ' ')}", str(c["n"]), fmt_p(c["coverage_90"])]
        for election, c in ppc.get("vote_share", {}).items()
    ]
    if "turnout" in ppc:
        t = ppc["turnout"]
        rows.append(["Turnout, all past elections", str(t["n"]), fmt_p(t["coverage_90"])])
    return {"columns": ["Observed quantity", "Values", "Inside 90% interval"], "rows": rows}


def report_data(result: ForecastResult, summary: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the template prints, formatted: the content of ``report.json``.

    Parameters
    ----------
    result : ForecastResult
        A finished run (fresh, or read back by :func:`forecast.run.results.load_result`).
    summary : Mapping, optional
        ``summarise(result)``, when already computed.

    Returns
    -------
    dict
        JSON-ready: ``meta``, ``convergence``, ``findings``, ``lists``, ``coalitions``,
        ``power``, ``formation``, ``risk``, ``methods``, ``priors``, ``provenance``,
        ``diagnostics``, and ``scenarios`` / ``backtest`` only when the summary has them.
    """
    summary = summarise(result) if summary is None else summary
    spec = result.spec
    names = _names(summary)
    coalitions = _coalitions_table(summary, names, spec.report.top_coalitions)
    overall = summary["conflict_risk"]["overall"]
    days = summary["formation_days"]
    table = result.coalitions
    data: dict[str, Any] = {
        "meta": {
            "title": spec.report.title or spec.election.name,
            "subtitle": spec.report.subtitle,
            "election": spec.election.name,
            "election_date": spec.election.date.strftime("%-d %B %Y"),
            "cutoff": spec.election.information_cutoff.strftime("%-d %B %Y"),
            "house_size": str(summary["house_size"]),
            "majority": str(summary["majority"]),
            "samples": f"{summary['samples']:,}",
            "spec_hash": summary["spec_hash"],
            "seed": str(summary["seed"]),
            "version": summary.get("version", __version__),
            "spec_file": spec.source_file.name if spec.source_file else "",
        },
        "convergence": _convergence(summary, result.posterior.attrs),
        "findings": _findings(result, summary, names, coalitions),
        "lists": _lists_table(summary, names),
        "coalitions": coalitions,
        "coalition_note": {
            "shown": str(len(coalitions)),
            "candidates": str(table.sizes.get(COALITION, 0)),
            "p_shown": fmt_p(sum(c["p_form"] for c in summary["coalitions"][: len(coalitions)])),
            "coverage": fmt_p(float(table.attrs["mw_coverage"]))
            if "mw_coverage" in table.attrs
            else "n/a",
        },
        "power": _power_table(result.power, names),
        "formation": {
            "median": f"{days['median']:.0f}",
            "lo90": f"{days['lo90']:.0f}",
            "hi90": f"{days['hi90']:.0f}",
            "p_over": fmt_p(days["p_over_6_months"]),
            "limit": f"{_protracted_days(result):.0f}",
        },
        "risk": {
            "overall": fmt_p(overall["p_onset_any"]),
            "interval": _fmt_interval(overall["lo90"], overall["hi90"]),
            "horizon": summary["conflict_risk"].get("horizon", ""),
            "communities": _communities_table(result, summary),
        },
        "methods": _methods(result, summary),
        "priors": _priors(result),
        "provenance": _provenance(result.data),
        "diagnostics": _diagnostics(result, summary),
    }
    if summary.get("scenario_details"):
        data["scenarios"] = _scenario_section(summary["scenario_details"], names)
    if summary.get("backtest") is not None:
        data["backtest"] = _backtest_section(summary["backtest"], names)
    return data


# ---- figures and compilation ---------------------------------------------------------------------


def _risk_figure(risk: xr.Dataset, names: Mapping[str, str]) -> Figure:
    """Conflict risk and community status side by side, rows aligned."""
    n = risk.sizes[COMMUNITY] + 1
    fig = Figure(figsize=(plots.WIDTH, 1.25 + 0.23 * n), layout="constrained")
    left, right = fig.subplots(1, 2)
    plots.plot_conflict_risk(risk, names=names, ax=left)
    plots.plot_community_status(risk, names=names, ax=right)
    return fig


def _figures(result: ForecastResult, summary: Mapping[str, Any]) -> dict[str, Callable[[], Figure]]:
    # colours follow the spec's list order, so a list keeps its colour from one run to the next
    order = [*result.spec.party_ids, *(r["party"] for r in summary["lists"])]
    colours = plots.list_colours(list(dict.fromkeys(order)))
    names = {r["party"]: r["name"] for r in summary["lists"]}
    communities = {c.id: c.name for c in result.spec.community}
    layout = _tile_layout(result.data)
    figures = {
        "seats": lambda: plots.plot_seats(summary, colours=colours),
        "provinces": lambda: plots.plot_provinces(summary, layout=layout, colours=colours),
        "power": lambda: plots.plot_power(result.power, names=names, colours=colours),
        "formation_days": lambda: plots.plot_formation_days(result.coalitions),
        "risk": lambda: _risk_figure(result.risk, communities),
    }
    calibration = _calibration(summary.get("backtest"))
    if calibration:
        figures["calibration"] = lambda: plots.plot_calibration(calibration)
    return figures


def _calibration(bt: Mapping[str, Any] | None) -> dict[str, list[Mapping[str, float]]]:
    """Each forecast's calibration table of a backtest, by display name (model first)."""
    if not bt:
        return {}
    forecasts = {"model": bt, **(bt.get("baselines") or {})}
    return {
        _BACKTEST_NAMES.get(name, name.replace("_", " ")): list(f["calibration"])
        for name, f in forecasts.items()
        if f.get("calibration")
    }


def _saved_backtest(result: ForecastResult) -> dict[str, Any] | None:
    """Read the backtest saved beside the run if it scored this very forecast (spec, data, seed)."""
    path = Path(result.out_dir) / BACKTEST_FILE
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        log.warning("ignoring %s: not valid JSON", path)
        return None
    if saved.get("spec_hash") != result.spec_hash or saved.get("seed") != result.seed:
        log.info("not showing %s: it scored another forecast", path)
        return None
    return saved


def _tile_layout(data: xr.Dataset) -> dict[str, tuple[int, int]] | None:
    """Tile positions from the provinces table (``tile_row``, ``tile_col``) when it has them."""
    if "tile_row" not in data.coords or "tile_col" not in data.coords:
        return None
    rows, cols = data["tile_row"].values, data["tile_col"].values
    if not (np.isfinite(rows.astype(float)).all() and np.isfinite(cols.astype(float)).all()):
        return None
    return {
        str(p): (int(r), int(c)) for p, r, c in zip(data[PROVINCE].values, rows, cols, strict=True)
    }


def _write_figures(
    result: ForecastResult, summary: Mapping[str, Any], folder: Path
) -> dict[str, str]:
    out = {}
    with mpl.rc_context(plots.STYLE):
        for name, draw in _figures(result, summary).items():
            fig = draw()
            path = folder / f"{name}.svg"
            fig.savefig(path, format="svg", metadata={"Date": None})
            out[name] = path.name
    return out


def _template(result: ForecastResult) -> Path:
    """Find the spec's template: in the project's ``reports/templates``, else the engine's."""
    spec = result.spec
    folders = [spec.root / TEMPLATES, _ENGINE_ROOT / TEMPLATES]
    for folder in folders:
        path = folder / spec.report.template
        if path.is_file():
            return path
    raise SpecError(
        f"report template '{spec.report.template}' not found in "
        + " or ".join(str(f) for f in dict.fromkeys(folders)),
        file=spec.source_file,
        where="key 'report.template'",
    )


def _compile(main: Path, folder: Path) -> bytes:
    import typst

    try:
        pdf = typst.compile(str(main), root=str(folder), format="pdf", ignore_system_fonts=True)
    except RuntimeError as exc:  # typst.TypstError
        message = getattr(exc, "message", None) or str(exc).splitlines()[0]
        where = re.search(r"[\w.-]+\.typ:(\d+):\d+", getattr(exc, "diagnostic", "") or "")
        raise ForecastError(
            f"the report template failed to compile: {message}",
            file=main.name,
            where=f"line {where.group(1)}" if where else None,
        ) from exc
    if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF"):
        raise ForecastError("the report template produced no PDF", file=main.name)
    return pdf


def render_report(result: ForecastResult, *, out_path: Path | None = None) -> Path:
    """Write the PDF risk report of a forecast.

    Parameters
    ----------
    result : ForecastResult
        A finished run; nothing is refitted or resampled.
    out_path : Path, optional
        Where to write the PDF; defaults to ``result.out_dir / "report.pdf"``.

    Returns
    -------
    Path
        The PDF, written atomically: a failed render leaves any earlier report untouched.

    Raises
    ------
    SpecError
        When ``spec.report.template`` is not in ``reports/templates/``.
    ForecastError
        When the template does not compile.
    """
    out = Path(out_path) if out_path is not None else Path(result.out_dir) / REPORT_FILE
    summary = summarise(result)
    if summary.get("backtest") is None:
        backtest = _saved_backtest(result)
        summary = summary if backtest is None else {**summary, "backtest": backtest}
    data = report_data(result, summary)
    template = _template(result)
    with tempfile.TemporaryDirectory(prefix="forecast-report-") as tmp:
        folder = Path(tmp)
        data["figures"] = _write_figures(result, summary, folder)
        data["meta"]["rendered"] = dt.date.today().isoformat()
        (folder / DATA_FILE).write_text(
            json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8"
        )
        for part in template.parent.glob("*.typ"):  # the template and any file it imports
            shutil.copy(part, folder / part.name)
        pdf = _compile(folder / template.name, folder)
    write_atomic(out, lambda tmp: tmp.write_bytes(pdf))
    log.info("report written: %s (%d KB)", out, len(pdf) // 1024)
    return out
