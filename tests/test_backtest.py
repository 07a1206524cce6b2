"""The backtest: truth reading, scores against hand-computed values, baselines, CLI and PDF.

One module-scoped ``forecast backtest`` run on the toy project, with PyMC's mock sampler, against
a truth folder written from the carry-forward baseline itself: that baseline must score perfectly.
"""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import mock_sampling, pdf_text
from matplotlib.figure import Figure
from typer.testing import CliRunner

from forecast.cli import app
from forecast.data.ingest import ingest_election
from forecast.data.spec import load_spec
from forecast.errors import DataError, SpecError
from forecast.evaluate.backtest import BACKTEST_FILE
from forecast.evaluate.baselines import carry_forward_votes
from forecast.evaluate.scores import CALIBRATION_LEVELS, crps, log_score, score_forecast
from forecast.evaluate.truth import read_truth
from forecast.government.coalitions import score_coalitions
from forecast.government.duration import predict_formation_days
from forecast.government.formation import predict_formation
from forecast.report.backtest import plot_calibration
from forecast.report.render import REPORT_FILE
from forecast.run.results import SUMMARY_FILE
from forecast.seats.law import allocate_seats
from forecast.testing import toy_seat_draws
from forecast.toy_project import SIDECAR, write_toy_project

runner = CliRunner()
SEED = 11
SCORES = (
    "seat_mae",
    "coverage_50",
    "coverage_90",
    "log_score",
    "crps",
    "vote_share_mae",
    "government_rank",
    "p_government",
    "p_actual_pm",
    "formation_days_actual",
    "formation_days_median",
    "formation_days_inside_90",
    "calibration",
    "lists",
)
LIST_KEYS = {
    "party",
    "actual_seats",
    "seats_median",
    "seats_lo90",
    "seats_hi90",
    "seats_lo50",
    "seats_hi50",
    "error",
    "inside_50",
    "inside_90",
    "crps",
    "log_score",
}


def write_table(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.with_name(path.stem + ".source.toml").write_text(SIDECAR, encoding="utf-8")


def write_truth_from_carry_forward(spec_path: Path, folder: Path) -> dict[str, int]:
    """A truth folder whose results are the carry-forward baseline's; returns its seats."""
    spec = load_spec(spec_path)
    data = ingest_election(spec)
    votes = carry_forward_votes(data, spec)
    magnitude = data["magnitude"].sel(election=spec.election.id).astype(int)
    seats = allocate_seats(
        votes["votes"], magnitude, spec.law, valid_votes=votes["valid_votes"], seed=SEED + 2
    ).isel(sample=0)
    v = votes.isel(sample=0)
    rows = [
        f"{p},{k},{int(v['votes'].sel(province=p, party=k))}"
        for p in v.province.values
        for k in v.party.values
    ]
    write_table(folder / "votes.csv", "province,party,votes\n" + "\n".join(rows) + "\n")
    north = int(v["valid_votes"].sel(province="north"))
    write_table(folder / "turnout.csv", f"province,registered,valid,turnout_pct\nnorth,,{north},\n")
    seat_rows = [
        f"{p},{k},{n},district"
        for p in seats.province.values
        for k in seats.party.values
        if (n := int(seats["district_seats"].sel(province=p, party=k)))
    ]
    for kind in ("compensatory", "quota"):
        seat_rows += [
            f"national,{k},{n},{kind}"
            for k in seats.party.values
            if (n := int(seats[f"{kind}_seats"].sel(party=k)))
        ]
    write_table(
        folder / "seats.csv", "province,party,seats,seat_type\n" + "\n".join(seat_rows) + "\n"
    )
    total = {str(k): int(seats["seats"].sel(party=k)) for k in seats.party.values}
    national = [f"{k},,{n}" for k, n in total.items()]
    write_table(folder / "national.csv", "party,votes,seats\n" + "\n".join(national) + "\n")
    (folder / "government.toml").write_text(
        'members = ["alpha", "beta"]\npm_party = "alpha"\ndays = 40\n', encoding="utf-8"
    )
    return total


@pytest.fixture(scope="module")
def toy_backtest(tmp_path_factory):
    """``forecast backtest`` on the toy project (mock sampler): (spec path, truth, out, seats)."""
    root = tmp_path_factory.mktemp("toy")
    spec_path = write_toy_project(root)
    truth = root / "data" / "toy" / "2010_results"
    seats = write_truth_from_carry_forward(spec_path, truth)
    out = root / "out"
    with mock_sampling():
        args = ["backtest", str(spec_path), "--truth", str(truth), "--out", str(out)]
        result = runner.invoke(app, [*args, "--seed", str(SEED), "--samples", "200", "--quiet"])
    assert result.exit_code == 0, result.output
    return spec_path, truth, out, seats


@pytest.fixture(scope="module")
def scores(toy_backtest):
    return json.loads((toy_backtest[2] / BACKTEST_FILE).read_text())


# ---- scoring rules against hand-computed values --------------------------------------------------


def test_crps_matches_hand_values():
    # samples {0, 2}, y = 1: E|X - y| = 1, E|X - X'| = 1, so 1 - 1/2
    assert crps(np.array([[0], [2]]), np.array([1])) == pytest.approx([0.5])
    # {1, 2, 3, 4}, y = 2: E|X - y| = 4/4, sum of |xi - xj| over ordered pairs = 20, so 1 - 20/32
    assert crps(np.array([[4], [1], [3], [2]]), np.array([2])) == pytest.approx([0.375])
    # a point forecast scores the absolute error
    assert crps(np.array([[3, 7]]), np.array([5, 7])) == pytest.approx([2.0, 0.0])


def test_crps_equals_the_pairwise_definition():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 30, size=(37, 4))
    y = np.array([0, 5, 14, 40])
    pairs = np.array([np.mean([abs(a - b) for a, b in itertools.product(col, col)]) for col in x.T])
    expected = np.abs(x - y).mean(axis=0) - 0.5 * pairs
    assert crps(x, y) == pytest.approx(expected)


