"""Scale-out benchmark: post-fit stages over 1M samples and a 1,000-scenario sweep, on dask.

Runs ``forecast.run.scale.headlines`` (simulation, allocation, coalitions, formation, delay, risk,
reduced chunk by chunk) on a fitted posterior in one process (``scheduler="sync"``) and on a
``dask.distributed`` LocalCluster of 2 single-threaded worker processes, and prints throughput
and peak memory; the table is appended to BENCHMARKS.md. Each measurement runs in a fresh child
process so that its peak resident memory is its own; a cluster's peak is the client's plus its
largest worker's. The sample ladder (1/8, 1/4, 1/2, 1 of ``--samples``) shows whether memory
stays bounded as samples grow.

Run: ``.venv/bin/python benchmarks/bench_scale.py [SPEC] [--posterior FILE] [--samples N]
[--scenarios N] [--scenario-samples N]``. The posterior defaults to the one ``forecast run``
saved for the spec (``reports/out/<spec>/posterior.nc``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm() -> None:
    import forecast.run.scale  # noqa: F401


def _sweep(spec, n: int):
    """``n`` scenarios on a grid: swings of the two largest lists and a community turnout factor."""
    from forecast.run.scenarios import parse_scenario

    parties = [p.id for p in spec.party][:2]
    community = spec.community_ids[0]
    side = max(2, round(n ** (1 / 3)) + 1)
    swings = [round(-0.1 + 0.2 * i / (side - 1), 4) for i in range(side)]
    factors = [round(0.1 + 0.9 * i / (side - 1), 4) for i in range(side)]
    grid = itertools.islice(itertools.product(swings, swings, factors), n)
    return [
        parse_scenario(
            spec,
            f"s{i}",
            {f"swing.{parties[0]}": a, f"swing.{parties[1]}": b, f"turnout.{community}": f},
        )
        for i, (a, b, f) in enumerate(grid)
    ]


def child(args: argparse.Namespace) -> None:
    """One measurement, printed as JSON on the last line."""
    warnings.filterwarnings("ignore")
    import xarray as xr

    from forecast.data.ingest import ingest_election
    from forecast.data.spec import load_spec
    from forecast.run.scale import headlines
    from forecast.run.scenarios import baseline

    spec = load_spec(args.spec)
    data = ingest_election(spec)
    post = xr.open_datatree(args.posterior).load()
    runs = _sweep(spec, args.scenarios) if args.scenarios else [baseline(spec)]
    samples = args.scenario_samples if args.scenarios else args.samples
    cluster = client = None
    scheduler = "sync"
    if args.cluster:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        )
        client = Client(cluster)
        client.run(_warm)  # imports in the workers: a one-time cost, not throughput
        scheduler = cluster.scheduler_address
    start = time.perf_counter()
    found = headlines(
        post, data, runs, seed=spec.sampler.seed, samples=samples, scheduler=scheduler
    )
    seconds = time.perf_counter() - start
    workers = max(client.run(_peak_mb).values()) if client else 0.0
    out = {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "workers_peak_mb": workers,
        "scenarios": len(runs),
        "samples": samples,
        "check": found[-1]["lists"][spec.party[0].id]["seats_median"],
    }
    if client:
        client.close()
        cluster.close()
    print(json.dumps(out))


def measure(args: argparse.Namespace, **extra) -> dict:
    cmd = [sys.executable, __file__, str(args.spec), "--posterior", str(args.posterior), "--child"]
    for key, value in extra.items():
        flag = "--" + key.replace("_", "-")
        cmd += [flag] if value is True else ([] if value is False else [flag, str(value)])
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=ROOT / "models" / "iraq_2010.toml")
    parser.add_argument("--posterior", type=Path)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--scenarios", type=int, default=0)
    parser.add_argument("--scenario-samples", type=int, default=1000)
    parser.add_argument("--sweep", type=int, default=1000, help="scenarios in the sweep")
    parser.add_argument("--cluster", action="store_true")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    args.posterior = args.posterior or ROOT / "reports" / "out" / args.spec.stem / "posterior.nc"
    if args.child:
        child(args)
        return
    if not args.posterior.exists():
        sys.exit(
            f"no posterior at {args.posterior}: "
            f"run `forecast run {args.spec}` first or give --posterior"
        )
    rows = []
    for part in (8, 4, 2, 1):
        n = args.samples // part
        r = measure(args, samples=n)
        rows.append(("one process", f"{n:,} samples", r))
        print(rows[-1][:2], r, flush=True)
    r = measure(args, samples=args.samples, cluster=True)
    rows.append(("local cluster, 2 workers", f"{args.samples:,} samples", r))
    print(rows[-1][:2], r, flush=True)
    for cluster in (False, True):
        r = measure(
            args, scenarios=args.sweep, scenario_samples=args.scenario_samples, cluster=cluster
        )
        where = "local cluster, 2 workers" if cluster else "one process"
        rows.append((where, f"{args.sweep:,} scenarios x {args.scenario_samples:,} samples", r))
        print(rows[-1][:2], r, flush=True)

    load = os.getloadavg()[0]
    lines = [
        f"## Scale-out: post-fit stages on dask, {args.spec.stem} ({dt.date.today()})",
        "",
        "`forecast.run.scale.headlines` (simulate, allocate, coalitions, formation, delay, risk; "
        "chunks of 10,000 samples reduced to counts) on the fitted posterior; "
        f"{os.cpu_count()} cores ({platform.machine()}), load average {load:.2f} at the end. "
        "One process = dask's sync scheduler; local cluster = dask.distributed LocalCluster, "
        "2 worker processes x 1 thread. "
        "Peak memory = peak resident set of the process (cluster: client + largest worker). "
        "The cluster's workers import the package before the clock starts. "
        "Results are identical on both paths (same seeds per chunk; "
        "checked in tests/test_scale.py).",
        "",
        "| where | work | seconds | samples/s | peak MB |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for where, work, r in rows:
        rate = r["samples"] * r["scenarios"] / r["seconds"]
        peak = r["peak_mb"] + r["workers_peak_mb"]
        lines.append(f"| {where} | {work} | {r['seconds']:.1f} | {rate:,.0f} | {peak:,.0f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    with open(ROOT / "BENCHMARKS.md", "a") as fh:
        fh.write("\n" + table)


if __name__ == "__main__":
    main()
