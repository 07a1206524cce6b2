"""The report's pivotal power: Banzhaf and Shapley-Shubik indices per list, table and figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecast.dims import CI_BOUND, PARTY
from forecast.report.formats import fmt_interval, fmt_p
from forecast.report.style import GREY, INK, WIDTH, figure_for, list_colours, style

__all__ = ["plot_power", "power_table"]

# (variable prefix, legend label, marker, offset from the list's row) of each index drawn
_INDICES = (
    ("banzhaf", "Banzhaf", "o", 0.14),
    ("shapley_shubik", "Shapley\u2013Shubik", "s", -0.14),
)


def power_table(power: xr.Dataset, names: Mapping[str, str]) -> list[dict[str, str]]:
    """Lay out one row per list: both indices with their intervals, most pivotal, power/seats."""
    rows = []
    for p in power[PARTY].values:
        r = power.sel({PARTY: p})
        rows.append(
            {
                "name": names.get(str(p), str(p)),
                "banzhaf": f"{fmt_p(float(r['banzhaf_mean']))} "
                f"({fmt_interval(*map(float, r['banzhaf_eti'].values))})",
                "shapley_shubik": f"{fmt_p(float(r['shapley_shubik_mean']))} "
                f"({fmt_interval(*map(float, r['shapley_shubik_eti'].values))})",
                "p_most_pivotal": fmt_p(float(r["p_most_pivotal"])),
                "per_seat_share": f"{float(r['banzhaf_per_seat_share']):.2f}",
            }
        )
    return rows


def plot_power(
    power: xr.Dataset,
    *,
    names: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    colours: Mapping[str, str] | None = None,
) -> Figure:
    """Plot the pivotal power of each list: Banzhaf and Shapley-Shubik means, 90% intervals.

    Parameters
    ----------
    power : xr.Dataset
        From :func:`forecast.government.power.power_indices`: ``banzhaf_mean``,
        ``shapley_shubik_mean`` (party), ``banzhaf_eti``, ``shapley_shubik_eti`` (party,
        ci_bound), ``p_most_pivotal`` and ``banzhaf_per_seat_share`` (party).
    names : Mapping, optional
        List slug -> display name.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    colours : Mapping, optional
        List slug -> colour.
    """
    parties = [str(p) for p in power[PARTY].values]
    names = names or {}
    colours = colours or list_colours(parties)
    with style():
        fig, ax = figure_for(ax, (WIDTH, 0.8 + 0.26 * len(parties)))
        y = np.arange(len(parties))[::-1]
        for index in _INDICES:
            _draw_index(ax, power, index, parties, colours, y)
        ax.set_xlim(0, 1.0)
        _pivotal_columns(ax, power, y)
        ax.set_yticks(y, [names.get(p, p) for p in parties])
        ax.set_ylim(-0.7, len(parties) - 0.3)
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("share of pivotal power (index, sums to 100% over the lists)")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="lower right")
    return fig


def _draw_index(
    ax: Axes,
    power: xr.Dataset,
    index: tuple[str, str, str, float],
    parties: Sequence[str],
    colours: Mapping[str, str],
    y: np.ndarray,
) -> None:
    """Draw one index's mean and 90% interval on each list's row, and its legend entry."""
    var, label, marker, dy = index
    mean = power[f"{var}_mean"].values
    eti = power[f"{var}_eti"].transpose(PARTY, CI_BOUND)
    lo = eti.sel({CI_BOUND: "lower"}).values
    hi = eti.sel({CI_BOUND: "upper"}).values
    for k, p in enumerate(parties):
        c = colours.get(p, GREY)
        ax.plot([lo[k], hi[k]], [y[k] + dy] * 2, color=c, lw=1.6, alpha=0.6)
        ax.plot(
            mean[k],
            y[k] + dy,
            marker,
            ms=4.5,
            mfc=c if marker == "o" else "white",
            mec=c,
            mew=1.2,
        )
    ax.plot(
        [],
        [],
        marker,
        color=INK,
        mfc=INK if marker == "o" else "white",
        ls="-",
        lw=1.2,
        ms=4.5,
        label=f"{label} (mean, 90% interval)",
    )


def _pivotal_columns(ax: Axes, power: xr.Dataset, y: np.ndarray) -> None:
    """Write the "most pivotal" and "power / seats" columns right of the axes, with heads."""
    ratio = power["banzhaf_per_seat_share"].values
    top = power["p_most_pivotal"].values
    trans = ax.get_yaxis_transform()
    for k in range(len(y)):
        ax.text(1.08, y[k], fmt_p(top[k]), transform=trans, va="center", ha="right", fontsize=7)
        ax.text(1.19, y[k], f"{ratio[k]:.2f}", transform=trans, va="center", ha="right", fontsize=7)
    for xpos, head in ((1.08, "most\npivotal"), (1.19, "power /\nseats")):
        ax.text(
            xpos,
            len(y) - 0.45,
            head,
            transform=trans,
            va="bottom",
            ha="right",
            fontsize=7,
            fontweight="bold",
            linespacing=1.0,
        )
