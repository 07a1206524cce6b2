"""The whole law: districts, quota and compensatory seats, thresholds, SeatDraws, the CLI entry."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from rich.table import Table

from forecast import dims
from forecast.data.spec_law import CompensatorySeats, DistrictRule, ElectoralLaw, QuotaSeats
from forecast.errors import DataError
from forecast.seats.command import seats_command, seats_from_table, seats_table
from forecast.seats.law import allocate_seats

ROOT = Path(__file__).resolve().parents[1]
IRAQ_SPEC = ROOT / "models" / "iraq_2010.toml"

PROVINCES = ["north", "south", "east"]
PARTIES = ["alpha", "beta", "gamma", "other"]
MAGNITUDE = xr.DataArray([5, 3, 2], dims="province", coords={"province": PROVINCES})


def toy_law(**kw) -> ElectoralLaw:
    """13 seats: 10 district (5, 3, 2), 2 quota (1 national, 1 in east), 1 compensatory."""
    base = dict(
        house_size=13,
        district=DistrictRule(method="dhondt"),
        quota=(
            QuotaSeats(community="c1", party="c1_quota", seats=1, source="test"),
            QuotaSeats(community="c2", party="c2_quota", seats=1, province="east", source="t"),
        ),
        compensatory=CompensatorySeats(seats=1, method="dhondt"),
        tie_rule="list_order",
    )
    return ElectoralLaw(**{**base, **kw})


def toy_votes(n_sample: int = 200, seed: int = 0) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet([6, 4, 2, 1], size=(n_sample, len(PROVINCES)))
    votes = np.floor(shares * rng.integers(1_000, 50_000, (n_sample, len(PROVINCES), 1)))
    return xr.DataArray(
        votes.astype(np.int64),
        dims=("sample", "province", "party"),
        coords={"sample": np.arange(n_sample), "province": PROVINCES, "party": PARTIES},
    )


def test_seat_draws_schema_and_totals():
    ds = allocate_seats(toy_votes(), MAGNITUDE, toy_law())
    dims.check(ds, "SeatDraws")
    assert list(ds[dims.PARTY].values) == PARTIES + ["c1_quota", "c2_quota"]
    assert (ds["seats"].sum("party") == 13).all()
    assert (ds["district_seats"].sum("party") == MAGNITUDE).all()
    assert (ds["quota_seats"].sel(party=["c1_quota", "c2_quota"]) == 1).all()
    assert int(ds["compensatory_seats"].sum("party").max()) == 1
    total = ds["district_seats"].sum("province") + ds["quota_seats"] + ds["compensatory_seats"]
    assert (total == ds["seats"]).all()
    assert ds.attrs["house_size"] == 13 and ds.attrs["majority"] == 7
    assert ds.attrs["sample_dims"] == ["sample"]
    assert (ds["sample"].values == np.arange(200)).all()


def test_pooled_lists_win_nothing_but_count_as_valid_votes():
    votes = toy_votes()
    votes.loc[{"party": "other"}] = votes.sum("party") * 3  # a huge aggregate of small lists
    ds = allocate_seats(votes, MAGNITUDE, toy_law(district=DistrictRule(method="dhondt")))
    assert (ds["seats"].sel(party="other") == 0).all()
    # with a 10% threshold on valid votes that include "other", small lists drop out
    law = toy_law(district=DistrictRule(method="dhondt", threshold=0.1))
    ds = allocate_seats(votes, MAGNITUDE, law)
    share = votes / votes.sum("party")
    passes = (share >= 0.1).drop_sel(party="other").any("party")
    below = (share < 0.1) & passes  # where some list that may win passes, those below win nothing
    assert int(below.sum()) > 100
    assert int(ds["district_seats"].sel(party=PARTIES).where(below, 0).sum()) == 0


def test_majority_is_strictly_more_than_half():
    dhondt = DistrictRule(method="dhondt")
    assert ElectoralLaw(house_size=325, district=dhondt).majority_seats == 163
    assert ElectoralLaw(house_size=10, district=dhondt).majority_seats == 6
    with pytest.raises(ValueError, match="strictly more than half"):
        ElectoralLaw(house_size=10, majority=5, district=DistrictRule(method="dhondt"))


def test_national_threshold_keeps_small_lists_out_of_districts():
    votes = toy_votes()
    national = votes.sum(["province"])
    share = national / votes.sum(["province", "party"])
    law = toy_law(national_threshold=0.2, pooled=())
    ds = allocate_seats(votes, MAGNITUDE, law)
    below = share < 0.2
    won = ds["district_seats"].sum("province").sel(party=PARTIES)
    assert int(won.where(below, 0).sum()) == 0


def test_compensatory_seats_by_national_votes_and_eligibility():
    law = toy_law(compensatory=CompensatorySeats(seats=1, method="dhondt"))
    votes = toy_votes()
    ds = allocate_seats(votes, MAGNITUDE, law)
    national = votes.sum("province").drop_sel(party="other")
    winner = national.argmax("party")
    got = ds["compensatory_seats"].sel(party=["alpha", "beta", "gamma"]).argmax("party")
    assert (got == winner).all()
    law = toy_law(compensatory=CompensatorySeats(seats=1, eligible="district_winners"))
    ds = allocate_seats(votes, MAGNITUDE, law)
    district_won = ds["district_seats"].sum("province") > 0
    assert int(ds["compensatory_seats"].where(~district_won, 0).sum()) == 0
    assert (ds["compensatory_seats"].sum("party") == 1).all()


def test_valid_votes_change_quotas_only_through_thresholds_and_quotas():
    votes = toy_votes(50)
    law = toy_law(district=DistrictRule(method="hare_lr", threshold_quotas=1.0))
    plain = allocate_seats(votes, MAGNITUDE, law)
    same = allocate_seats(votes, MAGNITUDE, law, valid_votes=votes.sum("party"))
    assert (plain["seats"] == same["seats"]).all()
    bigger = allocate_seats(votes, MAGNITUDE, law, valid_votes=votes.sum("party") * 2)
    assert (bigger["seats"].sum("party") == 13).all()


def test_chunking_and_lottery_do_not_change_results():
    votes = toy_votes(300) // 2000 + 1  # small numbers: many ties
    law = toy_law(tie_rule="lottery", tie_seed=42)
    whole = allocate_seats(votes, MAGNITUDE, law, seed=3)
    chunked = allocate_seats(votes, MAGNITUDE, law, seed=3, chunk=17)
    assert (whole["district_seats"] == chunked["district_seats"]).all()
    assert (whole["seats"] == chunked["seats"]).all()
    other_seed = allocate_seats(votes, MAGNITUDE, law, seed=4)
    assert not (whole["district_seats"] == other_seed["district_seats"]).all()


def test_dask_backed_votes_give_the_same_seats():
    pytest.importorskip("dask")
    votes = toy_votes(120)
    law = toy_law(tie_rule="lottery")
    eager = allocate_seats(votes, MAGNITUDE, law)
    lazy = allocate_seats(votes.chunk({"sample": 50}), MAGNITUDE, law)
    assert (lazy["seats"].compute() == eager["seats"]).all()


def test_law_inputs_are_checked():
    votes = toy_votes(5)
    with pytest.raises(ValueError, match="not the house size"):
        allocate_seats(votes, MAGNITUDE + 1, toy_law())
    with pytest.raises(ValueError, match="different provinces"):
        allocate_seats(votes, MAGNITUDE.isel(province=[0, 1]), toy_law())
    renamed = votes.assign_coords(party=["alpha", "beta", "c1_quota", "other"])
    with pytest.raises(ValueError, match="reserved"):
        allocate_seats(renamed, MAGNITUDE, toy_law())
    with pytest.raises(ValueError, match="dims"):
        allocate_seats(votes.isel(sample=0), MAGNITUDE, toy_law())


def test_seats_from_table_rows_and_printable_table():
    rows = [
        {"province": "north", "party": "alpha", "votes": 600},
        {"province": "north", "party": "beta", "votes": 400},
        {"province": "south", "party": "beta", "votes": 900},
        {"province": "south", "party": "gamma", "votes": 100},
        {"province": "east", "party": "gamma", "votes": 50},
    ]
    ds = seats_from_table(toy_law(), dict(zip(PROVINCES, [5, 3, 2], strict=True)), rows)
    assert ds.sizes["sample"] == 1
    one = ds["district_seats"].isel(sample=0)
    assert int(one.sel(province="north", party="alpha")) == 3
    assert int(one.sel(province="east", party="gamma")) == 2
    table = seats_table(ds)
    assert isinstance(table, Table) and table.row_count == 5


# --------------------------------------------------------------------------- seats command


def write_votes(path: Path, rows: list[tuple]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["province", "party", "votes"])
        w.writerows(rows)
    return path


def iraq_rows() -> list[tuple]:
    with (ROOT / "data/iraq/2010_parliamentary/votes.csv").open() as f:
        return [(r["province"], r["party"], r["votes"]) for r in csv.DictReader(f)]


def test_seats_command_writes_the_allocation(tmp_path):
    votes = write_votes(tmp_path / "v.csv", iraq_rows())
    out = tmp_path / "out" / "seats.csv"
    ds = seats_command(IRAQ_SPEC, votes, out)
    assert int(ds["seats"].sum()) == 325
    with out.open() as f:
        written = list(csv.DictReader(f))
    assert sum(int(r["seats"]) for r in written) == 325
    assert {r["seat_type"] for r in written} == {"district", "quota", "compensatory"}
    assert sum(int(r["seats"]) for r in written if r["seat_type"] == "district") == 310
    assert not list(out.parent.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("rows", "where", "field", "message"),
    [
        ([("baghdad", "iraqiya", "12x")], "row 2", "votes", "whole number"),
        ([("atlantis", "iraqiya", "5")], "row 2", "province", "no district magnitude"),
        ([("baghdad", "christian_quota", "5")], "row 2", "party", "reserved quota seats"),
        ([("baghdad", "iraqiya", "5")], None, "province", "no votes for any list"),
    ],
)
def test_seats_command_errors_name_file_row_field(tmp_path, rows, where, field, message):
    votes = write_votes(tmp_path / "v.csv", rows)
    out = tmp_path / "seats.csv"
    with pytest.raises(DataError, match=message) as err:
        seats_command(IRAQ_SPEC, votes, out)
    assert err.value.file == votes
    assert err.value.where == where and err.value.field == field
    assert not out.exists()


# --------------------------------------------------------------------------- pooled fallback


def only_other_votes(n_sample: int = 40) -> xr.DataArray:
    """Toy votes where, in some draws, only the pooled list has votes in one province."""
    votes = toy_votes(n_sample).copy()
    votes[3, 1, :3] = 0  # sample 3, south: only "other"
    votes[7, 0, :3] = 0  # sample 7, north: only "other"
    votes[7, 2, :3] = 0  # sample 7, east: only "other"
    return votes


@pytest.mark.parametrize(
    "rule",
    [
        DistrictRule(method="dhondt"),
        DistrictRule(
            method="hare_lr", threshold_quotas=1.0, quota_base="valid", remainder="vote_share"
        ),
        DistrictRule(method="sainte_lague", threshold=0.05),
    ],
)
def test_pooled_lists_win_where_no_other_list_has_votes(rule):
    votes = only_other_votes()
    law = toy_law(district=rule, tie_rule="lottery", tie_seed=1)
    ds = allocate_seats(votes, MAGNITUDE, law, seed=2)
    assert ds.attrs["n_pooled_fallback"] == 3
    other = ds["district_seats"].sel(party="other")
    assert int(other.isel(sample=3, province=1)) == 3  # all of south's seats
    assert int(other.isel(sample=7, province=0)) == 5 and int(other.isel(sample=7, province=2)) == 2
    assert int(other.sum()) == 10  # nowhere else
    assert (ds["seats"].sum("party") == 13).all()
    # the other cells are exactly what they are without the extreme draws
    clean = allocate_seats(toy_votes(40), MAGNITUDE, law, seed=2)
    assert clean.attrs["n_pooled_fallback"] == 0
    keep = np.ones((40, 3), bool)
    keep[3, 1] = keep[7, 0] = keep[7, 2] = False
    same = ds["district_seats"] == clean["district_seats"]
    assert bool(same.all("party").values[keep].all())


def test_pooled_fallback_also_lets_lists_below_the_national_threshold_win():
    votes = only_other_votes()
    votes[3, 1, 3] = 0  # south in sample 3: not even "other", only...
    votes[3, 1, 2] = 50  # ...gamma, which is below a 45% national threshold
    law = toy_law(national_threshold=0.45, tie_rule="list_order")
    ds = allocate_seats(votes, MAGNITUDE, law)
    assert int(ds["district_seats"].sel(party="gamma").isel(sample=3, province=1)) == 3
    assert ds.attrs["n_pooled_fallback"] >= 3


def test_district_without_any_votes_still_raises():
    votes = only_other_votes()
    votes[5, 2, :] = 0
    with pytest.raises(ValueError, match="sample 5, province 'east'.*no votes at all"):
        allocate_seats(votes, MAGNITUDE, toy_law())


def test_pooled_fallback_count_with_dask():
    pytest.importorskip("dask")
    votes = only_other_votes()
    law = toy_law(tie_rule="lottery")
    eager = allocate_seats(votes, MAGNITUDE, law)
    lazy = allocate_seats(votes.chunk({"sample": 6}), MAGNITUDE, law)
    assert lazy.attrs["n_pooled_fallback"] == eager.attrs["n_pooled_fallback"] == 3
    assert (lazy["seats"].compute() == eager["seats"]).all()


# --------------------------------------------------------------------------- compiled engine

ENGINE_RULES = [
    DistrictRule(method="hare_lr"),
    DistrictRule(method="droop_lr", threshold=0.05, quota_base="valid"),
    DistrictRule(
        method="hare_lr", threshold_quotas=1.0, quota_base="valid", remainder="vote_share"
    ),
    DistrictRule(
        method="hare_lr", threshold_quotas=1.0, quota_base="valid", remainder="highest_votes"
    ),
    DistrictRule(method="droop_lr", remainder="vote_share"),
    DistrictRule(method="dhondt", threshold=0.1),
    DistrictRule(method="sainte_lague", threshold_quotas=0.5),
    DistrictRule(method="modified_sainte_lague", first_divisor=1.4),
]


@pytest.mark.parametrize("case", range(len(ENGINE_RULES)))
def test_compiled_engine_gives_the_numpy_seats(case):
    pytest.importorskip("numba")
    rng = np.random.default_rng(case)
    provinces = [f"p{i}" for i in range(6)]
    parties = [f"l{i}" for i in range(7)] + ["other"]
    scale = (4, 30, 10**5)[case % 3]  # small numbers: many exact and near ties
    votes = rng.integers(0, scale, (600, len(provinces), len(parties)))
    votes[:, :, 0] += 1
    cells = rng.integers(0, 600, 15), rng.integers(0, 6, 15)
    votes[cells[0], cells[1], :-1] = 0  # only the pooled list has votes here
    votes[cells[0], cells[1], -1] += 1
    da = xr.DataArray(
        votes.astype(np.int32 if case % 2 else np.int64),
        dims=("sample", "province", "party"),
        coords={"sample": np.arange(600), "province": provinces, "party": parties},
    )
    magnitude = xr.DataArray(
        rng.integers(0, 12, 6), dims="province", coords={"province": provinces}
    )
    law = ElectoralLaw(
        house_size=int(magnitude.sum()) + 3,
        district=ENGINE_RULES[case],
        compensatory=CompensatorySeats(
            seats=3,
            method=("dhondt", "sainte_lague", "hare_lr")[case % 3],
            eligible=("all", "district_winners")[case % 2],
        ),
        national_threshold=(0.0, 0.08)[case % 2],
        tie_rule=("lottery", "list_order")[case // 2 % 2],
        tie_seed=case,
    )
    valid = da.sum("party") + rng.integers(0, scale, (600, 6)) if case % 4 == 3 else None
    kw = dict(valid_votes=valid, seed=case, chunk=(600, 97, 256)[case % 3])
    numpy = allocate_seats(da, magnitude, law, engine="numpy", **kw)
    compiled = allocate_seats(da, magnitude, law, engine="compiled", **kw)
    for var in ("district_seats", "compensatory_seats", "seats"):
        assert (numpy[var] == compiled[var]).all(), var
    assert numpy.attrs == compiled.attrs
    assert numpy.attrs["n_pooled_fallback"] > 0


# Seats of these draws as the engine of commit cfe20b1 computed them (before provinces were
# batched and the compiled kernels added): sha256 of the int64 district, compensatory and total
# seats, first 16 hex digits. Small vote numbers make many ties, settled by lottery and by
# list order.
PINNED = [
    "5575f86c4d8935c0",
    "b1e9c4738a0fb31e",
    "e20de4b309c69284",
    "faa1721a270fa375",
    "efb8b4b6c6ef2752",
    "421363b1471f2b60",
    "9692eb9eee770ddc",
    "a87bc0332e6fa555",
]


def pinned_case(case: int) -> tuple[xr.DataArray, xr.DataArray, ElectoralLaw]:
    rng = np.random.default_rng(1000 + case)
    provinces = [f"p{i}" for i in range(5)]
    parties = [f"l{i}" for i in range(6)] + ["other"]
    votes = rng.integers(0, (6, 40, 2_000_000)[case % 3], (400, 5, 7))
    votes[:, :, 0] += 1
    da = xr.DataArray(
        votes,
        dims=("sample", "province", "party"),
        coords={"sample": np.arange(400), "province": provinces, "party": parties},
    )
    magnitude = xr.DataArray([9, 5, 3, 1, 14], dims="province", coords={"province": provinces})
    rules = [
        DistrictRule(method="dhondt"),
        DistrictRule(
            method="hare_lr", threshold_quotas=1.0, quota_base="valid", remainder="vote_share"
        ),
        DistrictRule(method="sainte_lague", threshold=0.05),
        DistrictRule(method="droop_lr", remainder="highest_votes", quota_base="valid"),
    ]
    law = ElectoralLaw(
        house_size=37,
        district=rules[case % 4],
        quota=(QuotaSeats(community="c", party="c_quota", seats=1, province="p1", source="t"),),
        compensatory=CompensatorySeats(seats=4, method="dhondt"),
        national_threshold=(0.0, 0.06)[case % 2],
        tie_rule=("lottery", "list_order")[case // 2 % 2],
        tie_seed=7 + case,
    )
    return da, magnitude, law


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_same_seats_as_the_previous_engine(engine):
    if engine == "compiled":
        pytest.importorskip("numba")
    for case, expected in enumerate(PINNED):
        da, magnitude, law = pinned_case(case)
        ds = allocate_seats(da, magnitude, law, seed=case, engine=engine)
        digest = hashlib.sha256()
        for var in ("district_seats", "compensatory_seats", "seats"):
            digest.update(np.ascontiguousarray(ds[var].values, dtype=np.int64).tobytes())
        assert digest.hexdigest()[:16] == expected, case
