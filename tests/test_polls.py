"""Polls as evidence: the polls table, the as-of cut, the poll likelihood and what it learns."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from forecast.data.ingest import ingest_election
from forecast.data.polls import polls_as_of, read_polls
from forecast.data.spec import load_spec
from forecast.errors import DataError, SpecError
from forecast.toy_project import SIDECAR, write_toy_project
from forecast.votes.fit import fit_model
from forecast.votes.model import build_model
from forecast.votes.polls import poll_evidence

HEADER = "pollster,field_start,field_end,sample_size,scope,party,share,source"
# A logit lean of each pollster on alpha (summing to zero over pollsters), for the simulation.
LEAN = {"north_polls": 0.4, "south_polls": -0.4, "centre_polls": 0.0}


def _with_polls(root: Path, rows: list[str], *, settings: str = "", regions: str | None = None):
    """Write the toy project with a polls table (and a regions table); return its spec."""
    spec_path = write_toy_project(root)
    paths = 'polls = "data/toy/2010/polls.csv"\n'
    if regions is not None:
        paths += 'regions = "data/toy/regions.csv"\n'
        (root / "data/toy/regions.csv").write_text(regions, encoding="utf-8")
        (root / "data/toy/regions.source.toml").write_text(SIDECAR, encoding="utf-8")
    text = spec_path.read_text().replace(
        'target = "data/toy/2010"\n', f'target = "data/toy/2010"\n{paths}'
    )
    if settings:
        text = text.replace("[sampler]", f"[polls]\n{settings}\n[sampler]")
    spec_path.write_text(text, encoding="utf-8")
    (root / "data/toy/2010/polls.csv").write_text(
        "\n".join([HEADER, *rows]) + "\n", encoding="utf-8"
    )
    (root / "data/toy/2010/polls.source.toml").write_text(SIDECAR, encoding="utf-8")
    return spec_path


def _poll(pollster: str, end: str, shares: dict[str, float], n: int = 1000, scope="national"):
    return [
        f"{pollster},{end},{end},{n},{scope},{party},{share},TEST"
        for party, share in shares.items()
    ]


def _simulated_polls(seed: int) -> list[str]:
    """Polls of three pollsters whose leans on alpha are ``LEAN``, around alpha 55%, beta 25%."""
    rng = np.random.default_rng(seed)
    rows = []
    days = ["2010-01-05", "2010-01-20", "2010-02-05", "2010-02-20"]
    for pollster, lean in LEAN.items():
        for day in days:
            logit = np.log(0.55 / 0.45) + lean
            alpha = rng.binomial(3000, 1 / (1 + np.exp(-logit))) / 30.0
            beta = rng.binomial(3000, 0.25) / 30.0
            rows += _poll(pollster, day, {"alpha": round(alpha, 1), "beta": round(beta, 1)}, n=3000)
    return rows


def _fit(spec_path: Path):
    spec = load_spec(spec_path)
    data = ingest_election(spec)
    sampler = spec.sampler.model_copy(update={"draws": 250, "tune": 400, "chains": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = fit_model(build_model(data, spec), sampler, seed=7, spec_hash="test", progress=False)
    return tree["posterior"], data


def _national_alpha(post, data) -> float:
    """Posterior mean of alpha's national share: provinces weighted by electorate x turnout."""
    registered = data["registered"].sel(election="toy_2010").values
    voters = post["turnout"] * registered
    national = (post["share"] * voters).sum("province") / voters.sum("province")
    return float(national.sel(party="alpha").mean())


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    """The toy forecast fitted without polls and with the simulated polls."""
    spec_path = _with_polls(
        tmp_path_factory.mktemp("polls"), _simulated_polls(3), settings="house_sigma = 0.5"
    )
    return _fit(spec_path), _fit_without(spec_path)


def _fit_without(spec_path: Path):
    text = spec_path.read_text().replace('polls = "data/toy/2010/polls.csv"\n', "")
    bare = spec_path.with_name("toy_bare.toml")
    bare.write_text(text, encoding="utf-8")
    return _fit(bare)


def test_polls_pull_the_national_shares_toward_them(fits):
    (with_polls, data), (without, _) = fits
    assert "polls" not in without  # no poll likelihood, no poll variables
    before, after = _national_alpha(without, data), _national_alpha(with_polls, data)
    # the polls put alpha at 55%; the 2005 results alone near 45%
    assert abs(after - 0.55) < abs(before - 0.55) - 0.05, (before, after)
    assert abs(after - 0.55) < 0.04, after


