"""Cold-start cost of nutpie's backends: compile and sampling seconds with empty caches.

For each backend (numba, the default; jax when installed), a new Python process with empty
PyTensor and numba caches compiles the spec's model (default ``models/iraq_2010.toml``) for nutpie
and samples it with the spec's sampler settings; a second numba process reuses the filled cache.
Prints compile seconds, sampling seconds, bulk ESS min, R-hat max and divergences (the gate is
R-hat < 1.01, bulk ESS > 400), and appends the table to BENCHMARKS.md.
Run: ``.venv/bin/python benchmarks/bench_backends.py [SPEC]``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(spec_path: str, backend: str) -> dict[str, float]:
    """Compile and sample in this process; return the timings and the gate's numbers."""
    import warnings

    warnings.filterwarnings("ignore")
    import arviz as az
    import nutpie

    from forecast.data.ingest import ingest_election
    from forecast.data.spec import load_spec
    from forecast.votes.fit import enable_compile_cache
    from forecast.votes.model import build_model

    enable_compile_cache()
    spec = load_spec(spec_path)
    s = spec.sampler
    model = build_model(ingest_election(spec), spec)
    extra = {"gradient_backend": "jax"} if backend == "jax" else {}
    t0 = time.perf_counter()
    compiled = nutpie.compile_pymc_model(model, backend=backend, **extra)
    t1 = time.perf_counter()
    trace = nutpie.sample(
        compiled,
        draws=s.draws,
        tune=s.tune,
        chains=s.chains,
        target_accept=s.target_accept,
        seed=s.seed,
        progress_bar=False,
    )
    t2 = time.perf_counter()
    free = [v.name for v in model.free_RVs]
    ess = az.ess(trace, var_names=free, method="bulk")
    rhat = az.rhat(trace, var_names=free)
    return {
        "compile": t1 - t0,
        "sampling": t2 - t1,
        "ess_min": min(float(ess[v].min()) for v in ess.data_vars),
        "rhat_max": max(float(rhat[v].max()) for v in rhat.data_vars),
        "divergences": int(trace.sample_stats["diverging"].sum()),
    }


def in_new_process(spec_path: str, backend: str, cache: Path) -> dict[str, float]:
    """Run :func:`measure` in a fresh process whose compile caches live in ``cache``."""
    flags = ",".join(
        f for f in (os.environ.get("PYTENSOR_FLAGS"), f"base_compiledir={cache / 'pytensor'}") if f
    )
    env = os.environ | {"PYTENSOR_FLAGS": flags, "NUMBA_CACHE_DIR": str(cache / "numba")}
    out = subprocess.run(
        [sys.executable, __file__, "--measure", spec_path, backend],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure each backend cold (and numba warm) and append the table to BENCHMARKS.md."""
    spec_path = str(sys.argv[1] if len(sys.argv) > 1 else ROOT / "models" / "iraq_2010.toml")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "numba_cache"
        rows.append(("numba, empty caches", in_new_process(spec_path, "numba", cache)))
        rows.append(("numba, compile cache filled", in_new_process(spec_path, "numba", cache)))
        if find_spec("jax") is not None:
            jax = in_new_process(spec_path, "jax", Path(tmp) / "jax_cache")
            rows.append(("jax, empty caches", jax))
    lines = [
        f"## nutpie backends, cold start: {Path(spec_path).name} ({dt.date.today()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})",
        "",
        "| backend | compile s | sampling s | total s | ESS bulk min | R-hat max | divergences |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['compile']:.1f} | {r['sampling']:.1f} | "
            f"{r['compile'] + r['sampling']:.1f} | {r['ess_min']:.0f} | {r['rhat_max']:.4f} "
            f"| {r['divergences']} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write("\n" + text)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        main()
