"""The PDF risk report: written by ``forecast run``, re-rendered by ``forecast report``, atomic.

One module-scoped run of the real pipeline on the toy project, with PyMC's mock sampler (prior
draws in place of MCMC), feeds every test.
"""

from __future__ import annotations

import json
import shutil

import pymc as pm
import pytest
from conftest import mock_sampling, pdf_text, write_toy_project
from typer.testing import CliRunner

import forecast.report.render
import forecast.run.pipeline
import forecast.votes.fit
from forecast.cli import app
from forecast.data.spec import load_spec
from forecast.errors import ForecastError, SpecError
from forecast.report.formats import coalition_name, fmt_p, list_names, short_name
from forecast.report.render import REPORT_FILE, render_report, report_data
from forecast.run.results import SUMMARY_FILE, load_result
from forecast.run.store import data_hash

runner = CliRunner()

SECTIONS = [
    "Headline findings",
    "Lists at a glance",
    "Seats",
    "Provinces",
    "Which government forms",
    "Exact governments",
    "Pivotal power",
    "Formation delay",
    "Conflict risk by community",
    "Methods",
    "Diagnostics",
    "Priors and their sources",
    "Data provenance",
]


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """``forecast run`` on the toy project with PyMC's mock sampler: (spec path, output folder)."""
    root = tmp_path_factory.mktemp("toy")
    spec_path = write_toy_project(root)
    out = root / "out"
    with mock_sampling():
        result = runner.invoke(app, ["run", str(spec_path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return spec_path, out


@pytest.fixture(scope="module")
def saved(toy_run):
    """The toy run read back from disk, with its summary.json."""
    spec_path, out = toy_run
    spec = load_spec(spec_path)
    from forecast.data.ingest import ingest_election

    result = load_result(out, spec, spec_hash=data_hash(spec, ingest_election(spec)))
    summary = json.loads((out / SUMMARY_FILE).read_text())
    return result, summary


@pytest.fixture(scope="module")
def text(toy_run):
    return pdf_text(toy_run[1] / REPORT_FILE)


def test_run_writes_the_report_with_every_section(toy_run, text):
    pdf = toy_run[1] / REPORT_FILE
    assert pdf.read_bytes().startswith(b"%PDF")
    for title in SECTIONS:
        assert title in text, title
    # sections for outputs that do not exist yet are left out, not printed empty
    assert "Scenarios" not in text
    assert "Backtest" not in text
    assert "Posterior predictive check" in text and "Inside 90% interval" in text


def test_headline_numbers_match_summary_json(toy_run, text):
    summary = json.loads((toy_run[1] / SUMMARY_FILE).read_text())
    names = {r["party"]: short_name(r) for r in summary["lists"]}
    core = summary["government"]["cores"][0]
    government = " + ".join(names[m] for m in core["members"])
    assert f"{government} is the core of the government" in text
    assert f"of the government's seats) in {fmt_p(core['p'])} of simulations" in text
    largest = max(summary["lists"], key=lambda r: r["p_largest"])
    assert (
        f"{names[largest['party']]} is the most likely largest list ({fmt_p(largest['p_largest'])})"
        in text
    )
    big = sorted(summary["lists"], key=lambda r: -r["seats_median"])[:4]
    width = sum(r["seats_hi90"] - r["seats_lo90"] for r in big) / len(big)
    assert f"90% seat intervals are on average {width:.0f} seats wide" in " ".join(text.split())
    pm_list, p_pm = next(iter(summary["p_pm"].items()))
    assert f"The premiership goes to {names[pm_list]} in {fmt_p(p_pm)}" in text
    overall = summary["conflict_risk"]["overall"]
    assert (
        f"within a year of the government forming is {fmt_p(overall['p_onset_any'])} (90% interval "
        f"{fmt_p(overall['lo90'])}\u2013{fmt_p(overall['hi90'])})"
    ) in text
    days = summary["formation_days"]
    assert f"median of {days['median']:.0f} days to form" in text
    diag = summary["diagnostics"]
    assert f"R-hat max {diag['rhat_max']:.3f}" in text
    assert f"{summary['samples']:,} simulated elections" in text


def test_convergence_failure_is_prominent(toy_run, text):
    summary = json.loads((toy_run[1] / SUMMARY_FILE).read_text())
    assert not summary["diagnostics"]["converged"]  # prior draws in every chain: R-hat is off
    assert text.index("Warning: the sampler did not converge") < text.index("Headline findings")
    assert "do not rely on them" in text


def test_report_data_formats_from_the_result(saved):
    result, summary = saved
    data = report_data(result, summary)
    assert data["meta"]["title"] == result.spec.election.name  # the toy spec sets no title
    assert [c["p_form"] for c in data["coalitions"]] == [
        fmt_p(c["p_form"]) for c in summary["coalitions"][: result.spec.report.top_coalitions]
    ]
    assert {r["name"] for r in data["risk"]["communities"]} == {
        c.name for c in result.spec.community
    }
    terms = {row["term"] for section in data["priors"] for row in section["rows"]}
    assert {"minority", "baseline log days", "constant"} <= terms
    for section in data["priors"]:
        for row in section["rows"]:
            assert row["source"] and row["status"] in {
                "verified",
                "judgement",
                "unverified",
                "verified; judgement",
            }
    assert {p["file"] for p in data["provenance"]} >= {"data/toy/provinces.csv"}
    assert "scenarios" not in data and "backtest" not in data
    assert data["diagnostics"]["ppc"]["rows"], "the run's posterior predictive check is printed"


@pytest.mark.parametrize("top", [None, 2])
def test_government_cores_and_lists_in_government_reach_the_report(
    saved, tmp_path, monkeypatch, top
):
    result, summary = saved
    if top is not None:  # fewer cores shown than drawn: the remainder is stated
        report = result.spec.report.model_copy(update={"top_coalitions": top})
        spec = result.spec.model_copy(update={"report": report})
        result = type(result)(**{**result.__dict__, "spec": spec})
    data = report_data(result, summary)
    names = list_names(summary)
    government = summary["government"]
    shown = government["cores"][: result.spec.report.top_coalitions]
    assert shown, "the run drew governments"
    assert [c["members"] for c in data["cores"]] == [
        coalition_name(c["members"], names) for c in shown
    ]
    assert [c["p"] for c in data["cores"]] == [fmt_p(c["p"]) for c in shown]
    # the cores partition the samples: those shown and the remainder stated make the whole
    rest = government["p_other_cores"] + sum(c["p"] for c in government["cores"][len(shown) :])
    assert sum(c["p"] for c in shown) + rest == pytest.approx(1.0, abs=1e-3)
    note = data["cores_note"]
    assert note["p_rest"] == fmt_p(rest)
    assert int(note["shown"]) + int(note["n_rest"]) == government["n_cores"]
    rows = data["in_government"]
    actors = list(result.coalitions["party"].values)
    assert [r["name"] for r in rows] == [names[p] for p in government["p_in_government"]]
    assert {names[str(p)] for p in actors} == {r["name"] for r in rows}
    for r, (p, v) in zip(rows, government["p_in_government"].items(), strict=True):
        assert r["p_in_government"] == fmt_p(v)
        assert r["p_pm"] == fmt_p(summary["p_pm"][p])
    # the PDF prints them, in the government section, before the exact governments
    monkeypatch.setattr(forecast.report.render, "summarise", lambda r: summary)
    text = pdf_text(render_report(result, out_path=tmp_path / "report.pdf"))
    section = " ".join(
        text[text.index("Which government forms") : text.index("Exact governments")].split()
    )
    assert "Government core" in section and "P(in government)" in section
    for c in data["cores"]:
        assert " ".join(c["members"].split()) in section
    if top is None:
        assert int(note["n_rest"]) == 0 and "shown hold all simulations" in section
    else:
        assert int(note["n_rest"]) > 0, "the toy run draws more than two cores"
        assert f"Other cores ({note['n_rest']}) {note['p_rest']}" in section
        assert f"the remaining {note['p_rest']}" in section
    for r in rows:
        assert r["name"] in section


def test_report_command_rerenders_without_refitting(toy_run, monkeypatch):
    spec_path, out = toy_run

    def refuse(*args, **kwargs):
        raise AssertionError("forecast report must not fit or sample")

    monkeypatch.setattr(forecast.votes.fit, "fit_model", refuse)
    monkeypatch.setattr(forecast.run.pipeline, "fit_model", refuse)
    monkeypatch.setattr(pm, "sample", refuse)
    pdf = out / REPORT_FILE
    before = pdf.read_bytes()
    pdf.unlink()
    result = runner.invoke(app, ["report", str(out), "--spec", str(spec_path)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    assert abs(len(pdf.read_bytes()) - len(before)) < 0.05 * len(before)
    assert "Headline findings" in pdf_text(pdf)


def test_failed_render_leaves_no_partial_pdf(saved, tmp_path, monkeypatch):
    result, _ = saved
    target = tmp_path / "report.pdf"
    target.write_bytes(b"an earlier report")

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(forecast.report.render, "plot_power", broken)
    with pytest.raises(RuntimeError, match="figure failed"):
        render_report(result, out_path=target)
    assert target.read_bytes() == b"an earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


def test_template_error_is_reported_and_writes_nothing(saved, tmp_path):
    result, _ = saved
    templates = result.spec.root / "reports" / "templates"  # the project's own folder wins
    templates.mkdir(parents=True)
    try:
        (templates / "risk_report.typ").write_text('#let d = json("report.json")\n#d.no_such_key\n')
        with pytest.raises(ForecastError, match="failed to compile"):
            render_report(result, out_path=tmp_path / "report.pdf")
        assert list(tmp_path.iterdir()) == []
    finally:
        shutil.rmtree(result.spec.root / "reports")


def test_unknown_template_is_a_spec_error(saved, tmp_path):
    result, _ = saved
    spec = result.spec.model_copy(
        update={"report": result.spec.report.model_copy(update={"template": "nope.typ"})}
    )
    other = type(result)(**{**result.__dict__, "spec": spec})
    with pytest.raises(SpecError, match="nope.typ"):
        render_report(other, out_path=tmp_path / "report.pdf")
    assert list(tmp_path.iterdir()) == []


def scenario_headline(summary, name, p_onset):
    """A scenario's headline (the shape of forecast.run.scale.headlines) from a run's summary."""
    lists = {
        r["party"]: {k: r[k] for k in ("seats_mean", "seats_median", "seats_lo90", "seats_hi90")}
        for r in summary["lists"]
    }
    top = summary["coalitions"][0]
    return {
        "scenario": name,
        "description": f"{name} description",
        "settings": {} if name == "baseline" else {"boycott.minority": True},
        "samples": summary["samples"],
        "lists": lists,
        "coalitions": [
            {"label": top["label"], "p_form": top["p_form"], "p_majority": top["p_majority"]}
        ],
        "cores": [
            {k: c[k] for k in ("label", "members", "p")} for c in summary["government"]["cores"]
        ],
        "p_other_cores": summary["government"]["p_other_cores"],
        "n_cores": summary["government"]["n_cores"],
        "p_in_government": summary["government"]["p_in_government"],
        "p_pm": summary["p_pm"],
        "formation_days": {
            k: summary["formation_days"][k] for k in ("median", "lo90", "hi90", "p_over_6_months")
        },
        "conflict_risk": {"p_onset_any": p_onset, "communities": {}},
    }


def test_optional_sections_render_when_present(saved, tmp_path, monkeypatch):
    result, summary = saved
    extra = {
        **summary,
        "scenario_details": [
            scenario_headline(summary, "baseline", 0.05),
            scenario_headline(summary, "boycott", 0.12),
        ],
        "backtest": {"crps": 0.314, "coverage_90": 0.875},
        "ppc": {
            "vote_share": {"e2005": {"coverage_90": 0.875, "n": 8}},
            "turnout": {"coverage_90": 0.9, "n": 2},
        },
    }
    monkeypatch.setattr(forecast.report.render, "summarise", lambda r: extra)
    text = pdf_text(render_report(result, out_path=tmp_path / "report.pdf"))
    assert "Scenarios" in text and "boycott" in text and "12%" in text
    core = summary["government"]["cores"][0]
    names = list_names(summary)
    assert "Likeliest government core" in text
    assert f"{coalition_name(core['members'], names)} ({fmt_p(core['p'])})" in text
    assert "Backtest" in text and "0.314" in text
    assert (
        "Posterior predictive check" in text and "List vote shares, e2005" in text and "88%" in text
    )
    assert "No posterior predictive check" not in text
