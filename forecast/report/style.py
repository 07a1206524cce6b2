"""The look every figure of the report shares: print sizes, rc style, colours, the figure helper.

Each section module draws its own figures (one function per figure, returning a matplotlib
``Figure``); they take a stage object (or the ``summary.json`` dict of
:func:`forecast.run.results.summarise`) plus ``ax=None``, and draw numbers that were computed
upstream: intervals, probabilities and medians are read, never estimated. The only reductions are
the histogram counts of the formation-delay figure and sorting. Figures are built on
``matplotlib.figure.Figure`` directly (no pyplot state), so saving uses the non-interactive
Agg/SVG canvases and nothing needs closing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "ACCENT",
    "GREY",
    "INK",
    "STYLE",
    "WIDTH",
    "figure_for",
    "list_colours",
    "style",
    "wrap",
]

# Sizes are in inches at print size: an A4 page with 2 cm margins is 6.69 in wide, and the report
# places figures at their own size, so fonts set here are the sizes the reader sees.
WIDTH = 6.6
STYLE: dict[str, Any] = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "svg.fonttype": "path",
    "text.parse_math": False,  # a "$" in a list name is a dollar sign, not mathtext
    "svg.hashsalt": "forecast",
}
GREY = "#9a9a9a"
INK = "#222222"
ACCENT = "#b2182b"  # the majority line, the protracted-formation line, the overall risk


@contextmanager
def style() -> Iterator[None]:
    """Apply the report's rc style while a figure is drawn."""
    with mpl.rc_context(STYLE):
        yield


def figure_for(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """Return the figure of ``ax``, or a new print-sized figure with one axes."""
    if ax is not None:
        fig = ax.get_figure()
        if not isinstance(fig, Figure):  # a SubFigure: return its parent figure
            fig = fig.get_figure(root=True)
        return fig, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def list_colours(parties: Sequence[str]) -> dict[str, str]:
    """Give each list a colour, in the given order; quota and pooled lists are grey.

    Pass the same mapping to every figure so that a list keeps its colour across the report.
    """
    palette = [mpl.colors.to_hex(c) for c in mpl.colormaps["tab10"].colors]
    palette = [c for c in palette if c != "#7f7f7f"]  # tab10 grey is kept for quota lists
    out: dict[str, str] = {}
    k = 0
    for p in parties:
        if p.endswith("_quota") or p in ("other", "small_lists"):
            out[p] = GREY
        else:
            out[p] = palette[k % len(palette)]
            k += 1
    return out


def wrap(text: str, width: int) -> str:
    """Break a label into lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width)) or text
