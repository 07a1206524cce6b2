"""End-to-end run time of ``forecast run``: cold (fits the posterior) and warm (reuses it).

Runs the CLI twice on a spec (default ``models/iraq_2010.toml``) into a fresh temporary output
folder, prints a table with the wall time of each run and of each stage (from summary.json), and
appends it to BENCHMARKS.md. Run: ``.venv/bin/python benchmarks/bench_run.py [SPEC]``.
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


def run(spec: Path, out: Path) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "forecast", "run", str(spec), "--out", str(out), "-q"],
        check=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    return wall, json.loads((out / "summary.json").read_text())["timings_seconds"]


def main() -> None:
    spec = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "iraq_2010.toml"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        rows = [("cold (fit)", *run(spec, out)), ("warm (cached posterior)", *run(spec, out))]
    stages = list(rows[0][2])
    lines = [
        f"## forecast run {spec.name} ({dt.date.today()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f})",
        "",
        "| run | wall s | " + " | ".join(f"{s} s" for s in stages) + " |",
        "|---|---|" + "---|" * len(stages),
    ]
    for name, wall, timings in rows:
        lines.append(
            f"| {name} | {wall:.1f} | "
            + " | ".join(f"{timings.get(s, 0):.1f}" for s in stages)
            + " |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write("\n" + text)


if __name__ == "__main__":
    main()
