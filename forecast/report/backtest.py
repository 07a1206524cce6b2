"""The report's backtest: the scores of the model beside its baselines, and calibration.

Shown only when the summary carries a backtest or one saved beside the run scored this very
forecast; the numbers are :mod:`forecast.evaluate`'s, only laid out here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecast.evaluate.backtest import BACKTEST_FILE
from forecast.report.formats import coalition_name, fmt_p, fmt_seats
from forecast.report.style import GREY, WIDTH, figure_for, style
from forecast.run.pipeline import ForecastResult

__all__ = ["backtest_section", "calibration_tables", "plot_calibration", "saved_backtest"]

log = logging.getLogger("forecast")

_BACKTEST_NAMES = {
    "model": "Model",
    "carry_forward": "Carry-forward",
    "uniform_swing": "Uniform swing",
}


def _sig3(x: float) -> str:
    """Write a score to three significant digits."""
    return f"{x:.3g}"


def _points(share: float) -> str:
    """Write a share's error in percentage points."""
    return f"{100 * share:.1f} pts"


# (key, row label, format) of the backtest's scores table
_BACKTEST_SCORES: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("seat_mae", "Seat error, mean absolute (median)", _sig3),
    ("coverage_50", "Lists inside their 50% interval", fmt_p),
    ("coverage_90", "Lists inside their 90% interval", fmt_p),
    ("crps", "CRPS of seats, mean over lists (lower is better)", _sig3),
    ("log_score", "Log score of seats, mean over lists (higher is better)", _sig3),
    ("vote_share_mae", "Vote share error by province, mean absolute", _points),
    ("p_government", "P(actual government forms)", fmt_p),
    ("p_actual_pm", "P(premiership to the actual PM's list)", fmt_p),
)


def _forecasts(bt: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Return each scored forecast of a backtest by name: the model first, then the baselines."""
    return {"model": bt, **(bt.get("baselines") or {})}


def _display(name: str) -> str:
    """Name a scored forecast as the report does: ``carry_forward`` -> ``Carry-forward``."""
    return _BACKTEST_NAMES.get(name, name.replace("_", " "))


def _backtest_rows(f: Mapping[str, Any]) -> dict[str, str]:
    """One forecast's headline scores, formatted, keyed by the row label; absent scores left out."""
    out = {}
    for key, label, fmt in _BACKTEST_SCORES:
        if f.get(key) is not None:
            out[label] = fmt(f[key])
    if f.get("p_government") is not None:  # a rank only means something beside its probability
        rank = f.get("government_rank")
        out["Rank of the actual government"] = "not a candidate" if rank is None else str(rank)
    if f.get("formation_days_median") is not None:
        lo, hi = f.get("formation_days_lo90"), f.get("formation_days_hi90")
        days = f["formation_days_median"]
        out["Days to form a government: median (90%)"] = (
            fmt_seats(days, lo, hi) if lo is not None and hi is not None else f"{days:.0f}"
        )
    return out


def backtest_section(bt: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Lay out the backtest: its scores table (model beside baselines) and the note above it."""
    forecasts = _forecasts(bt)
    cells = {name: _backtest_rows(f) for name, f in forecasts.items()}
    labels = list(dict.fromkeys(label for c in cells.values() for label in c))
    columns = ["Score", *(_display(n) for n in forecasts)]
    rows = [[label, *(c.get(label, "n/a") for c in cells.values())] for label in labels]
    facts = []
    if bt.get("truth"):
        facts.append(f"Scored against the actual results in {bt['truth']}.")
    if bt.get("lists_scored") is not None and not bt.get("truth_complete", True):
        facts.append(
            f"The results state {bt['truth_seats']} seats: only the "
            f"{len(bt['lists_scored'])} lists they name are scored "
            f"({', '.join(names.get(p, p) for p in bt['lists_scored'])})."
        )
    if bt.get("government"):
        members = coalition_name(bt["government"].split("+"), names)
        facts.append(f"The government that formed: {members}.")
    if bt.get("formation_days_actual") is not None:
        facts.append(f"It took {bt['formation_days_actual']:.0f} days to form.")
    if bt.get("geography"):
        facts.append(_geography_fact(bt["geography"], names))
    return {"scores": {"columns": columns, "rows": rows}, "note": " ".join(facts)}


def _geography_fact(geo: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One sentence on whether any list wins a median seat where its communities hardly live."""
    bound = f"{geo['bound']:.0%}"
    cells = [f"{names.get(c['party'], c['party'])} in {c['province']}" for c in geo["breaches"]]
    if cells:
        text = f"Median district seats where a list's communities are under {bound} of the people: "
        text += ", ".join(cells)
    else:
        text = f"No list has a median district seat where its communities are under {bound}"
    if n := len(geo["unchecked"]):
        seats = "seat" if n == 1 else "seats"
        text += f" ({n} median {seats} could not be checked: a share is unknown)"
    return text + "."


def calibration_tables(bt: Mapping[str, Any] | None) -> dict[str, list[Mapping[str, float]]]:
    """Each forecast's calibration table of a backtest, by display name (model first)."""
    if not bt:
        return {}
    return {
        _display(name): list(f["calibration"])
        for name, f in _forecasts(bt).items()
        if f.get("calibration")
    }


def saved_backtest(result: ForecastResult) -> dict[str, Any] | None:
    """Read the backtest saved beside the run if it scored this very forecast (spec, data, seed)."""
    path = Path(result.out_dir) / BACKTEST_FILE
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        log.warning("ignoring %s: not valid JSON", path)
        return None
    if saved.get("spec_hash") != result.spec_hash or saved.get("seed") != result.seed:
        log.info("not showing %s: it scored another forecast", path)
        return None
    return saved


def plot_calibration(
    calibration: Mapping[str, Sequence[Mapping[str, float]]], *, ax: Axes | None = None
) -> Figure:
    """Plot a backtest's calibration: nominal against empirical coverage of seat intervals.

    Parameters
    ----------
    calibration : mapping of str to sequence of mappings
        Forecast name (model first, then the baselines) -> rows of ``nominal`` (the central
        interval's probability) and ``empirical`` (the share of lists whose actual seats fell
        inside), as in ``backtest.json``.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    """
    styles = [("#2c5d8f", "o", "-"), ("#e08214", "s", "--"), ("#1b7837", "^", ":")]
    with style():
        fig, ax = figure_for(ax, (WIDTH * 0.8, 2.6))
        ax.plot([0, 1], [0, 1], color=GREY, lw=0.8, label="perfect calibration")
        for k, (name, rows) in enumerate(calibration.items()):
            colour, marker, line = styles[k % len(styles)]
            nominal = [r["nominal"] for r in rows]
            empirical = [r["empirical"] for r in rows]
            ax.plot(
                nominal, empirical, color=colour, marker=marker, ls=line, lw=1.2, ms=4, label=name
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.03, 1.03)
        percent = mpl.ticker.PercentFormatter(xmax=1.0, decimals=0)
        ax.xaxis.set_major_formatter(percent)
        ax.yaxis.set_major_formatter(percent)
        ax.set_xlabel("nominal coverage of the central seat interval")
        ax.set_ylabel("share of lists inside")
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig
