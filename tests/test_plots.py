"""Plot functions: each returns a Figure, draws into a given axes, shows the numbers given."""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.figure import Figure

from forecast.government.coalitions import score_coalitions
from forecast.government.duration import predict_formation_days
from forecast.government.formation import predict_formation
from forecast.government.power import power_indices
from forecast.government.risk import assess_risk
from forecast.report.coalitions import plot_coalitions
from forecast.report.formation import plot_formation_days
from forecast.report.formats import fmt_p
from forecast.report.power import plot_power
from forecast.report.provinces import plot_provinces
from forecast.report.risk import plot_community_status, plot_conflict_risk
from forecast.report.seats import plot_seats
from forecast.report.style import STYLE, list_colours
from forecast.testing import toy_seat_draws, toy_spec


@pytest.fixture(scope="module")
def stages():
    spec = toy_spec(risk={"log_gdp_per_capita": 8.0, "gdp_source": "toy"})
    seats = toy_seat_draws(
        300,
        {"alpha": 35, "beta": 30, "gamma": 20, "delta": 10, "epsilon": 5},
        concentration=60,
        seed=4,
    )
    table = predict_formation(score_coalitions(seats, spec), spec, seed=1)
    table = predict_formation_days(table, spec, seed=2)
    return {
        "spec": spec,
        "seats": seats,
        "coalitions": table,
        "power": power_indices(seats, spec),
        "risk": assess_risk(table, seats, spec, seed=3),
    }


def _row(party, name, median, lo90, hi90, p_largest, short=""):
    return {
        "party": party,
        "name": name,
        "short": short,
        "seats_mean": float(median),
        "seats_median": float(median),
        "seats_lo50": float(median - 2),
        "seats_hi50": float(median + 2),
        "seats_lo90": float(lo90),
        "seats_hi90": float(hi90),
        "p_largest": p_largest,
    }


@pytest.fixture(scope="module")
def summary():
    """A summary.json-shaped dict (the keys the plots read), with known numbers."""
    provinces = ["north", "centre", "south", "east", "west", "hills", "coast"]
    return {
        "house_size": 100,
        "majority": 51,
        "lists": [
            _row("alpha", "Alpha List (the first)", 40, 30, 52, 0.7, short="Alpha List"),
            _row("beta", "Beta List", 35, 25, 45, 0.3),
            _row("minority_quota", "Minority quota seats", 2, 2, 2, 0.0),
            _row("other", "Other lists", 0, 0, 0, 0.0),
        ],
        "coalitions": [
            {
                "label": "alpha+beta",
                "members": ["alpha", "beta"],
                "seats_median": 75.0,
                "seats_lo90": 70.0,
                "seats_hi90": 80.0,
                "p_majority": 1.0,
                "p_form": 0.6,
                "p_onset_any_if_formed": 0.01,
            },
            {
                "label": "alpha",
                "members": ["alpha"],
                "seats_median": 40.0,
                "seats_lo90": 30.0,
                "seats_hi90": 52.0,
                "p_majority": 0.08,
                "p_form": 0.4,
                "p_onset_any_if_formed": 0.02,
            },
        ],
        "provinces": [
            {
                "province": p,
                "name": p.title(),
                "turnout": {"median": 0.6, "lo90": 0.4, "hi90": 0.8},
                "leading_list": "alpha" if k % 2 else "beta",
                "p_leading": 0.55 + 0.05 * k,
            }
            for k, p in enumerate(provinces)
        ],
    }


def _texts(fig: Figure) -> str:
    out = []
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        out += [t.get_text() for t in ax.get_yticklabels()]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return "\n".join(out)


def _saves(fig: Figure) -> None:
    """The figure renders to SVG (the report's format) without warnings (they are errors here)."""
    buf = io.BytesIO()
    with mpl.rc_context(STYLE):
        fig.savefig(buf, format="svg")
    assert buf.getvalue().startswith(b"<?xml")


def _draw(name, stages, summary, ax=None):
    names = {"alpha": "Alpha", "beta": "Beta"}
    calls = {
        "seats": lambda: plot_seats(summary, ax=ax),
        "provinces": lambda: plot_provinces(summary, ax=ax),
        "coalitions": lambda: plot_coalitions(summary, ax=ax),
        "power": lambda: plot_power(stages["power"], names=names, ax=ax),
        "formation_days": lambda: plot_formation_days(stages["coalitions"], ax=ax),
        "conflict_risk": lambda: plot_conflict_risk(stages["risk"], ax=ax),
        "community_status": lambda: plot_community_status(stages["risk"], ax=ax),
    }
    return calls[name]()


