"""``run_forecast``: the stages called in order, each on the previous stage's object."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from forecast.ingest import ingest_election
from forecast.spec import ForecastSpec

__all__ = ["ForecastResult", "run_forecast"]

log = logging.getLogger("forecast")

# Stages still to be built, in pipeline order, with the issue that builds each.
PENDING_STAGES = (
    "vote and turnout model, fit and simulation (#3)",
    "seat allocation of the simulated votes (#2)",
    "coalitions, formation, power and conflict risk (#4)",
    "result files and the PDF report (#5)",
)


@dataclass(frozen=True)
class ForecastResult:
    """What a run produced: the spec, each stage's object, and the stages not yet built."""

    spec: ForecastSpec
    data: xr.Dataset
    out_dir: Path | None = None
    pending: tuple[str, ...] = field(default=())

    def summary_line(self) -> str:
        """One sentence for the terminal."""
        done = f"Checked the spec and data of {self.spec.election.id}."
        if self.pending:
            return done + " Not built yet, so not run: " + "; ".join(self.pending) + "."
        return done + f" Report in {self.out_dir}."


def run_forecast(
    spec: ForecastSpec,
    *,
    seed: int | None = None,
    draws: int | None = None,
    out_dir: Path | None = None,
    progress: bool = True,
) -> ForecastResult:
    """Run every built stage of the forecast for ``spec``.

    Parameters
    ----------
    spec : ForecastSpec
        The loaded spec.
    seed : int, optional
        Random seed; defaults to the spec's sampler seed.
    draws : int, optional
        Posterior predictive samples; defaults to the spec's.
    out_dir : Path, optional
        Output folder; defaults to ``reports/out/<spec stem>/``.
    progress : bool
        Show progress bars on long stages.
    """
    data = ingest_election(spec)
    log.info("ingested %d elections x %d provinces x %d lists", *data["votes"].shape)
    return ForecastResult(spec=spec, data=data, out_dir=out_dir, pending=PENDING_STAGES)
