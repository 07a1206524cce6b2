"""Backtest: forecast a past election from the evidence its spec allows, then score it.

:func:`run_backtest` runs the ordinary forecast (:func:`forecast.run.pipeline.run_forecast`, which
reads only the target's law tables, never its results), reads what actually happened from a
*truth* folder of the same format as an election folder under ``data/``
(:func:`forecast.evaluate.truth.read_truth`), and scores the model and two baselines
(:mod:`forecast.evaluate.baselines`) with the same functions (:mod:`forecast.evaluate.scores`,
whose docstring defines each score).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from rich.table import Table

from forecast import __version__, dims
from forecast.data.spec import ForecastSpec
from forecast.data.tables import write_atomic
from forecast.evaluate.baselines import carry_forward_votes, uniform_swing_votes
from forecast.evaluate.geography import seats_outside_base
from forecast.evaluate.scores import UNIFORM_WEIGHT, headline, score_forecast
from forecast.evaluate.truth import Truth, read_truth, refuse_leakage
from forecast.government.coalitions import score_coalitions
from forecast.government.duration import predict_formation_days
from forecast.government.formation import predict_formation
from forecast.run.pipeline import ForecastResult, run_forecast
from forecast.run.results import SUMMARY_FILE, save_result, summarise
from forecast.seats.bind import target_magnitude
from forecast.seats.law import allocate_seats

__all__ = ["BACKTEST_FILE", "Backtest", "backtest_scores", "run_backtest", "scores_table"]

log = logging.getLogger("forecast")

# Written beside a run; the report reads it so that re-rendering keeps its backtest section.
BACKTEST_FILE = "backtest.json"


def _government_stages(seats: xr.Dataset, spec: ForecastSpec, seed: int) -> xr.Dataset:
    """Run the coalition, formation and formation-time stages, seeded as in the pipeline."""
    table = score_coalitions(seats, spec)
    table = predict_formation(table, spec, seed=seed + 3)
    return predict_formation_days(table, spec, seed=seed + 4)


def _baseline(
    votes: xr.Dataset, result: ForecastResult, truth: Truth, *, repeat: int = 1
) -> dict[str, Any]:
    """Seats by the spec's law and every score of a baseline's votes.

    ``repeat`` copies a point forecast's seats over that many samples for the formation stage
    only, so that its probabilities average over the same number of coefficient draws as the
    model's; the seat scores see the single sample.
    """
    spec, seed = result.spec, result.seed
    magnitude = target_magnitude(spec, result.data)
    seats = allocate_seats(
        votes["votes"], magnitude, spec.law, valid_votes=votes["valid_votes"], seed=seed + 2
    )
    many = seats.isel({dims.SAMPLE: np.zeros(repeat, dtype=int)}) if repeat > 1 else seats
    many = many.assign_coords({dims.SAMPLE: np.arange(many.sizes[dims.SAMPLE])})
    table = _government_stages(many, spec, seed)
    return score_forecast(votes, seats, table, truth, spec)


def backtest_scores(result: ForecastResult, truth: Truth) -> dict[str, Any]:
    """Score the model and the baselines: the content of ``backtest.json``.

    Parameters
    ----------
    result : ForecastResult
        The forecast of the target election.
    truth : Truth
        Its actual results.

    Returns
    -------
    dict
        Identity (``election``, ``truth``, ``spec_hash``, ``seed``, ``version``), the actual
        government, ``pooled_lists``, ``log_score_rule``, the model's scores (see
        :func:`score_forecast`) and ``baselines``: name -> the same scores.
    """
    spec = result.spec
    model = score_forecast(result.votes, result.seats, result.coalitions, truth, spec)
    base = carry_forward_votes(result.data, spec)
    swing = uniform_swing_votes(result.votes, base, result.data, spec)
    n = result.seats.sizes[dims.SAMPLE]
    baselines = {
        "carry_forward": _baseline(base, result, truth, repeat=n),
        "uniform_swing": _baseline(swing, result, truth),
    }
    gov = truth.government
    folder = truth.folder.resolve()
    return {
        "election": spec.election.id,
        "truth": str(folder.relative_to(spec.root) if folder.is_relative_to(spec.root) else folder),
        "seats_from": truth.seats_file,
        "spec_hash": result.spec_hash,
        "seed": result.seed,
        "version": __version__,
        "actual_government": None
        if gov is None
        else {"members": list(gov.members), "pm_party": gov.pm_party, "days": gov.days},
        "pooled_lists": truth.pooled,
        "log_score_rule": (
            f"log of 0.99 x P(actual seats) + 0.01 / (house + 1): {UNIFORM_WEIGHT:.0%} uniform "
            "over "
            f"0..{spec.law.house_size} seats, so a miss scores a finite penalty"
        ),
        **model,
        "geography": seats_outside_base(result.seats, result.data, spec),
        "baselines": baselines,
    }


@dataclass(frozen=True)
class Backtest:
    """A finished backtest: the forecast, its scores (``backtest.json``) and the files written."""

    result: ForecastResult
    scores: dict[str, Any]
    paths: dict[str, Path]


def run_backtest(
    spec: ForecastSpec,
    truth_dir: Path,
    *,
    out_dir: Path | None = None,
    seed: int | None = None,
    samples: int | None = None,
    progress: bool = True,
) -> Backtest:
    """Forecast the spec's target election and score it and the baselines against the truth.

    Parameters
    ----------
    spec : ForecastSpec
        The forecast; only its evidence is fitted.
    truth_dir : Path
        Folder of the actual results (see :func:`read_truth`); read here only, never by the
        forecast, and never one of the spec's evidence folders.
    out_dir : Path, optional
        Output folder (as for ``forecast run``; a saved posterior of the same spec, data and
        seed there is reused).
    seed : int, optional
        Random seed; defaults to the spec's.
    samples : int, optional
        Posterior predictive samples; defaults to the spec's.
    progress : bool
        Show progress bars.

    Returns
    -------
    Backtest
        Writes the run's files, ``backtest.json`` and ``summary.json`` with a ``backtest`` key;
        the report (:func:`forecast.report.render.render_report`) reads them.

    Raises
    ------
    SpecError
        When the truth folder is an evidence folder of the spec.
    DataError
        When a truth file is malformed (naming file, row and field).
    """
    refuse_leakage(spec, truth_dir)
    truth = read_truth(truth_dir, spec)  # before the fit: a bad truth folder fails fast
    result = run_forecast(spec, seed=seed, draws=samples, out_dir=out_dir, progress=progress)
    scores = backtest_scores(result, truth)
    log.info("backtest scored: seat MAE %.2f, CRPS %.2f", scores["seat_mae"], scores["crps"])
    paths = save_result(result)
    summary = json.dumps({**summarise(result), "backtest": headline(scores)}, indent=2)
    paths["summary"] = write_atomic(
        result.out_dir / SUMMARY_FILE, lambda tmp: tmp.write_text(summary)
    )
    payload = json.dumps(scores, indent=2)
    paths["backtest"] = write_atomic(
        result.out_dir / BACKTEST_FILE, lambda tmp: tmp.write_text(payload)
    )
    return Backtest(result, scores, paths)


_SCORE_ROWS = (
    ("seat_mae", "Seat MAE (median)", "{:.2f}"),
    ("coverage_50", "Lists inside 50% interval", "{:.0%}"),
    ("coverage_90", "Lists inside 90% interval", "{:.0%}"),
    ("log_score", "Log score (higher is better)", "{:.3f}"),
    ("crps", "CRPS of seats (lower is better)", "{:.2f}"),
    ("vote_share_mae", "Vote share MAE", "{:.3f}"),
    ("government_rank", "Rank of the actual government", "{}"),
    ("p_government", "P(actual government)", "{:.3f}"),
    ("p_actual_pm", "P(actual PM's list)", "{:.3f}"),
)


def scores_table(scores: Mapping[str, Any]) -> Table:
    """Lay out the model's and the baselines' headline scores as a table for the terminal."""
    forecasts = {"model": scores, **scores.get("baselines", {})}
    table = Table(title=f"Backtest of {scores['election']} against {scores['truth']}")
    table.add_column("score")
    for name in forecasts:
        table.add_column(name.replace("_", " "), justify="right")
    for key, label, fmt in _SCORE_ROWS:
        cells = [
            fmt.format(f[key]) if f.get(key) is not None else "n/a" for f in forecasts.values()
        ]
        table.add_row(label, *cells)
    return table
