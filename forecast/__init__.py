"""Probabilistic forecasts of elections in divided societies.

Stages: ``load_spec`` -> ``ingest_election`` -> ``build_model`` -> ``fit_model`` ->
``simulate_votes`` -> ``allocate_seats`` -> ``score_coalitions`` -> ``predict_formation`` ->
``assess_risk`` -> ``render_report``; ``run_forecast`` chains them and ``run_backtest`` scores a
forecast against a truth. Each takes the previous stage's labelled object and returns the next.
The stage functions are imported on first use, so ``import forecast`` does not load PyMC.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from forecast.data.spec import ForecastSpec, load_spec
from forecast.errors import ConvergenceError, DataError, ForecastError, SpecError, StoreError

try:
    __version__ = version("forecast")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

_STAGES = {
    "ingest_election": "forecast.data.ingest",
    "build_model": "forecast.votes.model",
    "fit_model": "forecast.votes.fit",
    "simulate_votes": "forecast.votes.simulate",
    "allocate_seats": "forecast.seats.law",
    "score_coalitions": "forecast.government.coalitions",
    "predict_formation": "forecast.government.formation",
    "assess_risk": "forecast.government.risk",
    "render_report": "forecast.report.render",
    "run_forecast": "forecast.run.pipeline",
    "run_backtest": "forecast.evaluate.backtest",
}

__all__ = [
    "ConvergenceError",
    "DataError",
    "ForecastError",
    "ForecastSpec",
    "SpecError",
    "StoreError",
    "__version__",
    "load_spec",
    *_STAGES,
]


def __getattr__(name: str):
    """Import a stage function on first access (PEP 562)."""
    if name in _STAGES:
        return getattr(import_module(_STAGES[name]), name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")
