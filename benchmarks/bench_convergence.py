"""Convergence with the default sampler settings on several specs, retries included.

Each spec's ``[sampler]`` section is replaced by the defaults of ``SamplerSpec`` (the spec's seed
and sample count kept), the whole forecast runs into a temporary folder, and the fit attempts that
``summary.json`` records (tuning, draws, target_accept, R-hat max, bulk ESS min, divergences,
seconds of each) are printed and appended to BENCHMARKS.md. The specs: the toy spec, every spec
in ``models/`` (or the paths given). Run: ``.venv/bin/python benchmarks/bench_convergence.py
[SPEC ...]``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

from forecast.data.spec import ForecastSpec, load_spec
from forecast.data.spec_model import SamplerSpec
from forecast.run.pipeline import run_forecast
from forecast.run.results import SUMMARY_FILE, save_result
from forecast.toy_project import write_toy_project

ROOT = Path(__file__).resolve().parent.parent


def with_default_sampler(spec: ForecastSpec) -> ForecastSpec:
    """The spec with ``SamplerSpec()`` defaults, keeping its seed and downstream sample count."""
    own = spec.sampler
    return spec.model_copy(update={"sampler": SamplerSpec(seed=own.seed, samples=own.samples)})


def attempts(spec: ForecastSpec, out: Path) -> tuple[list[dict], float]:
    """Run the forecast of ``spec`` into ``out``; return the fit attempts and the wall seconds."""
    t0 = time.perf_counter()
    result = run_forecast(spec, out_dir=out, progress=False)
    save_result(result)
    secs = time.perf_counter() - t0
    summary = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
    return summary["diagnostics"]["fit_attempts"], secs


def main() -> None:
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(p) for p in sys.argv[1:]] or [
            write_toy_project(Path(tmp) / "toy"),
            *sorted((ROOT / "models").glob("*.toml")),
        ]
        for k, path in enumerate(paths):
            spec = with_default_sampler(load_spec(path))
            log, secs = attempts(spec, Path(tmp) / f"out{k}")
            rows.append((spec.election.id, log, secs))
            print(rows[-1], flush=True)
    d = SamplerSpec()
    header = (
        "| spec | attempt | tune | draws | target_accept | R-hat max | ESS bulk min "
        "| divergences | converged | fit s |"
    )
    lines = [header, "|" + "---|" * 10]
    for name, log, _ in rows:
        for i, a in enumerate(log, start=1):
            lines.append(
                f"| {name} | {i} | {a['tune']} | {a['draws']} | {a['target_accept']:.3f} "
                f"| {a['rhat_max']:.4f} | {a['ess_bulk_min']:.0f} | {a['divergences']} "
                f"| {'yes' if a['converged'] else 'no'} | {a['seconds']:.0f} |"
            )
    title = (
        f"## Convergence with the default sampler settings ({d.backend}, {d.chains} chains, "
        f"{d.tune} tune + {d.draws} draws, target_accept {d.target_accept}, {d.retries} retries) "
        f"({dt.date.today()}, {os.cpu_count()} cores)"
    )
    passed = sum(log[-1]["converged"] for _, log, _ in rows)
    note = (
        f"Gate R-hat < 1.01, bulk ESS > 400, no divergence: passed on {passed} of {len(rows)} "
        "specs (the last attempt of each). Whole runs took "
        + ", ".join(f"{name} {secs:.0f} s" for name, _, secs in rows)
        + "."
    )
    text = "\n".join([title, "", *lines, "", note, ""])
    print(text)
    with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write("\n" + text)


if __name__ == "__main__":
    main()
