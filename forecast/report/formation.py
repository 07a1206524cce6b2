"""The report's formation delay: days to a government, the protracted line, and their figure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecast.dims import CI_BOUND
from forecast.report.formats import fmt_p
from forecast.report.style import ACCENT, INK, WIDTH, figure_for, style
from forecast.run.pipeline import ForecastResult

__all__ = ["formation_section", "plot_formation_days", "protracted_days"]

_DAY_TICKS = (
    (1, "1 day"),
    (7, "1 week"),
    (30, "1 month"),
    (91, "3 months"),
    (183, "6 months"),
    (365, "1 year"),
    (730, "2 years"),
    (1826, "5 years"),
    (3652, "10 years"),
    (7305, "20 years"),
)


def protracted_days(result: ForecastResult) -> float:
    """Return the days beyond which the duration stage called a formation protracted."""
    days = result.coalitions["p_formation_over"].attrs.get("days")
    return float(result.spec.duration.protracted_days if days is None else days)


def formation_section(result: ForecastResult, summary: Mapping[str, Any]) -> dict[str, str]:
    """Lay out the delay: median days, 90% interval, and the chance of a protracted formation."""
    days = summary["formation_days"]
    return {
        "median": f"{days['median']:.0f}",
        "lo90": f"{days['lo90']:.0f}",
        "hi90": f"{days['hi90']:.0f}",
        "p_over": fmt_p(days["p_over_6_months"]),
        "limit": f"{protracted_days(result):.0f}",
    }


def _days(x: float) -> str:
    """Write a number of days: ``1 day``, ``1,826 days``."""
    return f"{x:,.0f} day" + ("" if round(x) == 1 else "s")


def plot_formation_days(
    coalitions: xr.Dataset,
    *,
    protracted_days: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot the days to a government: histogram, median, 90% interval, protracted line.

    Parameters
    ----------
    coalitions : xr.Dataset
        ``CoalitionTable`` after :func:`forecast.government.duration.predict_formation_days`:
        ``formation_days`` (sample), ``formation_days_median``, ``formation_days_eti``
        (ci_bound) and ``p_formation_over``.
    protracted_days : float, optional
        Where to draw the "protracted" line; defaults to ``p_formation_over.attrs["days"]``.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    """
    days = np.asarray(coalitions["formation_days"].values, dtype=float)
    days = days[np.isfinite(days) & (days > 0)]
    limit = float(protracted_days or coalitions["p_formation_over"].attrs.get("days", 183.0))
    median = float(coalitions["formation_days_median"])
    eti = coalitions["formation_days_eti"]
    lo, hi = float(eti.sel({CI_BOUND: "lower"})), float(eti.sel({CI_BOUND: "upper"}))
    p_over = float(coalitions["p_formation_over"])
    with style():
        fig, ax = figure_for(ax, (WIDTH, 2.3))
        left = max(1.0, lo * 0.5)
        right = max(hi * 1.5, limit * 2.0)
        bins = np.geomspace(left, right, 45)
        ax.axvspan(lo, hi, color="#c6dbef", zorder=0, label="90% interval")
        # the tails are drawn in the end bins, with their share written above them
        counts, _, _ = ax.hist(
            np.clip(days, left, right), bins=bins, color="#4575b4", alpha=0.85, zorder=1
        )
        for share, x, n, ha, text in (
            (float((days < left).mean()), left, counts[0], "left", f"under {_days(left)}"),
            (float((days > right).mean()), right, counts[-1], "right", f"over {_days(right)}"),
        ):
            if share > 0:
                ax.annotate(
                    f"{fmt_p(share)} {text}",
                    (x, n),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha=ha,
                    va="bottom",
                    fontsize=7,
                    color="#444444",
                )
        ax.axvline(median, color=INK, lw=1.2, label="median")
        ax.axvline(
            limit,
            color=ACCENT,
            ls="--",
            lw=1.2,
            label=f"{limit:.0f} days: {fmt_p(p_over)} chance of taking longer",
        )
        ax.set_xscale("log")
        gap = np.log10(right / left) / 9  # ticks at least this far apart (decades)
        ticks: list[tuple[float, str]] = []
        for d, t in _DAY_TICKS:
            if left <= d <= right and (not ticks or np.log10(d / ticks[-1][0]) >= gap):
                ticks.append((d, t))
        ax.set_xticks([d for d, _ in ticks], [t for _, t in ticks])
        ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
        ax.set_xlim(left, right)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel("days from election day to a government (log scale)")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), ncols=3, borderaxespad=0.0)
    return fig