def test_a_pollster_house_effect_is_recovered_on_simulated_polls(fits):
    (post, _), _ = fits
    house = post["poll_house"].sel(party="alpha")
    diff = house.sel(pollster="north_polls") - house.sel(pollster="south_polls")
    lo, hi = np.quantile(diff.values, [0.05, 0.95])
    assert lo < LEAN["north_polls"] - LEAN["south_polls"] < hi, (lo, hi)
    assert lo > 0.3  # the lean is found, not just allowed
    # a pollster without a lean sits near the middle; beta has no lean
    assert abs(float(house.sel(pollster="centre_polls").mean())) < 0.15
    beta = post["poll_house"].sel(party="beta")
    assert (
        abs(float((beta.sel(pollster="north_polls") - beta.sel(pollster="south_polls")).mean()))
        < 0.15
    )


def _late_and_early(root: Path, settings: str) -> Path:
    early = _poll("ipsos", "2010-01-10", {"alpha": 55, "beta": 35})
    late = _poll("kantar", "2010-02-25", {"alpha": 40, "beta": 50})
    return _with_polls(root, early + late, settings=settings)


def test_polls_fielded_after_the_as_of_day_are_ignored(tmp_path):
    spec = load_spec(_late_and_early(tmp_path / "a", "as_of = 2010-02-01"))
    data = ingest_election(spec)
    assert polls_as_of(spec).isoformat() == "2010-02-01"
    assert len(read_polls(spec)) == 4
    polls = poll_evidence(data, spec)
    assert polls.pollsters == ["ipsos"] and len(polls.observed) == 2
    # the same evidence as a table that never held the late poll
    only_early = _with_polls(
        tmp_path / "b", _poll("ipsos", "2010-01-10", {"alpha": 55, "beta": 35})
    )
    spec_b = load_spec(only_early)
    polls_b = poll_evidence(ingest_election(spec_b), spec_b)
    for name, value in vars(polls).items():
        np.testing.assert_array_equal(value, vars(polls_b)[name], err_msg=name)
    # by default the forecast's day is the information cut-off (2010-03-01): both polls count
    spec_all = load_spec(_late_and_early(tmp_path / "c", ""))
    assert poll_evidence(ingest_election(spec_all), spec_all).pollsters == ["ipsos", "kantar"]


def test_a_lead_before_all_polls_leaves_the_model_without_polls(tmp_path):
    spec = load_spec(_late_and_early(tmp_path, "lead_days = 70"))  # as of 2009-12-27
    data = ingest_election(spec)
    assert poll_evidence(data, spec) is None
    assert "polls" not in build_model(data, spec).named_vars
    bare = spec.with_polls(False)
    assert bare.data.polls is None and "polls" not in build_model(data, bare).named_vars


def test_polls_may_not_be_used_after_the_information_cutoff(tmp_path):
    spec = load_spec(_late_and_early(tmp_path, "as_of = 2010-03-05"))
    with pytest.raises(SpecError, match="information cut-off"):
        polls_as_of(spec)


def test_a_regional_poll_measures_its_provinces(tmp_path):
    regions = (
        "region,region_name,province\nnorthlands,Northlands,north\nnorthlands,Northlands,centre\n"
    )
    rows = _poll("ipsos", "2010-02-01", {"beta": 45}, scope="northlands") + _poll(
        "ipsos", "2010-02-01", {"alpha": 50}, scope="south"
    )
    spec = load_spec(_with_polls(tmp_path, rows, regions=regions))
    data = ingest_election(spec)
    polls = poll_evidence(data, spec)
    assert polls.scopes == ["northlands", "south"]
    registered = data["registered"].sel(election="toy_2010").values
    np.testing.assert_array_equal(
        polls.scope_weights, [[*registered[:2], 0], [0, 0, registered[2]]]
    )
    model = build_model(data, spec)
    assert model.named_vars_to_dims["poll_scope_share"] == ("poll_scope", "party")


GOOD = "ipsos,2010-02-01,2010-02-05,1000,national,alpha,55.0,TEST"
BAD_ROWS = [
    ("ipsos,2010-02-01,2010-02-05,1000,national,alpah,55.0,TEST", "party", "did you mean 'alpha'"),
    ("ipsos,2010-02-01,2010-02-05,1000,nation,alpha,55.0,TEST", "scope", "unknown scope"),
    ("ipsos,2010-02-06,2010-02-05,1000,national,alpha,55.0,TEST", "field_start", "after it ends"),
    ("ipsos,2010-03-01,2010-03-07,1000,national,alpha,55.0,TEST", "field_end", "election day"),
    ("ipsos,2010-02-01,5 Feb 2010,1000,national,alpha,55.0,TEST", "field_end", "YYYY-MM-DD"),
    ("ipsos,2010-02-01,2010-02-05,1000,national,alpha,0,TEST", "share", "no logit"),
    ("ipsos,2010-02-01,2010-02-05,1000,national,alpha,101,TEST", "share", "percentage"),
    ("ipsos,2010-02-01,2010-02-05,,national,alpha,55.0,TEST", "sample_size", "default_sample_size"),
    ("ipsos,2010-02-01,2010-02-05,1000,national,alpha,N/A,TEST", "share", "leave the cell empty"),
    ("Ipsos,2010-02-01,2010-02-05,1000,national,alpha,55.0,TEST", "pollster", "slug"),
    ("ipsos,2010-02-01,2010-02-05,1000,national,alpha,55.0,", "source", "empty"),
]


