"""What would change the forecast: refits without each past election and the polls in turn."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace

import numpy as np
import pytest
import xarray as xr
from conftest import mock_sampling
from test_polls import _poll, _with_polls

import forecast.run.leave_out as leave_out
import forecast.votes.fit
from forecast import dims
from forecast.data.spec import load_spec
from forecast.errors import DataError
from forecast.report.findings import findings
from forecast.report.formats import list_names
from forecast.run.leave_out import leave_one_out, leave_out_specs
from forecast.run.pipeline import run_forecast
from forecast.run.results import summarise
from forecast.toy_project import write_toy_project

SECOND = """
[[evidence]]
id = "e2008"
path = "data/toy/2008"
date = 2008-06-01
kind = "parliamentary"
"""
LINEAGE = """
[[lineage]]
election = "e2008"
source = "a_old"
shares = { alpha = 1.0 }
concentration = 10.0
"""


def _project(root):
    """The toy project with a second past election (a copy of 2005) and one poll."""
    spec_path = _with_polls(root, _poll("ipsos", "2010-02-01", {"alpha": 50.0, "beta": 30.0}))
    shutil.copytree(root / "data/toy/2005", root / "data/toy/2008")
    text = spec_path.read_text().replace("\n[law]", SECOND + "\n[law]", 1)
    spec_path.write_text(text.replace("\n[risk]", LINEAGE + "\n[risk]", 1))
    return spec_path


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A mock-sampled run of the project above and its leave-one-out rows."""
    root = tmp_path_factory.mktemp("leave_out")
    spec = load_spec(_project(root))
    with mock_sampling():
        result = run_forecast(spec, draws=200, out_dir=root / "out", progress=False)
        return leave_one_out(result, progress=False)


def test_each_input_is_left_out_with_its_lineage(tmp_path):
    spec = load_spec(_project(tmp_path))
    specs = {key: (label, s) for key, label, s in leave_out_specs(spec)}
    assert list(specs) == ["e2005", "e2008", "polls"]
    label, without = specs["e2008"]
    assert label == "the parliamentary election of June 2008"
    assert [e.id for e in without.evidence] == ["e2005"]
    assert {r.election for r in without.lineage} == {"e2005"}
    assert specs["polls"][1].data.polls is None and specs["polls"][1].evidence == spec.evidence
    # one past election and no polls: nothing to leave out
    assert leave_out_specs(load_spec(write_toy_project(tmp_path / "one"))) == []


def test_rows_rank_the_inputs_by_the_seats_they_move(toy):
    rows = toy.leave_out
    assert {r["input"] for r in rows} == {"e2005", "e2008", "polls"}
    moved = [r["seats_moved"] for r in rows]
    assert moved == sorted(moved, reverse=True) and min(moved) >= 0
    for r in rows:
        assert abs(sum(r["shifts"].values())) <= 0.5 * len(toy.seats[dims.PARTY]) + 0.1
        assert (toy.out_dir / "leave_out" / r["input"] / "posterior.nc").exists()
    summary = summarise(toy)
    assert summary["leave_out"] == rows
    said = {f["label"]: f["text"] for f in findings(toy, summary, list_names(summary), top=3)}
    assert rows[0]["label"] in said["What would change it"]
    error = max(r["mcse_seats"] for r in rows)
    assert f"Monte Carlo error of up to {error:.0f} seats" in said["What would change it"]


def test_a_rerun_reuses_the_saved_refits(toy, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("refitted although a saved posterior matches")

    monkeypatch.setattr(forecast.votes.fit, "_sample", refuse)
    assert leave_one_out(toy, progress=False).leave_out == toy.leave_out


def test_seats_moved_is_half_the_summed_shifts(toy, monkeypatch):
    full = toy.seats["seats"]
    moved = full.copy()
    moved.loc[{dims.PARTY: "alpha"}] = full.sel({dims.PARTY: "alpha"}) + 3
    moved.loc[{dims.PARTY: "beta"}] = full.sel({dims.PARTY: "beta"}) - 3
    post = xr.DataTree(xr.Dataset(attrs={"ess_bulk_min": 400.0, "rhat_max": 1.0, "divergences": 0}))
    monkeypatch.setattr(leave_out, "fitted_posterior", lambda *a, **k: post)
    monkeypatch.setattr(
        leave_out, "simulate_seats", lambda *a, **k: (None, xr.Dataset({"seats": moved}))
    )
    row = leave_one_out(toy, progress=False).leave_out[0]
    assert row["seats_moved"] == 3.0
    assert row["shifts"] == {"alpha": 3.0, "beta": -3.0}
    spread = float(moved.std(dims.SAMPLE).max())
    assert row["mcse_seats"] == pytest.approx(spread / np.sqrt(400.0), abs=0.01)


def test_an_input_that_cannot_be_left_out_is_reported(toy, monkeypatch):
    def fail(spec):
        raise DataError("no lists left to measure", file="x.csv")

    monkeypatch.setattr(leave_out, "ingest_election", fail)
    rows = leave_one_out(toy, progress=False).leave_out
    assert all("no lists left to measure" in r["error"] for r in rows)
    summary = summarise(toy) | {"leave_out": rows}
    said = {f["label"] for f in findings(toy, summary, list_names(summary), top=3)}
    assert "What would change it" not in said


def test_light_refits_do_not_raise_the_gate_warning(toy, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("forecast"), "propagate", True)  # the CLI turns it off
    with mock_sampling(), caplog.at_level(logging.INFO, logger="forecast"):
        leave_one_out(replace(toy, out_dir=tmp_path), progress=False)
    assert "what would change it: without the polls" in caplog.text
    assert "SAMPLER DID NOT CONVERGE" not in caplog.text  # mock draws fail the gate
    assert (tmp_path / "leave_out" / "polls" / "posterior.nc").exists()
