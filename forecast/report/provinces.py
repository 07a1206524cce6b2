"""The report's provinces: one tile per province with its leading list and turnout forecast.

Tiles sit where the provinces table puts them (``tile_row``, ``tile_col``: a rough map) or, without
those columns, in a plain grid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from forecast.dims import PROVINCE
from forecast.report.formats import fmt_p, short_name
from forecast.report.style import GREY, INK, WIDTH, figure_for, list_colours, style, wrap

__all__ = ["plot_provinces", "tile_layout"]

_TILE_WIDTH = 1.6  # widest province tile
_TILE_ASPECT = 1.45  # tile width over height


def tile_layout(data: xr.Dataset) -> dict[str, tuple[int, int]] | None:
    """Tile positions from the provinces table (``tile_row``, ``tile_col``) when it has them."""
    if "tile_row" not in data.coords or "tile_col" not in data.coords:
        return None
    rows, cols = data["tile_row"].values, data["tile_col"].values
    if not (np.isfinite(rows.astype(float)).all() and np.isfinite(cols.astype(float)).all()):
        return None
    return {
        str(p): (int(r), int(c)) for p, r, c in zip(data[PROVINCE].values, rows, cols, strict=True)
    }


def _grid_layout(provinces: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Lay tiles out in a plain grid, row by row in the given order."""
    n = len(provinces)
    cols = n if n <= 5 else min(5, math.ceil(math.sqrt(n * 1.2)))
    return {p: divmod(k, cols) for k, p in enumerate(provinces)}


def _pct(x: float) -> str:
    """Format a share such as turnout to the whole percent."""
    return f"{100 * x:.0f}%" if math.isfinite(x) else "n/a"


def plot_provinces(
    summary: Mapping[str, Any],
    *,
    layout: Mapping[str, tuple[int, int]] | None = None,
    ax: Axes | None = None,
    colours: Mapping[str, str] | None = None,
) -> Figure:
    """Plot province tiles: the leading list with its probability, and the turnout forecast.

    Parameters
    ----------
    summary : Mapping
        ``summary.json`` dict: ``provinces`` (each ``province``, ``name``, ``leading_list``,
        ``p_leading``, ``turnout`` with ``median``, ``lo90``, ``hi90``) and ``lists`` for the
        list names.
    layout : Mapping, optional
        Province slug -> (row, column) of its tile, row 0 at the top (e.g. a rough map);
        defaults to a grid in the summary's order.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    colours : Mapping, optional
        List slug -> colour; the tile is shaded by how likely its leading list is to lead.
    """
    provinces = summary["provinces"]
    names = {r["party"]: short_name(r) for r in summary["lists"]}
    colours = colours or list_colours([r["party"] for r in summary["lists"]])
    layout = dict(layout or _grid_layout([p["province"] for p in provinces]))
    n_rows = max(r for r, _ in layout.values()) + 1
    n_cols = max(c for _, c in layout.values()) + 1
    with style():
        leaders = list(dict.fromkeys(p["leading_list"] for p in provinces))
        legend_cols = max(1, min(5, len(leaders), n_cols + 1))
        legend_rows = math.ceil(len(leaders) / legend_cols)
        width = min(WIDTH, n_cols * _TILE_WIDTH)
        fig, ax = figure_for(
            ax, (width, 0.45 + 0.17 * legend_rows + n_rows * width / n_cols / _TILE_ASPECT)
        )
        for p in provinces:
            row, col = layout[p["province"]]
            lead = wrap(names.get(p["leading_list"], p["leading_list"]), 20)
            _draw_tile(ax, p, (col, n_rows - 1 - row), colours.get(p["leading_list"], GREY), lead)
        ax.set_xlim(0, n_cols)
        ax.set_ylim(0, n_rows)
        ax.set_axis_off()
        _leaders_legend(ax, leaders, names, colours, legend_cols)
    return fig


def _draw_tile(
    ax: Axes, province: Mapping[str, Any], at: tuple[int, int], colour: str, lead: str
) -> None:
    """Draw one province's tile with its lower-left corner at ``at``: name, leader, turnout."""
    x, y = at
    rgba = mpl.colors.to_rgba(colour, alpha=0.12 + 0.6 * float(province["p_leading"]))
    ax.add_patch(
        FancyBboxPatch(
            (x + 0.04, y + 0.05),
            0.92,
            0.9,
            boxstyle="round,pad=0,rounding_size=0.06",
            fc=rgba,
            ec=colour,
            lw=1.0,
        )
    )
    t = province["turnout"]
    ax.text(
        x + 0.5,
        y + 0.84,
        province["name"],
        ha="center",
        va="center",
        fontsize=8,
        fontweight="bold",
        color=INK,
    )
    ax.text(
        x + 0.5,
        y + 0.71,
        f"{lead}\n{fmt_p(province['p_leading'])} chance to lead",
        ha="center",
        va="top",
        fontsize=6.8,
        color=INK,
        linespacing=1.1,
    )
    ax.text(
        x + 0.5,
        y + 0.1,
        f"turnout {_pct(t['median'])}\n(90%: {_pct(t['lo90'])}\u2013{_pct(t['hi90'])})",
        ha="center",
        va="bottom",
        fontsize=6.5,
        color="#444444",
        linespacing=1.1,
    )


def _leaders_legend(
    ax: Axes,
    leaders: Sequence[str],
    names: Mapping[str, str],
    colours: Mapping[str, str],
    ncols: int,
) -> None:
    """Add the legend of the leading lists' colours below the tiles."""
    handles = [
        Patch(
            fc=mpl.colors.to_rgba(colours.get(k, GREY), 0.6),
            ec=colours.get(k, GREY),
            label=names.get(k, k),
        )
        for k in leaders
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=ncols,
        title="most likely leading list (darker tile: more certain)",
        title_fontsize=7.5,
    )