def test_log_score_mixes_one_percent_uniform():
    x = np.array([[5], [5], [6], [7]])
    assert log_score(x, np.array([5]), 10) == pytest.approx([np.log(0.99 * 0.5 + 0.01 / 11)])
    # a point forecast that misses: a finite penalty, the same for any miss
    miss = log_score(np.array([[3, 3]]), np.array([4, 300]), 325)
    assert miss == pytest.approx([np.log(0.01 / 326)] * 2)
    assert log_score(np.array([[4]]), np.array([4]), 325) == pytest.approx(
        [np.log(0.99 + 0.01 / 326)]
    )


# ---- the command on the toy project --------------------------------------------------------------


def test_backtest_json_has_every_score(scores, toy_backtest):
    for key in SCORES:
        assert key in scores, key
    assert set(scores["baselines"]) == {"carry_forward", "uniform_swing"}
    for baseline in scores["baselines"].values():
        assert set(SCORES) <= set(baseline)
    # the pooled list wins no seat by law: reported apart, not scored
    assert {r["party"] for r in scores["lists"]} == {"alpha", "beta"}
    assert scores["pooled_seats_actual"] == toy_backtest[3]["other"]
    for r in scores["lists"]:
        assert set(r) == LIST_KEYS
        assert r["error"] == r["seats_median"] - r["actual_seats"]
        assert r["actual_seats"] == toy_backtest[3][r["party"]]
    assert [c["nominal"] for c in scores["calibration"]] == list(CALIBRATION_LEVELS)
    assert scores["samples"] == 200 and scores["baselines"]["uniform_swing"]["samples"] == 200
    assert scores["truth"] == "data/toy/2010_results"
    assert scores["actual_government"] == {
        "members": ["alpha", "beta"],
        "pm_party": "alpha",
        "days": 40.0,
    }
    assert scores["formation_days_actual"] == 40.0
    assert "renormalised" in scores["vote_share_note"]


def test_baseline_equal_to_the_truth_scores_perfectly(scores):
    cf = scores["baselines"]["carry_forward"]
    assert cf["seat_mae"] == 0 and cf["vote_share_mae"] == 0 and cf["crps"] == 0
    assert cf["coverage_50"] == cf["coverage_90"] == 1
    assert all(c["empirical"] == 1 for c in cf["calibration"])
    assert cf["log_score"] == pytest.approx(np.log(0.99 + 0.01 / 25), abs=1e-4)
    assert cf["samples"] == 1


