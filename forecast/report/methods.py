"""The report's methods: one paragraph each on votes, seats, government and conflict risk.

Each is written from the spec and the attrs the stages recorded, not from fixed text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forecast.dims import CHAIN, DRAW, PROVINCE
from forecast.report.formats import fmt_p
from forecast.run.pipeline import ForecastResult

__all__ = ["law_text", "methods"]

_METHOD_NAMES = {
    "hare_lr": "Hare quota with largest remainders",
    "droop_lr": "Droop quota with largest remainders",
    "dhondt": "D'Hondt",
    "sainte_lague": "Sainte-Laguë",
    "modified_sainte_lague": "modified Sainte-Laguë",
}


def law_text(result: ForecastResult) -> str:
    """Describe the electoral law: house, districts, thresholds, quota and compensatory seats."""
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


def methods(result: ForecastResult, summary: Mapping[str, Any]) -> list[dict[str, str]]:
    """Write the methods paragraphs: votes and turnout, seats, government, conflict risk."""
    spec = result.spec
    post = result.posterior.attrs
    # the chains and draws the fit actually has; the spec's settings if the posterior lacks them
    group = next((g for g in ("posterior", "sample_stats") if g in result.posterior), None)
    sizes = dict(result.posterior[group].sizes) if group else {}
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
        {"label": "Seats", "text": law_text(result)},
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
