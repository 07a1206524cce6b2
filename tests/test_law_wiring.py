"""A forecast whose law reads the target's tables: alliance-size thresholds, population magnitudes.

The toy project with a Slovak-style threshold (one party 5%, two or more 50%: the two-party list
``beta`` is kept out unless it wins half the vote) and magnitudes apportioned by Hare largest
remainder from ``population.csv`` (no ``magnitude.csv``): ``check-data`` and ``run`` (mock
sampler) must pass these tables to the seat stage, the run's seats must be the law's on the
run's own votes, and a table that is missing or inconsistent is refused naming the file.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from conftest import mock_sampling, write_toy_project
from typer.testing import CliRunner

from forecast import dims
from forecast.cli import app
from forecast.data.ingest import ingest_election
from forecast.data.spec import load_spec
from forecast.data.spec_law import Apportionment, DistrictRule
from forecast.errors import DataError
from forecast.report.methods import law_text
from forecast.run.pipeline import run_forecast
from forecast.seats.bind import bind_law
from forecast.seats.law import allocate_seats

runner = CliRunner()

LAW = """
[law.alliance_thresholds]
1 = 0.05
2 = 0.5

[law.magnitude]
from = "population"
method = "hare_lr"
"""
PARTIES = "party,party_name,alliance_size\nalpha,Alpha List,1\nbeta,Beta List,2\nother,Other,1\n"
# 20 district seats (24 less 1 quota and 3 compensatory) by Hare on 1000 : 3000 : 6000
POPULATION = "province,population\nnorth,1000\ncentre,3000\nsouth,6000\n"
SEATS = {"north": 2, "centre": 6, "south": 12}
SIDECAR = 'title = "t"\nsources = ["TEST"]\nretrieved = 2026-01-01\nlicence = "CC0"\n'


def write(root, rel, text):
    path = root / rel
    path.write_text(text)
    path.with_name(path.stem + ".source.toml").write_text(SIDECAR)


def law_project(root, *, parties=PARTIES, population=POPULATION, scenario=True):
    """The toy project under the law above; returns the spec path."""
    spec = write_toy_project(root)
    text = spec.read_text().replace("[[law.quota]]", LAW.lstrip() + "\n[[law.quota]]", 1)
    if scenario:  # a law setting re-validates the spec: the bound tables must survive it
        text += '\n[[scenario]]\nname = "high_bar"\nset = { "law.district.threshold" = 0.1 }\n'
    spec.write_text(text)
    (root / "data/toy/2010/magnitude.csv").unlink()
    write(root, "data/toy/2010/parties.csv", parties)
    if population is not None:
        write(root, "data/toy/2010/population.csv", population)
    return spec


def test_run_passes_alliance_sizes_and_population_to_the_seat_stage(tmp_path):
    spec_path = law_project(tmp_path)
    check = runner.invoke(app, ["check-data", str(spec_path)])
    assert check.exit_code == 0, check.output
    assert "spec and data are valid" in check.output
    loaded = load_spec(spec_path)
    with mock_sampling():
        result = run_forecast(loaded, draws=400, out_dir=tmp_path / "out", progress=False)
    target = result.data["magnitude"].sel({dims.ELECTION: loaded.election.id})
    assert target.to_series().astype(int).to_dict() == SEATS
    district = result.seats["district_seats"].sum(dims.PARTY)
    assert (district == xr.DataArray(list(SEATS.values()), coords={"province": list(SEATS)})).all()
    # the same seats from the run's votes under the loaded law, given the tables by hand
    # (ties go by list order, so the run's seeds do not matter)
    votes = result.votes
    sizes = xr.DataArray([1, 2, 1], coords={dims.PARTY: ["alpha", "beta", "other"]})
    people = xr.DataArray([1000, 3000, 6000], coords={dims.PROVINCE: list(SEATS)})
    kwargs = {"valid_votes": votes["valid_votes"], "population": people}
    by_hand = allocate_seats(votes["votes"], None, loaded.law, alliance_size=sizes, **kwargs)
    assert (by_hand["seats"] == result.seats["seats"]).all()
    # and the sizes bit: with every list a single party, beta wins district seats in draws
    # where the run (beta a two-party list, below 50%) gave it none (the toy law's
    # compensatory seats have no threshold)
    single = allocate_seats(votes["votes"], None, loaded.law, alliance_size=sizes * 0 + 1, **kwargs)
    share = votes["votes"].sum(dims.PROVINCE) / votes["valid_votes"].sum(dims.PROVINCE)
    below = (share.sel(party="beta") < 0.5).values

    def beta_district(seats):
        return seats["district_seats"].sum(dims.PROVINCE).sel(party="beta").values[below]

    assert below.any() and (beta_district(result.seats) == 0).all()
    assert (beta_district(single) > 0).any()
    assert result.spec.law.tables is not None
    assert loaded.law.tables is None  # binding returns a new spec; the loaded one is untouched


def test_unbound_law_is_refused_by_the_seat_stage(tmp_path):
    spec = load_spec(law_project(tmp_path))
    data = ingest_election(spec)
    assert np.isnan(data["magnitude"].sel({dims.ELECTION: spec.election.id})).all()
    bound, bound_data = bind_law(spec, data)
    assert bound.law.tables.alliance_size == {"alpha": 1, "beta": 2, "other": 1}
    assert bound.law.tables.population == {"north": 1000.0, "centre": 3000.0, "south": 6000.0}
    votes = xr.DataArray(
        np.full((1, 3, 3), 100),
        dims=(dims.SAMPLE, dims.PROVINCE, dims.PARTY),
        coords={dims.PROVINCE: list(SEATS), dims.PARTY: ["alpha", "beta", "other"]},
    )
    with pytest.raises(ValueError, match="alliance_size|population"):
        allocate_seats(votes, None, spec.law)
    magnitude = bound_data["magnitude"].sel({dims.ELECTION: spec.election.id}).astype(int)
    seats = allocate_seats(votes, magnitude, bound.law)["district_seats"].sum(dims.PARTY)
    assert seats.sel(sample=0).to_series().to_dict() == SEATS


@pytest.mark.parametrize(
    ("case", "error", "needle"),
    [
        ("size missing", DataError, "parties.csv"),
        ("list missing", DataError, "parties.csv"),
        ("population missing", DataError, "population.csv"),
        ("province without population", DataError, "population.csv"),
        ("magnitudes not the apportionment", DataError, "magnitude.csv"),
        ("from votes without registered voters", DataError, "electorate.csv"),
    ],
)
def test_missing_or_inconsistent_tables_are_refused(tmp_path, case, error, needle):
    parties, population = PARTIES, POPULATION
    if case == "size missing":
        parties = PARTIES.replace("beta,Beta List,2", "beta,Beta List,")
    if case == "list missing":
        parties = PARTIES.replace("beta,Beta List,2\n", "")
    if case == "population missing":
        population = None
    if case == "province without population":
        population = POPULATION.replace("south,6000\n", "")
    spec_path = law_project(tmp_path, parties=parties, population=population, scenario=False)
    if case == "magnitudes not the apportionment":
        write(
            tmp_path, "data/toy/2010/magnitude.csv", "province,seats\nnorth,3\ncentre,6\nsouth,11\n"
        )
    if case == "from votes without registered voters":
        spec_path.write_text(spec_path.read_text().replace('from = "population"', 'from = "votes"'))
        write(tmp_path, "data/toy/2010/electorate.csv", "province,registered\nnorth,950\n")
    with pytest.raises(error) as info:
        spec = load_spec(spec_path)
        bind_law(spec, ingest_election(spec))
    assert needle in str(info.value)
    check = runner.invoke(app, ["check-data", str(spec_path), "-q"])
    assert check.exit_code in (2, 3) and "Traceback" not in check.output


def test_run_apportions_magnitudes_by_each_draws_votes(tmp_path):
    spec_path = law_project(tmp_path, population=None)
    spec_path.write_text(spec_path.read_text().replace('from = "population"', 'from = "votes"'))
    check = runner.invoke(app, ["check-data", str(spec_path)])
    assert check.exit_code == 0, check.output
    loaded = load_spec(spec_path)
    with mock_sampling():
        result = run_forecast(loaded, draws=400, out_dir=tmp_path / "out", progress=False)
    magnitude = result.seats["magnitude"]
    assert magnitude.dims == (dims.SAMPLE, dims.PROVINCE)
    assert (magnitude.sum(dims.PROVINCE) == 20).all()
    assert (magnitude.std(dims.SAMPLE) > 0).any()  # the seats move with each draw's turnout
    district = result.seats["district_seats"].sum(dims.PARTY)
    assert (district == magnitude).all()
    votes = result.votes
    sizes = xr.DataArray([1, 2, 1], coords={dims.PARTY: ["alpha", "beta", "other"]})
    by_hand = allocate_seats(
        votes["votes"], None, loaded.law, valid_votes=votes["valid_votes"], alliance_size=sizes
    )
    assert (by_hand["magnitude"] == magnitude).all()
    assert (by_hand["seats"] == result.seats["seats"]).all()


def test_published_magnitudes_that_are_the_apportionment_are_accepted(tmp_path):
    spec_path = law_project(tmp_path, scenario=False)
    write(tmp_path, "data/toy/2010/magnitude.csv", "province,seats\nnorth,2\ncentre,6\nsouth,12\n")
    spec = load_spec(spec_path)
    _, data = bind_law(spec, ingest_election(spec))
    target = data["magnitude"].sel({dims.ELECTION: spec.election.id})
    assert target.to_series().astype(int).to_dict() == SEATS


def test_report_methods_describe_the_law_parts(tmp_path):
    spec = load_spec(law_project(tmp_path, scenario=False))
    data = xr.Dataset(coords={dims.PROVINCE: list(SEATS)})
    text = law_text(SimpleNamespace(spec=spec, data=data))
    assert "apportioned among them by Hare quota with largest remainders on population" in text
    assert "5.0% for one party, 50% for 2+ parties" in text
    spec = spec.model_copy(
        update={
            "law": spec.law.model_copy(
                update={
                    "magnitude": Apportionment.model_validate({"from": "votes"}),
                    "district": DistrictRule(method="hare_lr", quota_rounding="floor"),
                }
            )
        }
    )
    text = law_text(SimpleNamespace(spec=spec, data=data))
    assert "on each draw's valid votes" in text and "(quota rounded: floor)" in text
