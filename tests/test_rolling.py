"""The rolling backtest: every spec of a country up to a date, each scored, the scores pooled.

Two toy specs of one country share a target folder whose results are the carry-forward
baseline's; a third spec of another country and a fourth without results are left out. PyMC's
mock sampler stands in for MCMC.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import mock_sampling
from test_backtest import SEED, write_truth_from_carry_forward
from typer.testing import CliRunner

from forecast.cli import app
from forecast.evaluate.rolling import ROLLING_FILE, pool_scores, rolling_specs
from forecast.toy_project import write_toy_project

runner = CliRunner()


def _sibling(spec_path, name: str, **replace: str) -> None:
    """Write a copy of the toy spec beside it, with some of its text replaced."""
    text = spec_path.read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    (spec_path.parent / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def rolling(tmp_path_factory):
    root = tmp_path_factory.mktemp("rolling")
    spec_path = write_toy_project(root)
    write_truth_from_carry_forward(spec_path, root / "data" / "toy" / "2010")
    _sibling(spec_path, "b.toml", **{'id = "toy_2010"': 'id = "toy_2010_b"'})
    _sibling(spec_path, "c.toml", **{'country = "toyland"': 'country = "elsewhere"'})
    (root / "data" / "toy" / "2011").mkdir()
    for f in ("magnitude.csv", "electorate.csv"):
        for suffix in ("", ".source.toml"):
            src = root / "data" / "toy" / "2010" / f
            src = src.with_name(src.stem + suffix) if suffix else src
            (root / "data" / "toy" / "2011" / src.name).write_bytes(src.read_bytes())
    _sibling(
        spec_path,
        "d.toml",
        **{'id = "toy_2010"': 'id = "toy_2011"', '"data/toy/2010"': '"data/toy/2011"'},
    )
    out = root / "out"
    with mock_sampling():
        args = ["backtest", str(spec_path), "--rolling", "--out", str(out), "--quiet"]
        result = runner.invoke(app, [*args, "--seed", str(SEED), "--samples", "200"])
    assert result.exit_code == 0, result.output
    return spec_path, json.loads((out / ROLLING_FILE).read_text())


def test_only_the_countrys_specs_with_results_are_backtested(rolling):
    spec_path, found = rolling
    assert [s.election.id for s in rolling_specs(spec_path)] == ["toy_2010", "toy_2010_b"]
    assert [e["election"] for e in found["elections"]] == ["toy_2010", "toy_2010_b"]


def test_pooled_scores_are_over_every_list_of_every_election(rolling):
    _, found = rolling
    for name in ("model", "carry_forward", "uniform_swing"):
        per = [e[name] for e in found["elections"]]
        pooled = found["pooled"][name]
        assert pooled["lists_scored"] == sum(p["lists_scored"] for p in per)
        n = np.array([p["lists_scored"] for p in per])
        for key in ("coverage_90", "seat_mae", "crps", "width_90"):
            assert pooled[key] == pytest.approx(n @ [p[key] for p in per] / n.sum(), abs=1e-3)


def test_a_baseline_equal_to_the_truth_is_perfect_pooled(rolling):
    cf = rolling[1]["pooled"]["carry_forward"]
    assert cf["seat_mae"] == 0 and cf["crps"] == 0 and cf["coverage_90"] == 1
    assert cf["width_90"] == 0
    assert all(c["empirical"] == 1 for c in cf["calibration"])


def test_pooling_weighs_each_list_once():
    lists = [
        {
            "inside_50": i < 1,
            "inside_90": True,
            "error": e,
            "crps": 1.0,
            "log_score": -1.0,
            "seats_lo90": 0.0,
            "seats_hi90": 4.0,
        }
        for i, e in enumerate([1.0, -3.0])
    ]
    one = {
        "election": "a",
        "truth": "t",
        "lists": lists[:1],
        "calibration": [{"nominal": 0.5, "empirical": 1.0}],
        "baselines": {},
    }
    two = {
        "election": "b",
        "truth": "t",
        "lists": lists,
        "calibration": [{"nominal": 0.5, "empirical": 0.5}],
        "baselines": {},
    }
    from forecast.evaluate import rolling as mod

    levels = mod.CALIBRATION_LEVELS
    mod.CALIBRATION_LEVELS = (0.5,)
    try:
        pooled = pool_scores([one, two])["pooled"]["model"]
    finally:
        mod.CALIBRATION_LEVELS = levels
    assert pooled["lists_scored"] == 3
    assert pooled["seat_mae"] == pytest.approx(5 / 3, abs=1e-4)
    assert pooled["coverage_50"] == pytest.approx(2 / 3, abs=1e-4)
    assert pooled["calibration"][0]["empirical"] == pytest.approx(2 / 3, abs=1e-4)
