"""The fit's retries: a failed convergence gate refits with the stated escalation, logged."""

from __future__ import annotations

import logging

import arviz as az
import numpy as np
import pytest
from conftest import mock_sampling

from forecast.data.ingest import ingest_election
from forecast.data.spec import load_spec
from forecast.data.spec_model import SamplerSpec
from forecast.votes.diagnostics import convergence_summary
from forecast.votes.fit import escalate, fit_model
from forecast.votes.model import build_model


def test_escalation_is_the_stated_one():
    base = SamplerSpec(tune=500, draws=1000, target_accept=0.9)
    assert escalate(base, 0) == base
    one, two = escalate(base, 1), escalate(base, 2)
    assert (one.tune, one.draws, one.target_accept) == (1000, 1500, 0.95)
    assert (two.tune, two.draws, two.target_accept) == (2000, 2000, 0.975)


def test_a_failed_gate_is_retried_and_each_fit_is_recorded(toy_project, caplog):
    spec = load_spec(toy_project)
    model = build_model(ingest_election(spec), spec)
    # mock prior draws: 2 chains x 50 draws cannot reach a bulk ESS of 400, so every fit fails
    sampler = spec.sampler.model_copy(update={"retries": 2})
    with mock_sampling(), caplog.at_level(logging.WARNING, logger="forecast"):
        tree = fit_model(model, sampler, seed=5, spec_hash="x", progress=False)
    attempts = tree.attrs["fit_attempts"]
    assert [a["tune"] for a in attempts] == [50, 100, 200]
    assert [a["draws"] for a in attempts] == [50, 75, 100]
    assert [a["converged"] for a in attempts] == [False, False, False]
    assert tree["posterior"].sizes["draw"] == 100  # the last fit is the one kept
    assert sum("refitting with tune" in r.message for r in caplog.records) == 2
    assert tree.attrs["converged"] == 0


def test_retries_are_bounded():
    with pytest.raises(ValueError):
        SamplerSpec(retries=3)


def test_the_retries_reach_summary_json_and_the_report(toy_project, tmp_path):
    from forecast.report.diagnostics import diagnostics_section
    from forecast.run.pipeline import run_forecast
    from forecast.run.results import summarise

    spec = load_spec(toy_project)
    spec = spec.model_copy(update={"sampler": spec.sampler.model_copy(update={"retries": 1})})
    with mock_sampling():
        result = run_forecast(spec, out_dir=tmp_path / "out", progress=False, draws=50)
    summary = summarise(result)
    attempts = summary["diagnostics"]["fit_attempts"]
    assert [a["tune"] for a in attempts] == [50, 100]
    facts = dict(diagnostics_section(result, summary)["facts"])
    assert "tune 50, draws 50" in facts["Fit 1 (failed the gate, refitted)"]


def test_convergence_summary_skips_parameters_of_size_zero():
    """A spec whose lineage rows all have one share has an empty lineage_offset."""
    rng = np.random.default_rng(0)
    tree = az.from_dict(
        {
            "posterior": {"a": rng.normal(size=(4, 500)), "empty": np.zeros((4, 500, 0))},
            "sample_stats": {"diverging": np.zeros((4, 500), bool)},
        }
    )
    summary = convergence_summary(tree, ["a", "empty"])
    assert summary["worst_parameter"] == "a"
    assert summary["rhat_max"] < 1.01
