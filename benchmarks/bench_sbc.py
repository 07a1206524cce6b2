"""Simulation-based calibration of the vote model on the toy spec: rank uniformity per quantity.

Draws ``SIMS`` parameter sets from the prior (default 200), simulates the evidence from each, fits
the model to it and ranks the true value among the posterior draws
(``forecast.votes.calibration``). Prints, per hyper-parameter and target quantity, the
chi-square p-value of a flat rank histogram (10 bins) and the mean normalised rank (0.5 when
calibrated), the divergences per fit and the wall time, and appends the table to BENCHMARKS.md.
Run: ``.venv/bin/python benchmarks/bench_sbc.py [SIMS]``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from forecast.data.ingest import ingest_election
from forecast.data.spec import load_spec
from forecast.toy_project import write_toy_project
from forecast.votes.calibration import rank_uniformity, sbc_ranks

ROOT = Path(__file__).resolve().parent.parent
DRAWS, TUNE, CHAINS, BINS = 200, 300, 2, 10


def main() -> None:
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sims = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as root:
        spec = load_spec(write_toy_project(Path(root)))
        data = ingest_election(spec)
        t0 = time.perf_counter()
        ranks = sbc_ranks(spec, data, sims=sims, draws=DRAWS, tune=TUNE, chains=CHAINS, seed=1)
        secs = time.perf_counter() - t0
    checks = rank_uniformity(ranks, bins=BINS)
    alpha = 0.01 / checks.sizes["quantity"]
    lines = ["| quantity | rank p-value | mean rank |", "|---|---|---|"]
    for name, p, m in zip(
        checks["quantity"].values, checks["p_value"].values, checks["mean_rank"].values, strict=True
    ):
        lines.append(f"| {name} | {p:.3f}{' (fails)' if p < alpha else ''} | {m:.3f} |")
    div = np.asarray(ranks.attrs["divergences"])
    per_fit = CHAINS * DRAWS
    title = (
        f"## Simulation-based calibration: toy spec, {sims} simulations of {CHAINS} chains x "
        f"{DRAWS} draws ({TUNE} tune), target_accept {spec.sampler.target_accept} "
        f"({dt.date.today()}, {os.cpu_count()} cores)"
    )
    notes = [
        f"Quantities whose ranks fail a flat histogram at 1% family-wise (Bonferroni, "
        f"p < {alpha:.1e}): {int((checks['p_value'] < alpha).sum())} of "
        f"{checks.sizes['quantity']}. "
        f"Smallest p-value {float(checks['p_value'].min()):.4f}.",
        f"Divergences per fit: median {np.median(div):.0f}, max {div.max()} of {per_fit} draws; "
        f"fits with none: {(div == 0).sum()} of {sims}. Wall time {secs:.0f} s "
        "(one compile, then refits on new data).",
    ]
    text = "\n".join([title, "", *lines, "", *notes, ""])
    print(text)
    with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write("\n" + text)


if __name__ == "__main__":
    main()
