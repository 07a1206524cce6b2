"""The report's "which government forms": the likeliest coalitions, their note and figure.

The table and the figure show the same coalitions, ordered by their chance of forming, each with
its core when smaller lists sit beside it (``forecast.government.cores``); the note says how many
candidates there were and how much of the formation probability the shown ones hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecast.dims import COALITION
from forecast.report.formats import coalition_name, fmt_p, fmt_seats, short_name
from forecast.report.style import WIDTH, figure_for, style, wrap

__all__ = ["coalition_note", "coalitions_table", "plot_coalitions"]


def coalitions_table(
    summary: Mapping[str, Any], names: Mapping[str, str], top: int
) -> list[dict[str, str]]:
    """Lay out the ``top`` likeliest governments: members, seats, majority, forming, risk."""
    return [
        {
            "rank": str(k + 1),
            "members": _with_core(c, names),
            "seats": fmt_seats(c["seats_median"], c["seats_lo90"], c["seats_hi90"]),
            "p_majority": fmt_p(c["p_majority"]),
            "p_form": fmt_p(c["p_form"]),
            "risk_if_formed": fmt_p(c["p_onset_any_if_formed"]),
        }
        for k, c in enumerate(summary["coalitions"][:top])
    ]


def _with_core(coalition: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Name a government's members, and its core when smaller lists sit beside it."""
    members = coalition_name(coalition["members"], names)
    core = coalition.get("core", coalition["members"])
    if list(core) == list(coalition["members"]):
        return members
    return f"{members} (core: {coalition_name(core, names)})"


def coalition_note(table: xr.Dataset, summary: Mapping[str, Any], shown: int) -> dict[str, str]:
    """Say how many candidates there were and how much the ``shown`` likeliest cover."""
    return {
        "shown": str(shown),
        "candidates": str(table.sizes.get(COALITION, 0)),
        "p_shown": fmt_p(sum(c["p_form"] for c in summary["coalitions"][:shown])),
        "coverage": fmt_p(float(table.attrs["mw_coverage"]))
        if "mw_coverage" in table.attrs
        else "n/a",
    }


def plot_coalitions(summary: Mapping[str, Any], *, top: int = 10, ax: Axes | None = None) -> Figure:
    """Plot the most likely governments: chance of forming, with majority and seats noted.

    Parameters
    ----------
    summary : Mapping
        ``summary.json`` dict: ``coalitions`` sorted by ``p_form`` (each ``members``,
        ``p_form``, ``p_majority``, ``seats_median``, ``seats_lo90``, ``seats_hi90``) and
        ``lists`` for the list names.
    top : int
        How many coalitions to show.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    """
    rows = list(summary["coalitions"])[:top]
    names = {r["party"]: short_name(r) for r in summary["lists"]}
    with style():
        fig, ax = figure_for(ax, (WIDTH, 0.8 + 0.42 * len(rows)))
        y = np.arange(len(rows))[::-1]
        p = [r["p_form"] for r in rows]
        ax.barh(y, p, color="#4575b4", height=0.6)
        labels = [wrap(coalition_name(r["members"], names), 48) for r in rows]
        ax.set_yticks(y, labels)
        right = max(p) if p else 1.0
        for yi, r in zip(y, rows, strict=True):
            ax.annotate(
                f"{fmt_p(r['p_form'])}   majority {fmt_p(r['p_majority'])}, seats "
                f"{r['seats_median']:.0f} ({r['seats_lo90']:.0f}\u2013{r['seats_hi90']:.0f})",
                (r["p_form"], yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
        ax.set_xlim(0, right * 2.1)
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("probability that this government forms")
        ax.tick_params(axis="y", length=0, labelsize=7)
    return fig
