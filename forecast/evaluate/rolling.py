"""Rolling backtest: every past election of a country forecast from the elections before it.

Each spec in a folder of specs forecasts one election from the evidence its date allows; a
rolling backtest runs every spec of the same country up to a given one, scores each against its
own target folder's results (:func:`forecast.evaluate.backtest.run_backtest`) and pools the
scores over all scored lists and elections, for the model and both baselines alike. A
forecaster's record is judged over many forecasts, not one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from forecast.data.spec import ForecastSpec, load_spec
from forecast.errors import DataError
from forecast.evaluate.backtest import run_backtest
from forecast.evaluate.scores import CALIBRATION_LEVELS
from forecast.evaluate.truth import read_truth
from forecast.run.store import write_atomic

__all__ = [
    "ROLLING_FILE",
    "SCORE_COLUMNS",
    "pool_scores",
    "rolling_specs",
    "rolling_table",
    "run_rolling",
]

log = logging.getLogger(__name__)

ROLLING_FILE = "rolling.json"


def rolling_specs(spec_path: Path) -> list[ForecastSpec]:
    """Return the specs of its country in its folder, up to its date, with a scorable truth.

    A spec whose target folder holds no seat results (an election still to come) is left out.
    """
    spec = load_spec(spec_path)
    found = []
    for path in sorted(spec_path.resolve().parent.glob("*.toml")):
        other = load_spec(path)
        same = other.election.country == spec.election.country
        if not same or other.election.date > spec.election.date:
            continue
        try:
            read_truth(other.resolve(other.data.target), other)
        except DataError as exc:
            log.info("rolling backtest leaves out %s: %s", other.election.id, exc)
            continue
        found.append(other)
    return sorted(found, key=lambda s: (s.election.date, s.election.id))


def _forecasts(scores: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Return the model's and each baseline's scores of one election."""
    return {"model": scores, **scores.get("baselines", {})}


def _pooled(forecasts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Pooled scores of one forecaster over the lists of every election it forecast."""
    lists = [r for f in forecasts for r in f["lists"]]
    n = np.array([len(f["lists"]) for f in forecasts], dtype=float)
    calibration = []
    for k, level in enumerate(CALIBRATION_LEVELS):
        empirical = [f["calibration"][k]["empirical"] for f in forecasts]
        calibration.append(
            {"nominal": level, "empirical": round(float(n @ empirical / max(n.sum(), 1.0)), 4)}
        )

    def mean(values: list[float]) -> float:
        return round(float(np.mean(values)), 4)

    return {
        "lists_scored": len(lists),
        "coverage_50": mean([r["inside_50"] for r in lists]),
        "coverage_90": mean([r["inside_90"] for r in lists]),
        "seat_mae": mean([abs(r["error"]) for r in lists]),
        "crps": mean([r["crps"] for r in lists]),
        "log_score": mean([r["log_score"] for r in lists]),
        "width_90": mean([r["seats_hi90"] - r["seats_lo90"] for r in lists]),
        "calibration": calibration,
    }


def pool_scores(per_election: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-election and pooled scores of the model and the baselines.

    Pooled over every scored list of every election: 50% and 90% coverage, seat MAE, CRPS,
    log score, mean 90% interval width (sharpness) and the calibration table (each election's
    weighted by its lists scored).
    """
    names = list(_forecasts(per_election[0]))
    elections = [
        {
            "election": s["election"],
            "truth": s["truth"],
            **{name: _pooled([f]) for name, f in _forecasts(s).items()},
        }
        for s in per_election
    ]
    pooled = {name: _pooled([_forecasts(s)[name] for s in per_election]) for name in names}
    return {"elections": elections, "pooled": pooled}


def run_rolling(
    specs: Sequence[ForecastSpec],
    out_root: Path,
    *,
    seed: int | None = None,
    samples: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Backtest every spec against its own target folder and pool the scores.

    Writes each election's run under ``out_root/<election id>`` and ``rolling.json`` there.
    """
    per_election = []
    for k, spec in enumerate(specs, start=1):
        log.info("rolling backtest %d of %d: %s", k, len(specs), spec.election.id)
        done = run_backtest(
            spec,
            spec.resolve(spec.data.target),
            out_dir=out_root / spec.election.id,
            seed=seed,
            samples=samples,
            progress=progress,
        )
        per_election.append(done.scores)
    rolling = pool_scores(per_election)
    payload = json.dumps(rolling, indent=2)
    out_root.mkdir(parents=True, exist_ok=True)
    write_atomic(out_root / ROLLING_FILE, lambda tmp: tmp.write_text(payload))
    return rolling


# (key, column label, format) of the scores a backtest table shows for each forecaster
SCORE_COLUMNS = (
    ("coverage_50", "50% cover", "{:.0%}"),
    ("coverage_90", "90% cover", "{:.0%}"),
    ("seat_mae", "seat MAE", "{:.2f}"),
    ("crps", "CRPS", "{:.2f}"),
    ("log_score", "log score", "{:.3f}"),
    ("width_90", "90% width", "{:.1f}"),
)
_ROWS = (("lists_scored", "lists", "{}"), *SCORE_COLUMNS)


def rolling_table(rolling: Mapping[str, Any]) -> Table:
    """Lay out the per-election and pooled scores of every forecaster for the terminal."""
    table = Table(title="Rolling backtest")
    table.add_column("election")
    table.add_column("forecaster")
    for _, label, _ in _ROWS:
        table.add_column(label, justify="right")
    rows = [*rolling["elections"], {"election": "pooled", **rolling["pooled"]}]
    for row in rows:
        for name, f in row.items():
            if name in ("election", "truth"):
                continue
            table.add_row(
                row["election"], name.replace("_", " "), *(fmt.format(f[k]) for k, _, fmt in _ROWS)
            )
    return table
