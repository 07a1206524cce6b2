"""Probabilistic forecasts of elections in divided societies.

Stages: ``load_spec`` -> ``ingest_election`` -> ``build_model`` -> ``fit_model`` ->
``simulate_votes`` -> ``allocate_seats`` -> ``score_coalitions`` -> ``assess_risk`` ->
``render_report``. Each takes the previous stage's labelled object and returns the next.
"""

from importlib.metadata import PackageNotFoundError, version

from forecast.errors import ConvergenceError, DataError, ForecastError, SpecError, StoreError
from forecast.spec import ForecastSpec, load_spec

try:
    __version__ = version("forecast")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = [
    "ConvergenceError",
    "DataError",
    "ForecastError",
    "ForecastSpec",
    "SpecError",
    "StoreError",
    "__version__",
    "load_spec",
]
