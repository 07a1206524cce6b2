"""The report's lists and seats: the "lists at a glance" table and the seats figure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecast.report.formats import fmt_p, fmt_seats, short_name
from forecast.report.style import ACCENT, GREY, INK, WIDTH, figure_for, list_colours, style

__all__ = ["lists_table", "plot_seats"]


def lists_table(summary: Mapping[str, Any], names: Mapping[str, str]) -> list[dict[str, str]]:
    """Lay out one row per list that can win a seat: seats, largest, premiership, pivotal."""
    p_pm = summary["p_pm"]
    power = summary["power_indices"]
    rows = []
    for r in summary["lists"]:
        if r["seats_hi90"] <= 0 and r["seats_median"] <= 0:
            continue
        p = r["party"]
        rows.append(
            {
                "name": names[p],
                "seats": fmt_seats(r["seats_median"], r["seats_lo90"], r["seats_hi90"]),
                "seats_mean": f"{r['seats_mean']:.1f}",
                "p_largest": fmt_p(r["p_largest"]),
                "p_pm": fmt_p(p_pm.get(p, 0.0)),
                "p_most_pivotal": fmt_p(power[p]["p_most_pivotal"]) if p in power else "n/a",
            }
        )
    return rows


def plot_seats(
    summary: Mapping[str, Any],
    *,
    ax: Axes | None = None,
    colours: Mapping[str, str] | None = None,
) -> Figure:
    """Plot the seats of each list: median, 50% and 90% intervals, and the majority line.

    Parameters
    ----------
    summary : Mapping
        ``summary.json`` dict: ``lists`` (each ``party``, ``name``, ``seats_median``,
        ``seats_lo50``, ``seats_hi50``, ``seats_lo90``, ``seats_hi90``, ``p_largest``),
        ``majority`` and ``house_size``. Lists that never win a seat are left out.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    colours : Mapping, optional
        List slug -> colour (defaults to :func:`~forecast.report.style.list_colours` in the
        summary's order).
    """
    rows = [r for r in summary["lists"] if r["seats_hi90"] > 0 or r["seats_median"] > 0]
    colours = colours or list_colours([r["party"] for r in summary["lists"]])
    majority = int(summary["majority"])
    with style():
        fig, ax = figure_for(ax, (WIDTH, 0.8 + 0.23 * len(rows)))
        y = np.arange(len(rows))[::-1]
        for yi, r in zip(y, rows, strict=True):
            c = colours.get(r["party"], GREY)
            ax.plot(
                [r["seats_lo90"], r["seats_hi90"]],
                [yi, yi],
                color=c,
                lw=2,
                alpha=0.45,
                solid_capstyle="butt",
            )
            ax.plot(
                [r["seats_lo50"], r["seats_hi50"]], [yi, yi], color=c, lw=6, solid_capstyle="butt"
            )
            ax.plot(r["seats_median"], yi, "o", ms=6, mfc="white", mec=INK, mew=1.2, zorder=3)
            ax.annotate(
                f"{r['seats_median']:.0f}",
                (r["seats_hi90"], yi),
                xytext=(5, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
                color=INK,
            )
        ax.axvline(majority, color=ACCENT, ls="--", lw=1)
        ax.text(
            majority,
            1.0,
            f" majority {majority} of {summary['house_size']}",
            transform=ax.get_xaxis_transform(),
            color=ACCENT,
            va="bottom",
            fontsize=7.5,
        )
        ax.set_yticks(y, [short_name(r) for r in rows])
        ax.set_ylim(-0.7, len(rows) - 0.3)
        top = max(max(r["seats_hi90"] for r in rows), majority)
        ax.set_xlim(0, top * 1.12)
        ax.set_xlabel("seats (dot: median; thick bar: 50% interval; thin bar: 90% interval)")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
    return fig
