"""The fitted formation and duration priors, written in the shape of a spec's sections.

``priors_toml`` turns a ``FitResult`` into ``[formation.coefficients.*]``, ``[duration.*]``
tables that ``FormationPriors`` and ``DurationPriors`` accept as they are: posterior mean and sd
per coefficient, each with its source. The held-out scores go into comments above them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from forecast.data.tables import write_atomic

__all__ = ["FitResult", "priors_toml", "write_priors"]

DATA = "data/parlgov/formations.csv (ParlGov development version of 4 Nov 2023, CC BY-SA)"


@dataclass(frozen=True)
class FitResult:
    """What ``fit_priors`` found: coefficient summaries, held-out scores and fit diagnostics.

    ``formation`` and ``duration`` map a term to its posterior (mean, sd); ``heldout`` maps a
    model or baseline to its scores (``score_formations``); ``diagnostics`` maps each fit to its
    convergence summary; ``facts`` holds counts and the seed.
    """

    formation: dict[str, tuple[float, float]]
    duration: dict[str, tuple[float, float]]
    heldout: dict[str, dict[str, float]]
    diagnostics: dict[str, dict[str, float | int | bool | str]]
    facts: dict[str, float | int | str] = field(default_factory=dict)


def _table(name: str, mean: float, sd: float, source: str) -> list[str]:
    """One coefficient table; ``json.dumps`` quotes the source as a valid TOML string."""
    return [
        f"[{name}]",
        f"mean = {mean:.4f}",
        f"sd = {sd:.4f}",
        f"source = {json.dumps(source)}",
        "verified = true",
        "",
    ]


def priors_toml(result: FitResult) -> str:
    """Write the priors of a fit as TOML text (see the module docstring)."""
    facts = result.facts
    fitted = (
        f"fitted: posterior mean and sd, on {facts['n_formations']} post-election formations "
        f"1945-2023 of {DATA}, by forecast.government.fitting.fit_priors (seed {facts['seed']})"
    )
    lines = [
        "# Formation and duration priors fitted on ParlGov by forecast.government.fitting.",
        f"# Held-out formations: {facts['n_heldout']} of {facts['n_formations']}, "
        f"{facts['n_candidates']} candidate governments in all.",
    ]
    for model, s in result.heldout.items():
        lines.append(
            f"# {model}: mean rank {s['mean_rank']:.2f}, median rank {s['median_rank']:.1f}, "
            f"top-1 {s['top1']:.3f}, mean log score {s['mean_log_score']:.3f}"
        )
    lines.append("")
    for term, (mean, sd) in result.formation.items():
        source = fitted + ": conditional logit over all coalitions of each formation's parties"
        lines += _table(f"formation.coefficients.{term}", mean, sd, source)
    baseline = {"baseline_log_days", "baseline_shape"}
    for term, (mean, sd) in result.duration.items():
        name = f"duration.{term}" if term in baseline else f"duration.coefficients.{term}"
        lines += _table(name, mean, sd, fitted + ": Weibull hazard of days to the new cabinet")
    lines += _table(
        "duration.coefficients.post_election",
        0.0,
        0.0,
        "fitted: 0 by construction; ParlGov dates only post-election formations, so "
        "duration.baseline_log_days is the log median of a one-party majority cabinet formed "
        "after an election and already holds the post-election effect",
    )
    return "\n".join(lines)


def write_priors(path: Path, result: FitResult) -> Path:
    """Write ``priors_toml(result)`` to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(priors_toml(result), encoding="utf-8"))
