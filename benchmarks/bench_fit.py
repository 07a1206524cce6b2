"""Fit benchmark: compile and sampling time, and ESS per second, nutpie vs PyMC's NUTS.

Fits the model of a spec (default ``models/iraq_2010.toml``) with the spec's sampler settings
(chains, draws, tune, target_accept, mass matrix) under both samplers, and nutpie again with
1000 draws a chain (the size the speed target is stated for), and prints a table:
compile seconds (cold = a new process with an empty compile cache, warm = a new process with
that cache filled, as every run after the first), sampling seconds, minimum and median bulk
ESS over the free parameters, ESS per second of sampling, R-hat max and divergences. The table
is appended to BENCHMARKS.md. Run: ``.venv/bin/python benchmarks/bench_fit.py [SPEC]``;
``PYMC_DRAWS=N`` shortens PyMC's run (its tuning shortened in proportion).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import nutpie
import pymc as pm
import pytensor

from forecast.data.ingest import ingest_election
from forecast.data.spec import load_spec
from forecast.votes.fit import enable_compile_cache
from forecast.votes.model import build_model

ROOT = Path(__file__).resolve().parent.parent


def ess_stats(idata, free):
    ess = az.ess(idata, var_names=free, method="bulk")
    values = np.concatenate([np.ravel(ess[v].values) for v in ess.data_vars])
    rhat = az.rhat(idata, var_names=free)
    rmax = max(float(rhat[v].max()) for v in rhat.data_vars)
    div = int(idata.sample_stats["diverging"].sum())
    return float(values.min()), float(np.median(values)), rmax, div


def compile_seconds(spec_path: str) -> float:
    """Seconds to compile the spec's model for nutpie in this process."""
    spec = load_spec(spec_path)
    model = build_model(ingest_election(spec), spec)
    t0 = time.perf_counter()
    nutpie.compile_pymc_model(model)
    return time.perf_counter() - t0


def compile_in_new_process(spec_path: str, cache: str) -> float:
    """Compile seconds in a fresh Python process whose numba cache lives in ``cache``.

    PyTensor's C cache stays where it is: only the model's numba code is cold.
    """
    own = f"base_compiledir={cache},compiledir={pytensor.config.compiledir}"
    flags = ",".join(f for f in (os.environ.get("PYTENSOR_FLAGS"), own) if f)
    out = subprocess.run(
        [sys.executable, __file__, "--compile-only", spec_path],
        env=os.environ | {"PYTENSOR_FLAGS": flags},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    warnings.filterwarnings("ignore")
    enable_compile_cache()
    spec_path = str(sys.argv[1] if len(sys.argv) > 1 else ROOT / "models" / "iraq_2010.toml")
    spec = load_spec(spec_path)
    s = spec.sampler
    data = ingest_election(spec)
    rows = []

    with tempfile.TemporaryDirectory() as cache:
        cold = compile_in_new_process(spec_path, cache)
        warm = compile_in_new_process(spec_path, cache)
    model = build_model(data, spec)
    free = [v.name for v in model.free_RVs]
    compiled = nutpie.compile_pymc_model(model)
    # the spec's settings, and 1000 draws a chain (the size the speed target is stated for)
    for draws in dict.fromkeys([s.draws, 1000]):
        t0 = time.perf_counter()
        idata = nutpie.sample(
            compiled,
            draws=draws,
            tune=s.tune,
            chains=s.chains,
            cores=2,
            seed=s.seed,
            target_accept=s.target_accept,
            low_rank_modified_mass_matrix=s.low_rank_mass_matrix,
            progress_bar=False,
        )
        secs = time.perf_counter() - t0
        rows.append(
            (f"nutpie ({s.tune} tune + {draws} draws)", cold, warm, secs, *ess_stats(idata, free))
        )
        print(rows[-1], flush=True)
    # PyMC's NUTS is several times slower here: PYMC_DRAWS shortens its run (same tuning share,
    # same target_accept) so that ESS per second can still be compared.
    s_pymc = s.model_copy(update={"draws": int(os.environ.get("PYMC_DRAWS", s.draws))})
    s_pymc = s_pymc.model_copy(update={"tune": max(100, s.tune * s_pymc.draws // s.draws)})

    t0 = time.perf_counter()
    with build_model(data, spec):
        idata = pm.sample(
            draws=s_pymc.draws,
            tune=s_pymc.tune,
            chains=s.chains,
            cores=2,
            random_seed=s.seed,
            target_accept=s.target_accept,
            progressbar=False,
            compute_convergence_checks=False,
        )
    total = time.perf_counter() - t0
    secs = float(idata.posterior.attrs.get("sampling_time", total))
    rows.append(
        (
            f"pymc ({s_pymc.tune} tune + {s_pymc.draws} draws)",
            total - secs,
            float("nan"),
            secs,
            *ess_stats(idata, free),
        )
    )

    header = (
        "| sampler | compile cold s | compile warm s | sampling s | ESS bulk min | ESS bulk median "
        "| ESS min / s | R-hat max | divergences |"
    )
    lines = [header, "|" + "---|" * 9]
    for name, c, w, secs, emin, emed, rmax, div in rows:
        lines.append(
            f"| {name} | {c:.1f} | {w:.1f} | {secs:.1f} | {emin:.0f} | {emed:.0f} "
            f"| {emin / secs:.1f} | {rmax:.3f} | {div} |"
        )
    ratio = (rows[0][4] / rows[0][3]) / (rows[-1][4] / rows[-1][3])
    title = (
        f"## Fit: {spec.election.id}, {s.chains} chains, "
        f"target_accept {s.target_accept}, low-rank mass matrix {s.low_rank_mass_matrix} "
        f"({dt.date.today()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f})"
    )
    note = f"nutpie ({s.draws} draws) / PyMC ESS-min per second: {ratio:.2f}x"
    text = "\n".join([title, "", *lines, "", note, ""])
    print(text)
    with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write("\n" + text)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--compile-only"]:
        warnings.filterwarnings("ignore")
        enable_compile_cache()
        print(compile_seconds(sys.argv[2]))
    else:
        main()
