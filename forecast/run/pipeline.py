"""``run_forecast``: the stages called in order, each on the previous stage's object.

The fitted posterior is saved beside the outputs with the hash of the spec's fit sections and
the data, so a rerun with the same spec, data and seed (and ``forecast report``) reuses it instead
of refitting, as does a run whose spec differs only in post-fit sections (coalitions, risk,
scenarios, ...). The post-fit stages run in chunks of samples on dask (``forecast.run.scale``),
under the spec's law bound to the target's tables (``forecast.seats.bind``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import xarray as xr

from forecast.data.ingest import ingest_election
from forecast.data.lineage import lineage_elections
from forecast.data.spec import ForecastSpec
from forecast.errors import StoreError
from forecast.government.coalitions import coalition_candidates
from forecast.government.power import power_indices
from forecast.run.dryrun import dry_run
from forecast.run.scale import (
    DEFAULT_CHUNK,
    chunk_bounds,
    coalition_stage,
    concat_samples,
    headlines,
    predictive_inputs,
    run_tasks,
    votes_and_seats,
)
from forecast.run.scenarios import Scenario, baseline
from forecast.run.store import data_hash, load_tree, save_tree
from forecast.seats.bind import bind_law
from forecast.votes.diagnostics import turnout_coverage, vote_share_coverage
from forecast.votes.fit import fit_model
from forecast.votes.model import build_model

__all__ = [
    "ForecastResult",
    "run_forecast",
    "default_out_dir",
    "fitted_posterior",
    "simulate_seats",
    "POSTERIOR_FILE",
]

log = logging.getLogger("forecast")
POSTERIOR_FILE = "posterior.nc"


@dataclass(frozen=True)
class ForecastResult:
    """What a run produced: the spec and every stage's object (held, never recomputed)."""

    spec: ForecastSpec
    data: xr.Dataset
    posterior: xr.DataTree
    votes: xr.Dataset
    seats: xr.Dataset
    coalitions: xr.Dataset
    power: xr.Dataset
    risk: xr.Dataset
    spec_hash: str
    seed: int
    out_dir: Path
    checks: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    leave_out: list[dict[str, Any]] = field(default_factory=list)


def default_out_dir(spec: ForecastSpec) -> Path:
    """``reports/out/<spec stem>/`` under the project root."""
    stem = spec.source_file.stem if spec.source_file else spec.election.id
    return spec.root / "reports" / "out" / stem


def fitted_posterior(
    spec: ForecastSpec, data: xr.Dataset, *, seed: int, key: str, out_dir: Path, progress: bool
) -> xr.DataTree:
    """Return the saved posterior of this spec, data and seed, or fit one and save it."""
    path = out_dir / POSTERIOR_FILE
    if path.exists():
        try:
            tree = load_tree(path, spec_hash=key, seed=seed)
            log.info("reusing the posterior in %s (same spec, data and seed)", path)
            return tree
        except StoreError as exc:
            log.info("not reusing %s: %s", path, exc.message)
    model = build_model(data, spec)
    log.info(
        "sampling %d chains x %d draws (%s)",
        spec.sampler.chains,
        spec.sampler.draws,
        spec.sampler.backend,
    )
    tree = fit_model(model, spec.sampler, seed=seed, spec_hash=key, progress=progress)
    save_tree(tree, path)
    return tree


class _Laps:
    """Wall time of each stage, logged as it ends (``ForecastResult.timings``)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def __call__(self, stage: str) -> None:
        """Close the lap of ``stage``."""
        now = time.perf_counter()
        self.timings[stage] = round(now - self._clock, 3)
        log.info("%s done in %.1f s", stage, now - self._clock)
        self._clock = now


def simulate_seats(
    posterior: xr.DataTree,
    data: xr.Dataset,
    spec: ForecastSpec,
    *,
    seed: int,
    samples: int,
    chunk: int,
    scheduler: str | None,
) -> tuple[xr.Dataset, xr.Dataset]:
    """Simulate the target election's votes and allocate its seats, chunk by chunk."""
    chunks = run_tasks(
        votes_and_seats,
        {"post": predictive_inputs(posterior), "data": data, "scenario": baseline(spec)},
        [
            {"seed": seed, "index": i, "start": a, "stop": b}
            for i, (a, b) in enumerate(chunk_bounds(samples, chunk))
        ],
        scheduler=scheduler,
    )
    return concat_samples([v for v, _ in chunks]), concat_samples([s for _, s in chunks])


def run_forecast(
    spec: ForecastSpec,
    *,
    seed: int | None = None,
    draws: int | None = None,
    out_dir: Path | None = None,
    progress: bool = True,
    scenarios: list[Scenario] | None = None,
    scheduler: str | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> ForecastResult:
    """Run every stage of the forecast for ``spec``, then its scenarios.

    Parameters
    ----------
    spec : ForecastSpec
        The loaded spec.
    seed : int, optional
        Random seed; defaults to the spec's sampler seed. Each stage derives its own seed from it.
    draws : int, optional
        Posterior predictive samples; defaults to the spec's ``sampler.samples``.
    out_dir : Path, optional
        Output folder; defaults to ``reports/out/<spec stem>/``.
    progress : bool
        Show progress bars on long stages.
    scenarios : list of Scenario, optional
        Scenarios run beside the spec's own ``[[scenario]]`` blocks (and the baseline).
    scheduler : str, optional
        Where the post-fit chunks run (``forecast.run.scale.run_tasks``): local threads by default.
    chunk : int
        Samples per chunk of the post-fit stages; with the seed, it fixes the draws.
    """
    seed = spec.sampler.seed if seed is None else seed
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(spec)
    n = draws or spec.sampler.samples
    lap = _Laps()
    loaded = spec  # its hash identifies the run: the bound tables are read from hashed files
    spec, data = bind_law(spec, ingest_election(spec))
    extra = [replace(s, spec=bind_law(s.spec, data)[0]) for s in scenarios or ()]
    runs = dry_run(spec, data, extra=extra)  # what the stages would refuse, refused now
    lap("ingest and checks")
    fit_key = data_hash(loaded, data, fit_only=True)
    posterior = fitted_posterior(
        spec, data, seed=seed, key=fit_key, out_dir=out_dir, progress=progress
    )
    checks = {
        "vote_share": vote_share_coverage(posterior, data, lineage_elections(spec), seed=seed + 6),
        "turnout": turnout_coverage(posterior, data, seed=seed + 7),
    }
    lap("fit")
    where = {"seed": seed, "chunk": chunk, "scheduler": scheduler}
    votes, seats = simulate_seats(posterior, data, spec, samples=n, **where)
    lap("simulate and allocate")
    candidates = coalition_candidates(seats, spec)
    table, risk = coalition_stage(seats, spec, seed=seed, index=0, candidates=candidates)
    power = power_indices(seats, spec)
    lap("coalitions and risk")
    found = []
    if runs:
        found = headlines(posterior, data, [baseline(spec), *runs], samples=n, **where)
        lap("scenarios")
    return ForecastResult(
        spec=spec,
        data=data,
        posterior=posterior,
        votes=votes,
        seats=seats,
        coalitions=table,
        power=power,
        risk=risk,
        spec_hash=data_hash(loaded, data),
        seed=seed,
        out_dir=out_dir,
        checks=checks,
        timings=lap.timings,
        scenarios=found,
    )
