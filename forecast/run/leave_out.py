"""What would change the forecast: its seats again without each of its inputs in turn.

Each past election of the evidence, and the polls, is left out in turn: the vote model is
refitted on the rest with a light sampler (:data:`LIGHT`), the seats simulated under the same law,
and each list's mean seats set against the full forecast's. The inputs whose removal moves the
most seats are those the forecast leans on; the report's first page names three. A light fit
ranks inputs, it is not a forecast: its diagnostics and the Monte Carlo error of its mean seats
are kept beside the shifts. Each fit is saved in ``leave_out/<input>/`` of the run's folder and
reused, as the run's own posterior is, by a rerun with the same spec, data and seed.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import xarray as xr

from forecast import dims
from forecast.data.ingest import ingest_election
from forecast.data.spec import ForecastSpec
from forecast.errors import ForecastError
from forecast.run.pipeline import ForecastResult, fitted_posterior, simulate_seats
from forecast.run.scale import DEFAULT_CHUNK
from forecast.run.store import data_hash
from forecast.seats.bind import bind_law

__all__ = ["LIGHT", "SAMPLES", "leave_one_out", "leave_out_specs"]

log = logging.getLogger("forecast")

# Sampler of the refits: enough to rank the inputs by the seats they move (a Monte Carlo error
# of a seat or less on a list's mean), a fifth of the default fit's work. PyMC's sampler, not
# nutpie: each refit is a new model, and nutpie's numba compilation of a new model (about 85 s
# for Iraq 2010, BENCHMARKS.md) costs more than PyMC's C compilation and slower sampling together.
LIGHT = {"backend": "pymc", "chains": 2, "tune": 500, "draws": 250, "retries": 0}
# The refits are not held to the convergence gate, whose warnings would read as the forecast's.
_GATE_WARNINGS = ("SAMPLER DID NOT CONVERGE", "%d divergent transitions")
SAMPLES = 1000  # posterior predictive samples of each refit


def leave_out_specs(spec: ForecastSpec) -> list[tuple[str, str, ForecastSpec]]:
    """Return ``(input, label, spec without it)`` for each input the forecast can do without.

    A past election goes with its lineage rows (a spec keeps at least one election); the polls
    go as ``--no-polls`` takes them out.
    """
    out = []
    if len(spec.evidence) > 1:
        for e in spec.evidence:
            rest = tuple(x for x in spec.evidence if x.id != e.id)
            lineage = tuple(r for r in spec.lineage if r.election != e.id)
            label = f"the {e.kind.replace('_', ' ')} election of {e.date:%B %Y}"
            out.append(
                (e.id, label, spec.model_copy(update={"evidence": rest, "lineage": lineage}))
            )
    if spec.data.polls is not None:
        out.append(("polls", "the polls", spec.with_polls(False)))
    return out


def leave_one_out(
    result: ForecastResult, *, progress: bool = True, scheduler: str | None = None
) -> ForecastResult:
    """Return the result with ``leave_out``: one row per input, the most seats moved first.

    Each row has ``input``, ``label`` and either ``seats_moved`` (half the summed absolute
    shifts of the lists' mean seats: the seats that change hands), ``shifts`` (list -> mean
    seats without the input less with it, lists moving half a seat or more, largest first),
    ``mcse_seats``, ``rhat_max``, ``ess_bulk_min`` and ``divergences`` of the refit, or
    ``error`` when the spec cannot do without the input.
    """
    full = result.seats["seats"].mean(dims.SAMPLE)
    inputs = leave_out_specs(result.spec)
    rows = []
    for i, (key, label, spec) in enumerate(inputs, start=1):
        log.info("what would change it: without %s (%d of %d)", label, i, len(inputs))
        row: dict[str, Any] = {"input": key, "label": label}
        try:
            row |= _refit(spec, key, full, result, progress=progress, scheduler=scheduler)
        except ForecastError as exc:
            log.warning("cannot leave out %s: %s", label, exc)
            row["error"] = str(exc)
        rows.append(row)
    rows.sort(key=lambda r: -r.get("seats_moved", -1.0))
    return replace(result, leave_out=rows)


@contextlib.contextmanager
def _without_gate_warnings() -> Iterator[None]:
    """Drop the convergence gate's warnings from the log while a light refit runs."""

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_GATE_WARNINGS)

    log.addFilter(keep)
    try:
        yield
    finally:
        log.removeFilter(keep)


def _refit(
    spec: ForecastSpec,
    key: str,
    full: xr.DataArray,
    result: ForecastResult,
    *,
    progress: bool,
    scheduler: str | None,
) -> dict[str, Any]:
    """Fit and simulate the spec without one input; return its shifts and diagnostics."""
    spec = spec.model_copy(update={"sampler": spec.sampler.model_copy(update=LIGHT)})
    spec, data = bind_law(spec, ingest_election(spec))
    with _without_gate_warnings():
        post = fitted_posterior(
            spec,
            data,
            seed=result.seed,
            key=data_hash(spec, data, fit_only=True),
            out_dir=result.out_dir / "leave_out" / key,
            progress=progress,
        )
    where = {"seed": result.seed, "chunk": DEFAULT_CHUNK, "scheduler": scheduler}
    seats = simulate_seats(post, data, spec, samples=SAMPLES, **where)[1]["seats"]
    shift = (seats.mean(dims.SAMPLE) - full).to_series()
    ess = float(post.attrs["ess_bulk_min"])
    return {
        "seats_moved": round(float(shift.abs().sum()) / 2, 1),
        "shifts": {
            str(p): round(float(v), 1)
            for p, v in shift.sort_values(key=abs, ascending=False).items()
            if abs(v) >= 0.5
        },
        "mcse_seats": round(float(seats.std(dims.SAMPLE).max()) / math.sqrt(max(ess, 1.0)), 2),
        "rhat_max": float(post.attrs["rhat_max"]),
        "ess_bulk_min": ess,
        "divergences": int(post.attrs["divergences"]),
    }
