"""The report's diagnostics: the convergence verdict, the sampler's gate, the PPC.

The verdict goes on the first page; the gate (R-hat, ESS, divergences), the run's identity and the
posterior predictive check go in the diagnostics section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forecast.report.formats import fmt_p
from forecast.run.pipeline import ForecastResult
from forecast.votes.diagnostics import ESS_MIN, RHAT_MAX

__all__ = ["convergence", "diagnostics_section"]


def convergence(summary: Mapping[str, Any], posterior_attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Say whether the sampler converged, and warn that the numbers are provisional if not."""
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


def diagnostics_section(result: ForecastResult, summary: Mapping[str, Any]) -> dict[str, Any]:
    """Lay out the convergence gate, the run's facts and, when there is one, the PPC."""
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
            "pass" if not d["divergences"] else "FAIL",
        ],
    ]
    facts = [["Sampler", str(d.get("sampler", ""))]]
    if post.get("worst_parameter"):
        facts.append(["Worst parameter (R-hat)", str(post["worst_parameter"])])
    if post.get("sampling_seconds") not in (None, ""):
        facts.append(["Sampling time", f"{float(post['sampling_seconds']):.0f} s"])
    for k, a in enumerate(d.get("fit_attempts", [])[:-1]):  # the last fit is the one kept
        facts.append(
            [
                f"Fit {k + 1} (failed the gate, refitted)",
                f"tune {a['tune']}, draws {a['draws']}, target_accept {a['target_accept']}: "
                f"R-hat {a['rhat_max']:.3f}, ESS {a['ess_bulk_min']:.0f}, "
                f"{a['divergences']} divergences",
            ]
        )
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