def test_model_scores_are_consistent(scores):
    lists = scores["lists"]
    assert scores["seat_mae"] == pytest.approx(np.mean([abs(r["error"]) for r in lists]), abs=1e-4)
    assert scores["coverage_90"] == pytest.approx(
        np.mean([r["inside_90"] for r in lists]), abs=1e-4
    )
    assert scores["coverage_50"] == pytest.approx(
        np.mean([r["inside_50"] for r in lists]), abs=1e-4
    )
    by_level = {c["nominal"]: c["empirical"] for c in scores["calibration"]}
    assert by_level[0.5] == scores["coverage_50"] and by_level[0.9] == scores["coverage_90"]
    assert 0 <= scores["p_government"] <= 1 and 0 <= scores["p_actual_pm"] <= 1
    assert scores["government_rank"] is None or scores["government_rank"] >= 1
    assert np.log(0.01 / 25) <= scores["log_score"] <= 0


def test_summary_and_report_have_the_backtest(toy_backtest, scores):
    out = toy_backtest[2]
    summary = json.loads((out / SUMMARY_FILE).read_text())
    bt = summary["backtest"]
    assert bt["crps"] == scores["crps"] and bt["seat_mae"] == scores["seat_mae"]
    assert set(bt["baselines"]) == {"carry_forward", "uniform_swing"}
    assert "lists" not in bt
    text = pdf_text(out / REPORT_FILE)
    assert "Backtest" in text
    for words in ("Carry-forward", "Uniform swing", "Calibration", "CRPS of seats", "Seat error"):
        assert words in text, words


def test_report_rerender_keeps_the_backtest(toy_backtest):
    spec_path, _, out, _ = toy_backtest
    (out / REPORT_FILE).unlink()
    result = runner.invoke(app, ["report", str(out), "--spec", str(spec_path)])
    assert result.exit_code == 0, result.output
    assert "Uniform swing" in pdf_text(out / REPORT_FILE)


def test_leaked_truth_is_refused(toy_backtest):
    spec_path = toy_backtest[0]
    evidence = spec_path.parents[1] / "data" / "toy" / "2005"
    result = runner.invoke(app, ["backtest", str(spec_path), "--truth", str(evidence)])
    assert result.exit_code == 2
    assert "evidence[0].path" in result.output and "fitted to" in result.output


# ---- reading the truth ---------------------------------------------------------------------------


@pytest.fixture
def truth_dir(toy_backtest, tmp_path):
    """A fresh copy of the toy truth folder to break: (spec, folder)."""
    spec_path, truth, _, _ = toy_backtest
    folder = tmp_path / "truth"
    folder.mkdir()
    for f in truth.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    return load_spec(spec_path), folder


def test_read_truth(truth_dir, toy_backtest):
    spec, folder = truth_dir
    truth = read_truth(folder, spec)
    assert truth.seats_file == "national.csv"
    assert (
        dict(zip(truth.seats.party.values, truth.seats.values.tolist(), strict=True))
        == toy_backtest[3]
    )
    assert int(truth.district_seats.sum()) == 20  # 24 seats less 3 compensatory and 1 quota
    assert np.isfinite(truth.valid_votes.sel(province="north")) and np.isnan(
        truth.valid_votes.sel(province="south")
    )
    assert truth.government.members == ("alpha", "beta") and truth.government.days == 40


def test_unknown_lists_go_to_the_pooled_list(truth_dir):
    spec, folder = truth_dir
    with (folder / "votes.csv").open("a") as f:
        f.write("south,gamma_new,7\n")
    truth = read_truth(folder, spec)
    assert truth.pooled == {"gamma_new": "other"}
    no_pool = spec.model_copy(update={"law": spec.law.model_copy(update={"pooled": ()})})
    with pytest.raises(DataError) as err:
        read_truth(folder, no_pool)
    assert err.value.file.name == "votes.csv" and err.value.field == "party"
    assert err.value.where.startswith("row ") and "gamma_new" in err.value.message


