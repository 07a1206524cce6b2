"""Figures of a forecast: one function per figure, each returning a matplotlib ``Figure``.

Every function takes a stage object (or the ``summary.json`` dict of
:func:`forecast.run.results.summarise`) plus ``ax=None``, and draws numbers that were computed
upstream: intervals, probabilities and medians are read, never estimated here. The only
reductions are the histogram counts of ``plot_formation_days`` and sorting. Figures are built
on ``matplotlib.figure.Figure`` directly (no pyplot state), so saving uses the non-interactive
Agg/SVG canvases and nothing needs closing.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from forecast.dims import CI_BOUND, COMMUNITY, PARTY

__all__ = [
    "STYLE",
    "list_colours",
    "plot_calibration",
    "plot_coalitions",
    "plot_community_status",
    "plot_conflict_risk",
    "plot_formation_days",
    "plot_power",
    "plot_provinces",
    "plot_seats",
    "fmt_p",
    "short_name",
]

# Sizes are in inches at print size: an A4 page with 2 cm margins is 6.69 in wide, and the report
# places figures at their own size, so fonts set here are the sizes the reader sees.
WIDTH = 6.6
_TILE_WIDTH = 1.6  # widest province tile
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
    "svg.hashsalt": "forecast",
}
_GREY = "#9a9a9a"
_INK = "#222222"
_MAJORITY = "#b2182b"
_STATUS_COLOURS = {
    "senior_partner": "#1b7837",
    "junior_partner": "#a6dba0",
    "powerless": "#f4a582",
    "discriminated": "#b2182b",
}
_STATUS_LABELS = {
    "senior_partner": "senior partner",
    "junior_partner": "junior partner",
    "powerless": "powerless",
    "discriminated": "discriminated",
}


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(STYLE):
        yield


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """Return the figure of ``ax``, or a new print-sized figure with one axes."""
    if ax is not None:
        fig = ax.get_figure()
        if not isinstance(fig, Figure):  # a SubFigure: return its parent figure
            fig = fig.get_figure(root=True)
        return fig, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def short_name(name: str) -> str:
    """Drop a display name's parenthesised gloss: ``"Iraqiya (Iraqi ...)"`` -> ``"Iraqiya"``."""
    short = re.sub(r"\s*\([^)]*\)\s*", " ", name).strip()
    return short or name


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
            out[p] = _GREY
        else:
            out[p] = palette[k % len(palette)]
            k += 1
    return out


def fmt_p(p: float | None) -> str:
    """Format a probability as the report prints it: ``62%``, ``2.7%``, ``<0.1%``, ``>99%``."""
    if p is None or not math.isfinite(float(p)):
        return "n/a"
    p = float(p)
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.995:
        return ">99%"
    if p < 0.1:
        return f"{100 * p:.1f}%"
    return f"{100 * p:.0f}%"


