"""The report's conflict risk by community: the table and the risk and status figures.

The two figures are drawn side by side with their rows aligned: both order the communities by
onset risk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecast.dims import CI_BOUND, COMMUNITY
from forecast.government.risk import POWER_STATUS
from forecast.report.formats import fmt_interval, fmt_p
from forecast.report.style import ACCENT, INK, WIDTH, figure_for, style, wrap
from forecast.run.pipeline import ForecastResult

__all__ = [
    "plot_community_status",
    "plot_conflict_risk",
    "plot_risk_by_status",
    "risk_drivers",
    "risk_figure",
    "risk_section",
]

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


def risk_section(result: ForecastResult, summary: Mapping[str, Any]) -> dict[str, Any]:
    """Lay out the overall onset risk, its interval and horizon, and the communities table."""
    overall = summary["conflict_risk"]["overall"]
    return {
        "overall": fmt_p(overall["p_onset_any"]),
        "interval": fmt_interval(overall["lo90"], overall["hi90"]),
        "horizon": summary["conflict_risk"].get("horizon", ""),
        "communities": _communities_table(result, summary),
        "drivers": risk_drivers(result.risk, _names(result)),
    }


_TERM_WORDS = {
    "previous_conflict": "a past conflict with the state",
    "relative_size": "its size against the communities in power",
    "ongoing_elsewhere": "another community's war with the state",
    "junior_partner": "being a junior rather than the senior partner",
    "powerless": "being out of power",
    "discriminated": "being discriminated against",
    "downgraded": "losing rank against the outgoing government",
    "under_representation": "holding fewer seats than its share of the population",
    "plurality_excluded": "the plurality list of its voters left out of government",
    "protracted_formation": "a protracted formation",
    "continuation": "the conflict it already fights",
}


def _names(result: ForecastResult) -> dict[str, str]:
    """Community slug -> display name."""
    return {c.id: c.name for c in result.spec.community}


def risk_drivers(risk: xr.Dataset, names: Mapping[str, str]) -> list[str]:
    """Say in one sentence per community what drives its risk, riskiest first.

    The two terms adding most to its risk (``risk_added``: risk minus risk with the term at 0),
    and its risk had it been out of power or the senior partner instead (``p_onset_if_status``).
    """
    out = []
    for c in _community_order(risk):
        r = risk.sel({COMMUNITY: c})
        added = r["risk_added"].to_series().sort_values(ascending=False)
        parts = [
            f"{_TERM_WORDS.get(str(t), str(t).replace('_', ' '))} (+{100 * v:.1f} points)"
            for t, v in added.iloc[:2].items()
            if v >= 0.0005
        ]
        why = " and ".join(parts) if parts else "no term of its own (the country's level)"
        what_if = r["p_onset_if_status"]
        out.append(
            f"{names.get(c, c)}: {fmt_p(float(r['p_onset']))} risk of {r['risk_kind'].item()}, "
            f"driven by {why}; {fmt_p(float(what_if.sel({POWER_STATUS: 'powerless'})))} if out "
            f"of power, {fmt_p(float(what_if.sel({POWER_STATUS: 'senior_partner'})))} as senior "
            "partner."
        )
    return out


def _communities_table(result: ForecastResult, summary: Mapping[str, Any]) -> list[dict[str, str]]:
    """Lay out one row per community, riskiest first: onset risk, status, size, history."""
    risk = result.risk
    spec = {c.id: c for c in result.spec.community}
    order = np.argsort(-risk["p_onset"].values, kind="stable")
    rows = []
    for c in risk[COMMUNITY].values[order]:
        s = summary["conflict_risk"]["communities"][str(c)]
        r = risk.sel({COMMUNITY: c})
        info = spec.get(str(c))
        rows.append(
            {
                "name": info.name if info else str(c),
                "p_onset": fmt_p(s["p_onset"]),
                "interval": fmt_interval(s["lo90"], s["hi90"]),
                "p_senior": fmt_p(float(r["p_senior_partner"])),
                "p_junior": fmt_p(float(r["p_junior_partner"])),
                "p_excluded": fmt_p(s["p_excluded"]),
                "p_downgraded": fmt_p(s["p_downgraded"]),
                "p_pivotal": fmt_p(float(r["p_pivotal"])),
                "size": fmt_p(info.relative_size) if info else "n/a",
                "previous_conflict": "yes" if info and info.previous_conflict else "no",
            }
        )
    return rows


def risk_figure(risk: xr.Dataset, names: Mapping[str, str]) -> Figure:
    """Draw conflict risk and community status side by side, rows aligned, then risk by status.

    The lower panel is the "what if" row of each community: its risk under each status, the
    others' governments as drawn.
    """
    n = risk.sizes[COMMUNITY] + 1
    fig = Figure(figsize=(WIDTH, 2.4 + 0.5 * n), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 0.9])
    left, right = top.subplots(1, 2)
    plot_conflict_risk(risk, names=names, ax=left)
    plot_community_status(risk, names=names, ax=right)
    plot_risk_by_status(risk, names=names, ax=bottom.subplots())
    lines = "\n".join(wrap(line, 118) for line in risk_drivers(risk, names))
    fig.supxlabel(lines, fontsize=6.5, ha="left", x=0.01, linespacing=1.25)
    return fig


def plot_risk_by_status(
    risk: xr.Dataset,
    *,
    names: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot each community's risk had it held each status: the "what if they were out" row.

    Parameters
    ----------
    risk : xr.Dataset
        ``RiskTable``: ``p_onset_if_status`` (community, power_status), ``p_onset`` (community).
    names : Mapping, optional
        Community slug -> display name.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    """
    names = names or {}
    order = _community_order(risk)
    with style():
        fig, ax = figure_for(ax, (WIDTH, 0.8 + 0.27 * len(order)))
        y = np.arange(len(order))[::-1]
        table = risk["p_onset_if_status"].sel({COMMUNITY: order})
        for status, colour in _STATUS_COLOURS.items():
            ax.plot(
                table.sel({POWER_STATUS: status}).values,
                y,
                "o",
                ms=5,
                color=colour,
                mec=INK,
                mew=0.4,
                label=f"if {_STATUS_LABELS[status]}",
            )
        ax.plot(
            risk["p_onset"].sel({COMMUNITY: order}).values,
            y,
            "|",
            ms=10,
            color=INK,
            label="as forecast",
        )
        ax.set_yticks(y, [names.get(c, c) for c in order])
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0, decimals=1))
        ax.set_xlabel("P(conflict within a year) had the community held each status")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#e5e5e5", lw=0.6)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=5, handlelength=1.0)
    return fig


def _community_order(risk: xr.Dataset) -> list[str]:
    """Order the communities by onset risk, highest first (ties keep the table's order)."""
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
    with style():
        fig, ax = figure_for(ax, (WIDTH / 2, 0.8 + 0.27 * len(rows)))
        y = np.arange(len(rows))[::-1]
        for k, (_, p, lo, hi) in enumerate(rows):
            c = ACCENT if k == 0 else "#d6604d"
            ax.plot([lo, hi], [y[k], y[k]], color=c, lw=2, alpha=0.5, solid_capstyle="butt")
            ax.plot(p, y[k], "o", ms=5, color=c, mec="white" if k else INK, mew=0.8)
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
    with style():
        fig, ax = figure_for(ax, (WIDTH / 2, 0.8 + 0.27 * (len(order) + 1)))
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