FIGURES = [
    "seats",
    "provinces",
    "coalitions",
    "power",
    "formation_days",
    "conflict_risk",
    "community_status",
]


@pytest.mark.parametrize("name", FIGURES)
def test_returns_a_figure_that_saves(name, stages, summary):
    fig = _draw(name, stages, summary)
    assert isinstance(fig, Figure)
    assert len(fig.axes) >= 1
    _saves(fig)


@pytest.mark.parametrize("name", FIGURES)
def test_draws_into_the_given_axes(name, stages, summary):
    fig = Figure(figsize=(7, 4))
    left, right = fig.subplots(1, 2)
    out = _draw(name, stages, summary, ax=right)
    assert out is fig
    assert right.has_data() or right.texts or right.patches
    assert not left.has_data() and not left.texts and not left.patches


def test_seats_majority_line_and_lists(summary):
    fig = plot_seats(summary)
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert [ln.get_xdata()[0] for ln in lines] == [51]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # the spec's short name where it gives one, the name verbatim else; seatless lists left out
    assert labels == ["Alpha List", "Beta List", "Minority quota seats"]
    assert "majority 51 of 100" in _texts(fig)


def test_provinces_one_tile_each_and_layout(summary):
    fig = plot_provinces(summary)
    ax = fig.axes[0]
    assert len(ax.patches) == len(summary["provinces"])
    text = _texts(fig)
    for p in summary["provinces"]:
        assert p["name"] in text
    assert "55% chance to lead" in text
    assert "turnout 60%" in text
    layout = {p["province"]: (k // 3, 2 - k % 3) for k, p in enumerate(summary["provinces"])}
    fig = plot_provinces(summary, layout=layout)
    name = next(t for t in fig.axes[0].texts if t.get_text() == "North")
    assert name.get_position()[0] == pytest.approx(2.5)  # column 2, centred


def test_coalitions_shows_members_and_probabilities(summary):
    text = _texts(plot_coalitions(summary))
    assert "Alpha List + Beta List" in text
    assert "60%   majority 100%, seats 75 (70\u201380)" in text


def test_power_rows_follow_the_actors(stages):
    fig = plot_power(stages["power"])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert [label.lower() for label in labels] == [str(p) for p in stages["power"]["party"].values]


def test_formation_days_marks_the_protracted_line(stages):
    table = stages["coalitions"]
    fig = plot_formation_days(table)
    ax = fig.axes[0]
    dashed = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert dashed == [pytest.approx(183.0)]
    solid = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert solid == [pytest.approx(float(table["formation_days_median"]))]
    fig = plot_formation_days(table, protracted_days=90)
    dashed = [ln.get_xdata()[0] for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert dashed == [pytest.approx(90.0)]


def test_conflict_risk_rows_and_status_align(stages):
    risk = stages["risk"]
    fig = Figure(figsize=(7, 3), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_conflict_risk(risk, ax=left)
    plot_community_status(risk, ax=right)
    n = risk.sizes["community"]
    assert len(left.get_yticklabels()) == n + 1  # "any community" first
    assert left.get_yticklabels()[0].get_text() == "any community"
    assert left.get_ylim() == right.get_ylim()
    # the same community sits at the same height in both panels
    y_left = {t.get_text(): t.get_position()[1] for t in left.get_yticklabels()}
    y_right = {t.get_text(): t.get_position()[1] for t in right.get_yticklabels()}
    for name, y in y_right.items():
        assert y_left[name] == y
    # the status bars of each community add up to one
    widths = np.zeros(n)
    for bar in right.patches:
        k = int(round(n - 1 - bar.get_y() - bar.get_height() / 2))
        widths[k] += bar.get_width()
    np.testing.assert_allclose(widths, 1.0, atol=1e-9)


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0, "0%"),
        (0.0004, "<0.1%"),
        (0.0271, "2.7%"),
        (0.093, "9.3%"),
        (0.6198, "62%"),
        (0.998, ">99%"),
        (1.0, "100%"),
        (None, "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_fmt_p(p, text):
    assert fmt_p(p) == text


def test_list_colours_grey_for_quota_and_pooled():
    colours = list_colours(["a", "b_quota", "other", "c"])
    assert colours["b_quota"] == colours["other"]
    assert len({colours["a"], colours["c"], colours["other"]}) == 3
