"""The report's methods: one paragraph each on votes, seats, government and conflict risk.

Each is written from the spec and the attrs the stages recorded, not from fixed text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forecast.data.spec_law import Apportionment, DistrictRule, ElectoralLaw
from forecast.dims import CHAIN, DRAW, PROVINCE
from forecast.report.formats import fmt_p
from forecast.run.pipeline import ForecastResult

__all__ = ["law_text", "methods"]

_METHOD_NAMES = {
    "hare_lr": "Hare quota with largest remainders",
    "droop_lr": "Droop quota with largest remainders",
    "hagenbach_bischoff_lr": "Hagenbach-Bischoff quota with largest remainders",
    "imperiali_lr": "Imperiali quota with largest remainders",
    "dhondt": "D'Hondt",
    "sainte_lague": "Sainte-Laguë",
    "modified_sainte_lague": "modified Sainte-Laguë",
}
_REMAINDERS = {
    "highest_votes": "the seats left after full quotas go to the qualifying lists by votes",
    "vote_share": "the seats left after full quotas go by Hare largest remainder on vote shares",
    "second_tier": "the seats left after full quotas go to the national tier",
}


def _method(rule: DistrictRule | Apportionment) -> str:
    """Name a method with its first divisor and its quota rounding."""
    name = _METHOD_NAMES.get(rule.method, rule.method)
    if rule.first_divisor:
        name += f" (first divisor {rule.first_divisor:g})"
    if rule.quota_rounding != "exact":
        name += f" (quota rounded: {rule.quota_rounding})"
    return name


def _districts(law: ElectoralLaw, provinces: int) -> str:
    """Describe the district tier: magnitudes, method, thresholds and the remainders."""
    rule, district = law.district, law.house_size - law.reserved_seats
    text = f"{district} seats in {provinces} provincial districts by {_method(rule)}"
    if law.magnitude is not None:
        base = (
            "each draw's valid votes"
            if law.magnitude.base == "votes"
            else "population (population.csv)"
        )
        text += f", apportioned among them by {_method(law.magnitude)} on {base}"
    if rule.threshold:
        text += f", threshold {fmt_p(rule.threshold)} of the district's valid votes"
    if rule.threshold_quotas:
        text += f", threshold {rule.threshold_quotas:g} Hare quota(s) in the district"
    if rule.quota_base == "valid":
        text += ", quotas from all valid votes"
    if rule.remainder in _REMAINDERS:
        text += f"; {_REMAINDERS[rule.remainder]}"
    return text + "."


def _national(law: ElectoralLaw) -> list[str]:
    """Describe the national parts: thresholds, second tier, quota and compensatory seats."""
    parts = []
    if law.national_threshold:
        parts.append(f"National threshold {fmt_p(law.national_threshold)} of valid votes.")
    if law.alliance_thresholds:
        bars = ", ".join(
            f"{fmt_p(t)} for {n}+ parties" if n > 1 else f"{fmt_p(t)} for one party"
            for n, t in sorted(law.alliance_thresholds.items())
        )
        parts.append(f"National thresholds by the parties in a list (parties.csv): {bars}.")
    if law.second_tier is not None:
        tier = law.second_tier
        pool = "unused votes summed over districts" if tier.pool == "unused_votes" else "votes"
        parts.append(f"National tier by {_method(tier.rule)} on the lists' {pool}.")
    if law.quota:
        seats = ", ".join(f"{q.seats} {q.community}" for q in law.quota)
        parts.append(f"{sum(q.seats for q in law.quota)} quota seats ({seats}).")
    if law.compensatory.seats:
        comp = law.compensatory
        parts.append(
            f"{comp.seats} compensatory seats by {_METHOD_NAMES.get(comp.method, comp.method)} on "
            f"national votes ({'all lists' if comp.eligible == 'all' else 'district winners'})."
        )
    return parts


def law_text(result: ForecastResult) -> str:
    """Describe the electoral law: house, districts, thresholds, quota and national seats."""
    law = result.spec.law
    parts = [f"{law.house_size} seats; a government needs {law.majority_seats}."]
    parts.append(_districts(law, result.data.sizes.get(PROVINCE, 0)))
    parts.extend(_national(law))
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