def _pct(x: float) -> str:
    """Format a share such as turnout to the whole percent."""
    return f"{100 * x:.0f}%" if math.isfinite(x) else "n/a"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


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
        List slug -> colour (defaults to :func:`list_colours` in the summary's order).
    """
    rows = [r for r in summary["lists"] if r["seats_hi90"] > 0 or r["seats_median"] > 0]
    colours = colours or list_colours([r["party"] for r in summary["lists"]])
    majority = int(summary["majority"])
    with _style():
        fig, ax = _figure(ax, (WIDTH, 0.8 + 0.23 * len(rows)))
        y = np.arange(len(rows))[::-1]
        for yi, r in zip(y, rows, strict=True):
            c = colours.get(r["party"], _GREY)
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
            ax.plot(r["seats_median"], yi, "o", ms=6, mfc="white", mec=_INK, mew=1.2, zorder=3)
            ax.annotate(
                f"{r['seats_median']:.0f}",
                (r["seats_hi90"], yi),
                xytext=(5, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
                color=_INK,
            )
        ax.axvline(majority, color=_MAJORITY, ls="--", lw=1)
        ax.text(
            majority,
            1.0,
            f" majority {majority} of {summary['house_size']}",
            transform=ax.get_xaxis_transform(),
            color=_MAJORITY,
            va="bottom",
            fontsize=7.5,
        )
        ax.set_yticks(y, [_capital(short_name(r["name"])) for r in rows])
        ax.set_ylim(-0.7, len(rows) - 0.3)
        top = max(max(r["seats_hi90"] for r in rows), majority)
        ax.set_xlim(0, top * 1.12)
        ax.set_xlabel("seats (dot: median; thick bar: 50% interval; thin bar: 90% interval)")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
    return fig


_TILE_ASPECT = 1.45  # tile width over height


def _grid_layout(provinces: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Lay tiles out in a plain grid, row by row in the given order."""
    n = len(provinces)
    cols = n if n <= 5 else min(5, math.ceil(math.sqrt(n * 1.2)))
    return {p: divmod(k, cols) for k, p in enumerate(provinces)}


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
    names = {r["party"]: short_name(r["name"]) for r in summary["lists"]}
    colours = colours or list_colours([r["party"] for r in summary["lists"]])
    layout = dict(layout or _grid_layout([p["province"] for p in provinces]))
    n_rows = max(r for r, _ in layout.values()) + 1
    n_cols = max(c for _, c in layout.values()) + 1
    with _style():
        leaders = list(dict.fromkeys(p["leading_list"] for p in provinces))
        legend_cols = max(1, min(5, len(leaders), n_cols + 1))
        legend_rows = math.ceil(len(leaders) / legend_cols)
        width = min(WIDTH, n_cols * _TILE_WIDTH)
        fig, ax = _figure(
            ax, (width, 0.45 + 0.17 * legend_rows + n_rows * width / n_cols / _TILE_ASPECT)
        )
        for p in provinces:
            row, col = layout[p["province"]]
            x, y = col, n_rows - 1 - row
            c = colours.get(p["leading_list"], _GREY)
            rgba = mpl.colors.to_rgba(c, alpha=0.12 + 0.6 * float(p["p_leading"]))
            ax.add_patch(
                FancyBboxPatch(
                    (x + 0.04, y + 0.05),
                    0.92,
                    0.9,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    fc=rgba,
                    ec=c,
                    lw=1.0,
                )
            )
            t = p["turnout"]
            lead = _wrap(names.get(p["leading_list"], p["leading_list"]), 20)
            ax.text(
                x + 0.5,
                y + 0.84,
                p["name"],
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold",
                color=_INK,
            )
            ax.text(
                x + 0.5,
                y + 0.71,
                f"{lead}\n{fmt_p(p['p_leading'])} chance to lead",
                ha="center",
                va="top",
                fontsize=6.8,
                color=_INK,
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
        ax.set_xlim(0, n_cols)
        ax.set_ylim(0, n_rows)
        ax.set_axis_off()
        handles = [
            Patch(
                fc=mpl.colors.to_rgba(colours.get(k, _GREY), 0.6),
                ec=colours.get(k, _GREY),
                label=names.get(k, k),
            )
            for k in leaders
        ]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=legend_cols,
            title="most likely leading list (darker tile: more certain)",
            title_fontsize=7.5,
        )
    return fig


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
    names = {r["party"]: short_name(r["name"]) for r in summary["lists"]}
    with _style():
        fig, ax = _figure(ax, (WIDTH, 0.8 + 0.42 * len(rows)))
        y = np.arange(len(rows))[::-1]
        p = [r["p_form"] for r in rows]
        ax.barh(y, p, color="#4575b4", height=0.6)
        labels = [_wrap(" + ".join(names.get(m, m) for m in r["members"]), 48) for r in rows]
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
        From :func:`forecast.government.power.power_indices`: ``banzhaf_mean``, ``shapley_shubik_mean``
        (party), ``banzhaf_eti``, ``shapley_shubik_eti`` (party, ci_bound), ``p_most_pivotal``
        and ``banzhaf_per_seat_share`` (party).
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
    kinds = (
        ("banzhaf", "Banzhaf", "o", 0.14),
        ("shapley_shubik", "Shapley\u2013Shubik", "s", -0.14),
    )
    with _style():
        fig, ax = _figure(ax, (WIDTH, 0.8 + 0.26 * len(parties)))
        y = np.arange(len(parties))[::-1]
        for var, label, marker, dy in kinds:
            mean = power[f"{var}_mean"].values
            eti = power[f"{var}_eti"].transpose(PARTY, CI_BOUND)
            lo = eti.sel({CI_BOUND: "lower"}).values
            hi = eti.sel({CI_BOUND: "upper"}).values
            for k, p in enumerate(parties):
                c = colours.get(p, _GREY)
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
                color=_INK,
                mfc=_INK if marker == "o" else "white",
                ls="-",
                lw=1.2,
                ms=4.5,
                label=f"{label} (mean, 90% interval)",
            )
        ratio = power["banzhaf_per_seat_share"].values
        top = power["p_most_pivotal"].values
        ax.set_xlim(0, 1.0)
        trans = ax.get_yaxis_transform()
        for k in range(len(parties)):
            ax.text(1.08, y[k], fmt_p(top[k]), transform=trans, va="center", ha="right", fontsize=7)
            ax.text(
                1.19, y[k], f"{ratio[k]:.2f}", transform=trans, va="center", ha="right", fontsize=7
            )
        for xpos, head in ((1.08, "most\npivotal"), (1.19, "power /\nseats")):
            ax.text(
                xpos,
                len(parties) - 0.45,
                head,
                transform=trans,
                va="bottom",
                ha="right",
                fontsize=7,
                fontweight="bold",
                linespacing=1.0,
            )
        ax.set_yticks(y, [_capital(short_name(names.get(p, p))) for p in parties])
        ax.set_ylim(-0.7, len(parties) - 0.3)
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("share of pivotal power (index, sums to 100% over the lists)")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="lower right")
    return fig


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
        ``CoalitionTable`` after :func:`forecast.government.formation.predict_formation_days`:
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
    with _style():
        fig, ax = _figure(ax, (WIDTH, 2.3))
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
        ax.axvline(median, color=_INK, lw=1.2, label="median")
        ax.axvline(
            limit,
            color=_MAJORITY,
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
    with _style():
        fig, ax = _figure(ax, (WIDTH * 0.8, 2.6))
        ax.plot([0, 1], [0, 1], color=_GREY, lw=0.8, label="perfect calibration")
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


def _days(x: float) -> str:
    return f"{x:,.0f} day" + ("" if round(x) == 1 else "s")


def _community_order(risk: xr.Dataset) -> list[str]:
    p = risk["p_onset"]
    return [str(c) for c in p[COMMUNITY].values[np.argsort(-p.values, kind="stable")]]


def plot_conflict_risk(
    risk: xr.Dataset,
    *,
    names: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot onset risk per community and overall: mean with its 90% interval.

    Parameters
    ----------
    risk : xr.Dataset
        ``RiskTable``: ``p_onset`` (community), ``p_onset_eti`` (community, ci_bound),
        ``p_onset_any`` and ``p_onset_any_eti`` (ci_bound).
    names : Mapping, optional
        Community slug -> display name.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    """
    names = names or {}
    order = _community_order(risk)
    any_eti = risk["p_onset_any_eti"]
    rows = [
        (
            "any community",
            float(risk["p_onset_any"]),
            float(any_eti.sel({CI_BOUND: "lower"})),
            float(any_eti.sel({CI_BOUND: "upper"})),
        )
    ]
    for c in order:
        r = risk.sel({COMMUNITY: c})
        rows.append(
            (
                names.get(c, c),
                float(r["p_onset"]),
                float(r["p_onset_eti"].sel({CI_BOUND: "lower"})),
                float(r["p_onset_eti"].sel({CI_BOUND: "upper"})),
            )
        )
    with _style():
        fig, ax = _figure(ax, (WIDTH / 2, 0.8 + 0.27 * len(rows)))
        y = np.arange(len(rows))[::-1]
        for k, (_, p, lo, hi) in enumerate(rows):
            c = _MAJORITY if k == 0 else "#d6604d"
            ax.plot([lo, hi], [y[k], y[k]], color=c, lw=2, alpha=0.5, solid_capstyle="butt")
            ax.plot(p, y[k], "o", ms=5, color=c, mec="white" if k else _INK, mew=0.8)
        ax.set_yticks(y, [r[0] for r in rows])
        ax.get_yticklabels()[0].set_fontweight("bold")
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlim(0, None)
        decimals = 0 if ax.get_xlim()[1] > 0.05 else 1
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0, decimals=decimals))
        ax.set_xlabel("P(conflict onset within a year)\n(mean, 90% interval)")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
    return fig


def plot_community_status(
    risk: xr.Dataset,
    *,
    names: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot each community's status under the next government: the drivers of its risk.

    Stacked shares of the samples in which the community is senior partner, junior partner,
    powerless or discriminated, with the probability of being downgraded written beside.

    Parameters
    ----------
    risk : xr.Dataset
        ``RiskTable``: ``p_senior_partner``, ``p_junior_partner``, ``p_powerless``,
        ``p_discriminated``, ``p_downgraded`` and ``p_onset`` (community; the last orders
        the rows as in :func:`plot_conflict_risk`).
    names : Mapping, optional
        Community slug -> display name.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    """
    names = names or {}
    order = _community_order(risk)
    with _style():
        fig, ax = _figure(ax, (WIDTH / 2, 0.8 + 0.27 * (len(order) + 1)))
        y = np.arange(len(order))[::-1]
        left = np.zeros(len(order))
        for status, colour in _STATUS_COLOURS.items():
            share = np.array([float(risk[f"p_{status}"].sel({COMMUNITY: c})) for c in order])
            ax.barh(y, share, left=left, color=colour, height=0.62, label=_STATUS_LABELS[status])
            left += share
        for k, c in enumerate(order):
            down = float(risk["p_downgraded"].sel({COMMUNITY: c}))
            ax.text(
                1.03, y[k], fmt_p(down), va="center", fontsize=7, transform=ax.get_yaxis_transform()
            )
        ax.text(
            1.03,
            len(order) - 0.35,
            "down-\ngraded",
            va="bottom",
            fontsize=7,
            fontweight="bold",
            transform=ax.get_yaxis_transform(),
            linespacing=1.0,
        )
        ax.set_yticks(y, [names.get(c, c) for c in order])
        ax.set_ylim(-0.7, len(order) + 0.7)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("share of simulations: status under\nthe government that forms")
        ax.tick_params(axis="y", length=0)
        ax.legend(
            loc="lower center",
            bbox_to_anchor=(0.45, 1.0),
            ncols=2,
            handlelength=1.0,
            columnspacing=0.8,
        )
    return fig