@pytest.mark.parametrize(("row", "field", "message"), BAD_ROWS)
def test_a_bad_poll_row_names_the_file_row_and_field(tmp_path, row, field, message):
    spec_path = _with_polls(tmp_path, [GOOD.replace("alpha", "beta"), row])
    with pytest.raises(DataError, match=message) as err:
        load_spec(spec_path)
    assert err.value.file.name == "polls.csv" and err.value.where == "row 3"
    assert err.value.field == field


def test_polls_that_disagree_with_themselves_are_refused(tmp_path):
    other = GOOD.replace("alpha,55.0", "beta,50.0")
    with pytest.raises(DataError, match="add up to 105.0%") as err:
        load_spec(_with_polls(tmp_path / "a", [GOOD, other]))
    assert err.value.where == "row 3" and err.value.field == "share"
    with pytest.raises(DataError, match="different sample sizes") as err:
        load_spec(
            _with_polls(tmp_path / "b", [GOOD, other.replace("1000", "900").replace("50.0", "30")])
        )
    assert err.value.field == "sample_size"
    with pytest.raises(DataError, match="duplicate row") as err:
        load_spec(_with_polls(tmp_path / "c", [GOOD, GOOD]))
    assert err.value.where == "row 3"


def test_bad_tables_around_the_polls_are_refused(tmp_path):
    spec_path = _with_polls(tmp_path / "a", [GOOD])
    (tmp_path / "a/data/toy/2010/polls.source.toml").unlink()
    with pytest.raises(DataError, match="sidecar"):
        load_spec(spec_path)
    spec_path = _with_polls(tmp_path / "b", [GOOD.replace("TEST", "TEST,extra")])
    with pytest.raises(DataError, match="cells but the header"):
        load_spec(spec_path)
    regions = "region,region_name,province\nnorthlands,Northlands,nowhere\n"
    with pytest.raises(DataError, match="unknown province 'nowhere'") as err:
        load_spec(_with_polls(tmp_path / "c", [GOOD], regions=regions))
    assert err.value.file.name == "regions.csv" and err.value.field == "province"
    # an empty sample size is the spec's stated default when it gives one
    spec = load_spec(
        _with_polls(
            tmp_path / "d", [GOOD.replace("1000", "")], settings="default_sample_size = 800"
        )
    )
    assert read_polls(spec).sample_size.tolist() == [800]


def test_backtest_scores_a_forecast_with_and_without_polls_side_by_side(tmp_path):
    import importlib.util
    import json

    from conftest import mock_sampling
    from test_backtest import write_truth_from_carry_forward
    from typer.testing import CliRunner

    from forecast.cli import app

    spec_path = _with_polls(tmp_path, _simulated_polls(5))
    truth = tmp_path / "data/toy/2010_results"
    write_truth_from_carry_forward(spec_path, truth)
    base = ["backtest", str(spec_path), "--truth", str(truth), "--samples", "100", "--quiet"]
    with mock_sampling():
        for out, extra in (("with", []), ("without", ["--no-polls"])):
            result = CliRunner().invoke(app, [*base, "--out", str(tmp_path / out), *extra])
            assert result.exit_code == 0, result.output
    hashes = {
        out: json.loads((tmp_path / out / "backtest.json").read_text())["spec_hash"]
        for out in ("with", "without")
    }
    assert hashes["with"] != hashes["without"]
    for out, has_polls in (("with", True), ("without", False)):
        tree = xr.open_datatree(tmp_path / out / "posterior.nc")
        assert ("poll_house" in tree["posterior"]) is has_polls
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_polls.py"
    bench = importlib.util.module_from_spec(importlib.util.spec_from_file_location("bp", path))
    bench.__spec__.loader.exec_module(bench)
    text = bench.section(tmp_path / "with", tmp_path / "without")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert any(r.startswith("| with polls |") for r in rows)
    assert any(r.startswith("| without polls |") for r in rows)
    assert sum(r.startswith("| carry forward") for r in rows) == 1