@pytest.mark.parametrize(
    ("file", "text", "where", "field", "words"),
    [
        (
            "seats.csv",
            "province,party,seats\nnowhere,alpha,3\n",
            "row 2",
            "province",
            "unknown province",
        ),
        (
            "seats.csv",
            "province,party,seats\nnorth,alpha,three\n",
            "row 2",
            "seats",
            "whole number",
        ),
        ("national.csv", "party,votes,seats\nalpha,,2\n", None, "seats", "add up to"),
        (
            "votes.csv",
            "province,party,votes\nnorth,alpha,NA\n",
            "row 2",
            "votes",
            "leave the cell empty",
        ),
        (
            "turnout.csv",
            "province,registered,valid,turnout_pct\nnorth,,1,\n",
            "row 2",
            "votes",
            "valid votes",
        ),
        (
            "government.toml",
            'members = ["alpha", "zeta"]\n',
            "key 'members'",
            None,
            "unknown list 'zeta'",
        ),
        (
            "government.toml",
            'members = ["alpha"]\npm_party = "alfa"\n',
            "key 'pm_party'",
            None,
            "did you mean 'alpha'",
        ),
        ("government.toml", 'members = ["alpha"]\ndays = "long"\n', "key 'days'", None, "days"),
        ("government.toml", "members = [\n", None, None, "not valid TOML"),
    ],
)
def test_bad_truth_names_file_row_and_field(truth_dir, file, text, where, field, words):
    spec, folder = truth_dir
    (folder / file).write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_truth(folder, spec)
    assert err.value.file.name == ("votes.csv" if file == "turnout.csv" else file)
    assert err.value.where == where or (where == "row 2" and err.value.where.startswith("row "))
    assert err.value.field == field
    assert words in err.value.message


def test_truth_without_seats_or_votes(truth_dir):
    spec, folder = truth_dir
    (folder / "votes.csv").unlink()
    truth = read_truth(folder, spec)
    assert truth.votes is None
    (folder / "national.csv").unlink()
    (folder / "seats.csv").unlink()
    with pytest.raises(DataError, match="needs the seats won"):
        read_truth(folder, spec)


def test_government_outside_the_candidates_scores_zero(truth_dir):
    spec, folder = truth_dir
    (folder / "votes.csv").unlink()
    (folder / "government.toml").write_text('members = ["alpha", "other"]\npm_party = "other"\n')
    truth = read_truth(folder, spec)
    seats = toy_seat_draws(50, {"alpha": 13, "beta": 10, "other": 0, "minority_quota": 1})
    table = predict_formation_days(
        predict_formation(score_coalitions(seats, spec), spec, seed=1), spec, seed=2
    )
    votes = seats.rename(seats="votes")  # not read: the truth has no votes
    out = score_forecast(votes, seats, table, truth, spec)
    assert out["government_rank"] is None and out["p_government"] == 0 and out["p_actual_pm"] == 0
    assert (
        out["vote_share_mae"] is None
        and out["vote_share_note"] == "the truth folder has no votes.csv"
    )
    assert out["formation_days_actual"] is None and out["formation_days_inside_90"] is None


def _partial_truth(folder, national: str):
    """Keep only national.csv (with the given rows) and the government of a truth folder."""
    for name in ("seats.csv", "votes.csv", "turnout.csv"):
        (folder / name).unlink(missing_ok=True)
    (folder / "national.csv").write_text(national)


def _score(spec, truth, seats):
    table = predict_formation_days(
        predict_formation(score_coalitions(seats, spec), spec, seed=1), spec, seed=2
    )
    return score_forecast(seats.rename(seats="votes"), seats, table, truth, spec)


def test_a_partial_truth_scores_only_the_lists_it_states(truth_dir):
    spec, folder = truth_dir
    # alpha stated, beta an explicit gap, other absent: 12 of 24 seats stated
    _partial_truth(folder, "party,votes,seats\nalpha,,12\nbeta,,\n")
    truth = read_truth(folder, spec)
    assert not truth.complete
    assert truth.known.sel(party="alpha") and not truth.known.sel(party="beta")
    assert not truth.known.sel(party="other")
    seats = toy_seat_draws(60, {"alpha": 14, "beta": 6, "other": 0, "minority_quota": 1})
    out = _score(spec, truth, seats)
    assert out["lists_scored"] == ["alpha"] and out["lists_unknown"] == ["beta"]
    assert out["truth_seats"] == 12 and out["truth_complete"] is False
    assert out["pooled_seats_actual"] is None  # the truth does not say what the pool won
    alpha = out["lists"][0]
    assert [r["party"] for r in out["lists"]] == ["alpha"]
    assert out["seat_mae"] == pytest.approx(abs(alpha["seats_median"] - 12))


