"""Formation and duration priors fitted on ParlGov: held-out scores beside both baselines.

Runs ``forecast.government.fitting.fit_priors`` (held-out fit, full formation fit, duration fit;
nutpie, 4 chains x 1000 draws), writes the priors to ``data/parlgov/fitted_priors.toml``, prints
the held-out rank and log score of the formed cabinet under the conditional logit, a uniform
draw and the largest-party-plus-minimal-winning rule, the coefficients and the convergence of
each fit, and appends the tables to BENCHMARKS.md.
Run: ``.venv/bin/python benchmarks/bench_formation_fit.py [SEED]``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import tomllib
import warnings
from pathlib import Path

from forecast.data.schemas import NATIONAL
from forecast.data.spec import load_spec
from forecast.data.tables import read_table
from forecast.government.fitted_priors import FitResult
from forecast.government.fitting import fit_priors
from forecast.government.formation_check import check_formation, formation_rows

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "parlgov" / "fitted_priors.toml"
IRAQ_SPECS = ("iraq_2005_dec", "iraq_2010")


def iraq_checks(result: FitResult) -> list[str]:
    """Rank Iraq's own formations (not fitted on) under the fitted priors: table rows."""
    rows = []
    for name in IRAQ_SPECS:
        spec = load_spec(ROOT / "models" / f"{name}.toml")
        folder = spec.resolve(spec.data.target)
        national = read_table(folder / "national.csv", NATIONAL)
        seats = {r["party"]: r["seats"] for r in national if r["party"] != "total" and r["seats"]}
        government = tomllib.loads((folder / "government.toml").read_text(encoding="utf-8"))
        places = spec.coalitions.bloc_positions
        positions = {p.id: places[p.bloc] for p in spec.party if p.bloc in places}
        formation = formation_rows(
            seats,
            house=spec.law.house_size,
            cabinet=government["members"],
            pm=government["pm_party"],
            incumbent=spec.coalitions.incumbent,
            positions=positions,
            election_date=spec.election.date,
            days=int(government["days"]),
            label=name,
        )
        c = check_formation(formation, result.formation, result.duration)
        rows.append(
            f"| {name} | {'+'.join(government['members'])} | {c['rank']:.0f} of "
            f"{c['n_candidates']:.0f} | {c['p_formed']:.4f} | {c['likeliest']} "
            f"({c['p_likeliest']:.3f}) | {c['median_days']:.0f} | {c['days']:.0f} |"
        )
    return rows


def main() -> None:
    warnings.filterwarnings("ignore")
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 20231104
    t0 = time.perf_counter()
    result = fit_priors(OUT, seed)
    secs = time.perf_counter() - t0
    facts = result.facts
    lines = [
        f"## bench_formation_fit: formation priors fitted on ParlGov, held-out scores "
        f"({dt.date.today().isoformat()}, {os.cpu_count()} cores, seed {seed})",
        "",
        f"{facts['n_formations']} post-election formations (data/parlgov/formations.csv), "
        f"{facts['n_heldout']} held out at random; every coalition of each formation's parties "
        f"(>= 1% of seats, at most 12) is a candidate, {facts['n_candidates']} in all.",
        "",
        "| model (held-out formations) | mean rank | median rank | top-1 | mean log score |",
        "|---|---|---|---|---|",
    ]
    for model, s in result.heldout.items():
        lines.append(
            f"| {model} | {s['mean_rank']:.2f} | {s['median_rank']:.1f} | {s['top1']:.3f} | "
            f"{s['mean_log_score']:.3f} |"
        )
    lines += ["", "| coefficient | mean | sd |", "|---|---|---|"]
    for section, terms in (("formation", result.formation), ("duration", result.duration)):
        lines += [f"| {section}.{k} | {m:.3f} | {s:.3f} |" for k, (m, s) in terms.items()]
    lines += ["", "| fit | R-hat max | ESS bulk min | divergences |", "|---|---|---|---|"]
    for fit, d in result.diagnostics.items():
        lines.append(f"| {fit} | {d['rhat_max']} | {d['ess_bulk_min']} | {d['divergences']} |")
    lines += [
        "",
        "Iraq's own formations, not fitted on (seats as elected; positions on the spec's bloc "
        "axis; incumbent from the spec):",
        "",
        "| spec | formed | rank | P(formed) | likeliest (P) | median days (fitted) | days |",
        "|---|---|---|---|---|---|---|",
        *iraq_checks(result),
    ]
    lines += [
        "",
        f"Mean candidates per held-out formation: "
        f"{next(iter(result.heldout.values()))['mean_candidates']:.0f}; median formation "
        f"{facts['median_days']:.0f} days. Priors written to "
        f"{OUT.relative_to(ROOT)}. Wall time {secs:.0f} s.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write("\n" + text)


if __name__ == "__main__":
    main()
