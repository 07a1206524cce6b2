"""Scenarios: settings refused with the key named, vote changes exact, runs end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from conftest import mock_sampling, write_toy_project
from typer.testing import CliRunner

from forecast import dims
from forecast.cli import app
from forecast.data.spec import load_spec
from forecast.errors import SpecError
from forecast.report.render import REPORT_FILE
from forecast.run.results import SUMMARY_FILE
from forecast.run.scale import headlines
from forecast.run.scenarios import (
    apply_scenario,
    baseline,
    parse_assignments,
    parse_scenario,
    spec_scenarios,
)

runner = CliRunner()


@pytest.fixture
def spec(toy_project):
    return load_spec(toy_project)


def vote_draws(votes: np.ndarray) -> xr.Dataset:
    """VoteDraws of the toy lists (alpha, beta, other) from an array (sample, province, party)."""
    valid = votes.sum(axis=-1)
    return xr.Dataset(
        {
            "votes": ((dims.SAMPLE, dims.PROVINCE, dims.PARTY), votes.astype(np.int32)),
            "valid_votes": ((dims.SAMPLE, dims.PROVINCE), valid.astype(np.int64)),
            "turnout": ((dims.SAMPLE, dims.PROVINCE), np.full(valid.shape, 0.6)),
        },
        coords={
            dims.SAMPLE: np.arange(len(votes)),
            dims.PROVINCE: ["north"],
            dims.PARTY: ["alpha", "beta", "other"],
        },
    )


def test_assignments_are_read_as_toml_values():
    got = parse_assignments(
        ["swing.alpha=0.05", "boycott.minority=true", 'merge.alpha=["beta"]', "x=plain"]
    )
    assert got == {
        "swing.alpha": 0.05,
        "boycott.minority": True,
        "merge.alpha": ["beta"],
        "x": "plain",
    }
    with pytest.raises(SpecError, match="not KEY=VALUE"):
        parse_assignments(["swing.alpha"])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"swng.alpha": 0.1}, "unknown setting 'swng'.*did you mean 'swing'"),
        ({"turnout.minorty": 0.5}, "unknown community 'minorty'.*did you mean 'minority'"),
        ({"swing.alfa": 0.1}, "unknown list 'alfa'.*did you mean 'alpha'"),
        ({"swing.alpha": 2.0}, "expected a number from -1.0 to 1.0"),
        ({"split.alpha": 0.5}, "split.<list>.<list>"),
        ({"merge.alpha": ["alpha"]}, "cannot merge with itself"),
        ({"veto.alpha.beta": False}, "no veto between alpha and beta to lift"),
        ({"boycott.minority": "yes"}, "expected true or false"),
        ({"priors.swing_sigma": 1.0}, "unknown setting 'priors'"),
        ({"coalitions.max_parties": 0}, "greater than or equal to 1"),
        (
            {"coalitions.max_partys": 3},
            "no setting 'coalitions.max_partys'.*did you mean 'max_parties'",
        ),
    ],
)
def test_bad_settings_are_refused_naming_the_key(spec, settings, message):
    with pytest.raises(SpecError, match=message) as err:
        parse_scenario(spec, "bad", settings)
    assert "--set" in str(err.value) and str(spec.source_file) in str(err.value)


def test_spec_blocks_are_checked_with_their_place_in_the_file(toy_project):
    text = (
        toy_project.read_text()
        + '\n[[scenario]]\nname = "odd"\nset = { "boycott.nobody" = true }\n'
    )
    toy_project.write_text(text)
    with pytest.raises(SpecError, match=r"scenario\[0\]\.set\.boycott\.nobody"):
        spec_scenarios(load_spec(toy_project))


def test_post_fit_settings_change_the_spec_only(spec):
    s = parse_scenario(
        spec, "rules", {"veto.alpha.beta": True, "law.district.method": "sainte_lague"}
    )
    assert not s.changes_votes
    assert [sorted(v) for v in s.spec.coalitions.vetoes] == [["alpha", "beta"]]
    assert s.spec.law.district.method == "sainte_lague" and spec.law.district.method == "dhondt"
    lifted = parse_scenario(s.spec, "lift", {"veto.beta.alpha": False})
    assert lifted.spec.coalitions.vetoes == ()


def test_boycott_removes_the_communitys_part_of_each_list(spec):
    # toy bases: alpha all majority, beta half minority, other all majority
    votes = vote_draws(np.array([[[100, 200, 50]]]))
    out = apply_scenario(votes, parse_scenario(spec, "b", {"boycott.minority": True}))
    assert out["votes"].values.tolist() == [[[100, 100, 50]]]
    assert out["valid_votes"].item() == 250
    assert out["turnout"].item() == pytest.approx(0.6 * 250 / 350)
    half = apply_scenario(votes, parse_scenario(spec, "h", {"turnout.minority": 0.5}))
    assert half["votes"].values.tolist() == [[[100, 150, 50]]]


def test_a_scenario_that_leaves_a_province_without_votes_is_refused(spec):
    votes = vote_draws(np.array([[[100, 0, 50]]]))  # only lists of the majority
    with pytest.raises(SpecError, match="leaves no vote at all in north in 1 of 1 samples"):
        apply_scenario(votes, parse_scenario(spec, "b", {"boycott.majority": True}))


def test_a_low_turnout_factor_keeps_a_district_of_few_voters_from_emptying(spec):
    votes = vote_draws(np.array([[[3, 0, 1]], [[300, 0, 100]]]))  # lists of the majority only
    out = apply_scenario(votes, parse_scenario(spec, "t", {"turnout.majority": 0.1}))
    # 0.3 and 0.1 votes round to none: the largest list keeps one; 30 and 10 are kept as they are
    assert out["votes"].values.tolist() == [[[1, 0, 0]], [[30, 0, 10]]]
    assert out["valid_votes"].values.ravel().tolist() == [1, 40]


def test_merge_and_split_move_votes_and_keep_the_total(spec):
    votes = vote_draws(np.array([[[100, 200, 50]], [[10, 0, 30]]]))
    merged = apply_scenario(votes, parse_scenario(spec, "m", {"merge.alpha": ["beta", "other"]}))
    assert merged["votes"].values[:, 0].tolist() == [[350, 0, 0], [40, 0, 0]]
    split = apply_scenario(votes, parse_scenario(spec, "s", {"split.beta.other": 0.25}))
    assert split["votes"].values[:, 0].tolist() == [[100, 150, 100], [10, 0, 30]]
    assert (split["valid_votes"] == votes["valid_votes"]).all()


def test_swing_adds_the_points_and_the_others_give_them_up_in_proportion(spec):
    votes = vote_draws(np.array([[[300, 500, 200]]]))
    out = apply_scenario(votes, parse_scenario(spec, "w", {"swing.alpha": 0.1}))
    # alpha 30% -> 40%; beta and other share the remaining 60% as 5:2
    assert out["votes"].values.tolist() == [[[400, 429, 171]]]
    floor = apply_scenario(votes, parse_scenario(spec, "f", {"swing.alpha": -0.5}))
    assert floor["votes"].values.tolist() == [[[0, 714, 286]]]


def test_a_rule_change_keeps_the_draws_and_a_boycott_costs_the_lists_based_there(toy_result):
    spec = toy_result.spec
    runs = [
        baseline(spec),
        parse_scenario(spec, "veto", {"veto.alpha.beta": True}),
        parse_scenario(spec, "boycott", {"boycott.minority": True}),
    ]
    base, veto, boycott = headlines(
        toy_result.posterior,
        toy_result.data,
        runs,
        seed=toy_result.seed,
        samples=200,
        scheduler="sync",
    )
    # common random numbers: a veto changes who governs, never the seats
    assert veto["lists"] == base["lists"]
    assert "alpha+beta" not in [c["label"] for c in veto["coalitions"]]
    # beta draws half its votes from the minority, alpha none
    assert boycott["lists"]["beta"]["seats_mean"] < base["lists"]["beta"]["seats_mean"]
    assert boycott["lists"]["alpha"]["seats_mean"] > base["lists"]["alpha"]["seats_mean"]


def test_scenario_command_writes_scenarios_beside_the_baseline(tmp_path):
    spec_path = write_toy_project(tmp_path)
    out = tmp_path / "out"
    with mock_sampling():
        result = runner.invoke(
            app,
            [
                "scenario",
                str(spec_path),
                "--set",
                "boycott.minority=true",
                "--set",
                "swing.alpha=0.05",
                "--name",
                "unrest",
                "--out",
                str(out),
                "--draws",
                "150",
            ],
        )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / SUMMARY_FILE).read_text())
    rows = summary["scenarios"]
    assert [r["scenario"] for r in rows] == ["baseline", "unrest"]
    assert rows[1]["changes"] == "boycott.minority = true; swing.alpha = 0.05"
    base = summary["scenario_details"][0]
    # with the samples in one chunk the baseline row is the forecast itself
    for row in summary["lists"]:
        got = base["lists"][row["party"]]
        assert (got["seats_median"], got["seats_lo90"], got["seats_hi90"]) == (
            row["seats_median"],
            row["seats_lo90"],
            row["seats_hi90"],
        )
    assert base["coalitions"][0]["p_form"] == summary["coalitions"][0]["p_form"]
    assert (
        base["conflict_risk"]["p_onset_any"] == summary["conflict_risk"]["overall"]["p_onset_any"]
    )
    assert "Scenarios" in result.output and (out / REPORT_FILE).exists()


def test_scenario_command_without_a_scenario_is_an_error(tmp_path):
    result = runner.invoke(app, ["scenario", str(write_toy_project(tmp_path))])
    assert result.exit_code == 2
    assert "no scenario" in result.output