def test_a_complete_truth_scores_absent_lists_as_zero(truth_dir):
    spec, folder = truth_dir
    _partial_truth(folder, "party,votes,seats\nalpha,,16\nbeta,,7\nminority_quota,,1\n")
    truth = read_truth(folder, spec)
    assert truth.complete and bool(truth.known.all())
    seats = toy_seat_draws(60, {"alpha": 14, "beta": 6, "other": 0, "minority_quota": 1})
    out = _score(spec, truth, seats)
    assert out["lists_unknown"] == [] and out["pooled_seats_actual"] == 0
    assert {r["party"] for r in out["lists"]} == {"alpha", "beta"}


def test_a_truth_that_states_no_list_is_refused(truth_dir):
    spec, folder = truth_dir
    _partial_truth(folder, "party,votes,seats\nminority_quota,,1\nbeta,,\n")
    seats = toy_seat_draws(20, {"alpha": 14, "beta": 6, "other": 0, "minority_quota": 1})
    with pytest.raises(DataError, match="none of the spec's lists"):
        _score(spec, read_truth(folder, spec), seats)


def test_plot_calibration_draws_one_line_per_forecast():
    rows = [{"nominal": level, "empirical": min(1.0, level + 0.1)} for level in CALIBRATION_LEVELS]
    fig = plot_calibration({"Model": rows, "Carry-forward": rows[:1]})
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == [
        "perfect calibration",
        "Model",
        "Carry-forward",
    ]
    assert list(ax.lines[1].get_xdata()) == list(CALIBRATION_LEVELS)
    fig.savefig(io.BytesIO(), format="svg")
    own = Figure()
    assert plot_calibration({"Model": rows}, ax=own.add_subplot()) is own


def test_carry_forward_falls_back_to_national_totals_where_held(toy_backtest):
    spec = load_spec(toy_backtest[0])
    data = ingest_election(spec)
    past = {"election": "e2005"}
    data["votes"].loc[{**past, "province": "south"}] = np.nan
    data["national_votes"].loc[{**past, "party": ["a_old", "b_old"]}] = [600, 300]
    data["national_valid"].loc[past] = 1000
    data["voted"].loc[{**past, "province": "south"}] = True
    south = carry_forward_votes(data, spec).isel(sample=0).sel(province="south")
    shares = (south["votes"] / south["valid_votes"]).sel(party=["alpha", "beta", "other"])
    # a_old 60% -> alpha 0.8, other 0.2; b_old 30% -> beta; the unreported 10% -> other
    assert shares.values == pytest.approx([0.48, 0.30, 0.22], abs=1e-3)
    data["voted"].loc[{**past, "province": "south"}] = False  # not held there: nothing to carry
    with pytest.raises(SpecError, match="province 'south'"):
        carry_forward_votes(data, spec)


def test_a_district_table_of_some_provinces_beside_the_national_seats_is_read(
    toy_backtest, tmp_path
):
    """A published district table often covers a few provinces: national.csv decides the seats."""
    spec_path, truth, _, seats = toy_backtest
    folder = tmp_path / "truth"
    folder.mkdir()
    for f in truth.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    lines = (truth / "seats.csv").read_text(encoding="utf-8").splitlines()
    (folder / "seats.csv").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    assert read_truth(folder, load_spec(spec_path)).seats.to_series().to_dict() == {
        k: v for k, v in seats.items() if k in read_truth(truth, load_spec(spec_path)).seats.party
    }
    party, n = lines[1].split(",")[1], int(lines[1].split(",")[2])
    (folder / "seats.csv").write_text(
        f"{lines[0]}\n{lines[1].replace(f',{n},', f',{seats[party] + 1},')}\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="add up to"):
        read_truth(folder, load_spec(spec_path))
