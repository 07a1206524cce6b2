"""End-to-end wall time of ``forecast run``: truly cold, compile cache filled, posterior saved.

Runs the CLI three times on a spec (default ``models/iraq_2010.toml``), each in a new process,
into a fresh temporary output folder:

1. cold: empty PyTensor and numba caches (a temporary ``base_compiledir`` and
   ``NUMBA_CACHE_DIR``), no saved posterior: what a new user's first run costs;
2. compile cache filled by run 1, the saved posterior deleted: every later fit of a new spec;
3. warm: the saved posterior is reused (same spec, data and seed).

Prints a table with the wall time of each run and of each stage (from summary.json), and appends
it to BENCHMARKS.md. Run: ``.venv/bin/python benchmarks/bench_run.py [SPEC]``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = (
    "cold (empty caches, fit)",
    "compile cache filled (fit)",
    "warm (saved posterior)",
)


def run(spec: Path, out: Path, cache: Path) -> tuple[float, dict[str, float]]:
    """Wall seconds of one ``forecast run`` in a new process, and its stage timings."""
    flags = ",".join(
        f for f in (os.environ.get("PYTENSOR_FLAGS"), f"base_compiledir={cache / 'pytensor'}") if f
    )
    env = os.environ | {"PYTENSOR_FLAGS": flags, "NUMBA_CACHE_DIR": str(cache / "numba")}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "forecast", "run", str(spec), "--out", str(out), "-q"],
        check=True,
        cwd=ROOT,
        env=env,
    )
    wall = time.perf_counter() - start
    return wall, json.loads((out / "summary.json").read_text())["timings_seconds"]


def main() -> None:
    """Time the three runs and append the table to BENCHMARKS.md."""
    spec = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "iraq_2010.toml"
    with tempfile.TemporaryDirectory() as tmp:
        out, cache = Path(tmp) / "out", Path(tmp) / "cache"
        rows = [(ROWS[0], *run(spec, out, cache))]
        (out / "posterior.nc").unlink()
        rows.append((ROWS[1], *run(spec, out, cache)))
        rows.append((ROWS[2], *run(spec, out, cache)))
        sizes = {f.name: f.stat().st_size / 1e6 for f in sorted(out.glob("*.nc"))}
    stages = list(rows[0][2])
    lines = [
        f"## forecast run {spec.name} ({dt.date.today()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f})",
        "",
        "| run | wall s | " + " | ".join(f"{s} s" for s in stages) + " |",
        "|---|---|" + "---|" * len(stages),
    ]
    for name, wall, timings in rows:
        cells = " | ".join(f"{timings.get(s, 0):.1f}" for s in stages)
        lines.append(f"| {name} | {wall:.1f} | {cells} |")
    lines += [
        "",
        "Files written (compressed netCDF): "
        + ", ".join(f"{name} {mb:.1f} MB" for name, mb in sizes.items()),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write("\n" + text)


if __name__ == "__main__":
    main()
