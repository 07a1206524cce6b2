"""Coalition stage on 100k seat samples, 12 actor lists: time each step, append to BENCHMARKS.md.

Run: .venv/bin/python benchmarks/bench_coalitions.py (BENCH_REPEAT runs, 5 by default)
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import time
from pathlib import Path

import numpy as np

from forecast.government.coalitions import score_coalitions
from forecast.government.duration import predict_formation_days
from forecast.government.formation import predict_formation
from forecast.government.power import power_indices
from forecast.government.risk import assess_risk
from forecast.testing import twelve_list_game

N_SAMPLE = 100_000
TARGET_S = 2.0
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def main() -> None:
    spec, seats = twelve_list_game(N_SAMPLE, seed=1)
    load_before = os.getloadavg()[0]
    runs = []
    for _ in range(REPEAT):
        steps = []
        start, start_cpu = time.perf_counter(), time.process_time()

        def timed(name, fn, steps=steps):
            t, c = time.perf_counter(), time.process_time()
            out = fn()
            steps.append((name, time.perf_counter() - t, time.process_time() - c))
            return out

        table = timed("candidates (score_coalitions)", lambda: score_coalitions(seats, spec))
        table = timed(
            "formation (predict_formation)", lambda t=table: predict_formation(t, spec, seed=1)
        )
        table = timed(
            "duration (predict_formation_days)",
            lambda t=table: predict_formation_days(t, spec, seed=2),
        )
        timed("indices (power_indices)", lambda: power_indices(seats, spec))
        timed("risk (assess_risk)", lambda t=table: assess_risk(t, seats, spec, seed=3))
        runs.append((time.perf_counter() - start, time.process_time() - start_cpu, steps))
    total, total_cpu, steps = min(runs, key=lambda r: r[0])
    walls = sorted(r[0] for r in runs)
    load = os.getloadavg()[0]
    n_actor = table.sizes["party"]
    n_coalition = table.sizes["coalition"]
    lines = [
        f"## bench_coalitions ({dt.date.today().isoformat()})",
        "",
        f"{N_SAMPLE:,} samples, {n_actor} actor lists, {n_coalition} candidate governments; "
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), NumPy "
        f"{np.__version__}; best of {REPEAT} runs (fastest total, its steps), wall range "
        f"{walls[0]:.2f}-{walls[-1]:.2f} s; load average {load_before:.2f} before and {load:.2f} "
        "after (other work on the machine inflates wall time; CPU time is this process's, all "
        f"threads). Target: under {TARGET_S:.0f} s.",
        "",
        "| step | wall s | CPU s |",
        "| --- | ---: | ---: |",
        *[f"| {name} | {sec:.3f} | {cpu:.3f} |" for name, sec, cpu in steps],
        f"| **total** | **{total:.3f}** | **{total_cpu:.3f}** |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
    with out.open("a", encoding="utf-8") as fh:
        fh.write(("" if not out.exists() or out.stat().st_size == 0 else "\n") + text)


if __name__ == "__main__":
    main()
