"""The law parts other countries need, checked against votelib on random districts.

Quotas (Hare, Droop, Hagenbach-Bischoff, Imperiali) with their rounding, thresholds by the
number of parties in a list, district magnitudes apportioned from votes or population, and a
national second tier on the votes the districts left unused: each
on random votes through the engine (NumPy and compiled kernels, many draws at once) and through
votelib's components one draw at a time. Draws where votelib reports a tie are left out (the
engine settles ties by its own rule), and so are draws where one list's full quotas exceed the
magnitude (votelib then caps the list and shares its seats among the others; the engine gives
the seats back by the smallest remainders, the list keeping all of them).
"""

from __future__ import annotations

import decimal
import zlib
from fractions import Fraction

import numpy as np
import pytest
import votelib.candidate as vcand
import votelib.evaluate.core as vcore
import votelib.evaluate.proportional as vprop
import votelib.evaluate.threshold as vthreshold
import xarray as xr
from pydantic import ValidationError

from forecast.data.spec_law import Apportionment, DistrictRule, ElectoralLaw, SecondTier
from forecast.seats.kernels import largest_remainder
from forecast.seats.law import allocate_seats
from forecast.seats.magnitudes import apportion_magnitudes

ENGINES = ("numpy", "compiled")
# (engine quota, engine rounding, votelib quota function, the quota as a fraction of T and M)
QUOTAS = [
    ("hare", "exact", "hare", lambda t, m: Fraction(t, m)),
    ("hare", "round", "hare_rounded", None),
    ("droop", "exact", "droop", lambda t, m: Fraction(t // (m + 1) + 1)),
    ("hagenbach_bischoff", "exact", "hagenbach_bischoff", lambda t, m: Fraction(t, m + 1)),
    ("hagenbach_bischoff", "round", "hagenbach_bischoff_rounded", None),
    ("hagenbach_bischoff", "ceil", "hagenbach_bischoff_ceil", None),
    ("hagenbach_bischoff", "floor", lambda t, m: t // (m + 1), lambda t, m: Fraction(t // (m + 1))),
    ("imperiali", "exact", "imperiali", lambda t, m: Fraction(t, m + 2)),
]


def votes_da(votes: np.ndarray, provinces: list[str] | None = None) -> xr.DataArray:
    """Votes (sample, province, party) as the engine takes them."""
    provinces = provinces or [f"d{i}" for i in range(votes.shape[1])]
    parties = [f"p{i}" for i in range(votes.shape[2])]
    return xr.DataArray(
        votes,
        dims=("sample", "province", "party"),
        coords={"province": provinces, "party": parties},
    )


def tied(result: dict) -> bool:
    return any(isinstance(k, vcore.Tie) for k in result)


@pytest.mark.parametrize(("quota", "rounding", "vl_quota", "exact"), QUOTAS)
def test_quota_methods_match_votelib(quota, rounding, vl_quota, exact):
    # a seed of the case's name: Python's hash of strings changes from process to process
    rng = np.random.default_rng(zlib.crc32(f"{quota}/{rounding}".encode()))
    vl = vprop.LargestRemainder(vl_quota, on_overaward="subtract")
    n_lists, compared, gave_back = 6, 0, 0
    for m in (1, 2, 3, 5, 8, 13, 40):
        votes = rng.integers(1, 60_000, size=(300, n_lists)) * rng.integers(1, 4, size=(300, 1))
        votes[:, :2] += rng.integers(0, 200_000, size=(300, 1))  # large lists too
        ours = largest_remainder(votes, m, quota=quota, quota_rounding=rounding)
        assert (ours.sum(axis=1) == m).all() and (ours >= 0).all()
        for v, s in zip(votes.tolist(), ours.tolist(), strict=True):
            q = vl.quota_function(sum(v), m)
            full = [x // q if q else 0 for x in v]
            if max(full) > m:  # votelib caps such a list; see the module docstring
                continue
            got = vl.evaluate(dict(enumerate(v)), m)
            if tied(got):
                continue
            compared += 1
            gave_back += sum(full) > m
            assert [got.get(i, 0) for i in range(n_lists)] == s, (v, m)
    assert compared > 1500
    if quota == "imperiali":
        assert gave_back > 20  # the give-back path was exercised
    if exact is not None:  # the exact fractions are what the engine's quota says
        assert Fraction(vl.quota_function(1_000_003, 7)) == exact(1_000_003, 7)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("method", ["hagenbach_bischoff_lr", "imperiali_lr"])
@pytest.mark.parametrize("rounding", ["exact", "round", "floor", "ceil"])
def test_new_quotas_same_on_both_engines(engine, method, rounding):
    """The compiled kernels hand rows with too many full quotas back: the same seats."""
    rng = np.random.default_rng(7)
    votes = rng.multinomial(40, rng.dirichlet(np.ones(5) * 0.5, size=3000 * 3))
    da = votes_da(votes.reshape(3000, 3, 5).astype(np.int32))
    magnitude = xr.DataArray([1, 4, 9], dims="province", coords={"province": ["d0", "d1", "d2"]})
    rule = DistrictRule(method=method, quota_rounding=rounding, threshold=0.02)
    law = ElectoralLaw(house_size=14, district=rule)
    ref = allocate_seats(da, magnitude, law, engine="numpy", chunk=1000)
    got = allocate_seats(da, magnitude, law, engine=engine, chunk=1000)
    assert (got["district_seats"] == ref["district_seats"]).all()
    assert (ref["district_seats"].sum("party") == magnitude).all()


def bracketer() -> vthreshold.CoalitionMemberBracketer:
    """votelib's thresholds by coalition size: 5% alone, 7% for 2-3 parties, 10% for 4+."""

    def relative(share: str) -> vthreshold.RelativeThreshold:
        return vthreshold.RelativeThreshold(decimal.Decimal(share), accept_equal=True)

    return vthreshold.CoalitionMemberBracketer(
        {1: relative("0.05"), 2: relative("0.07"), 3: relative("0.07")}, relative("0.1")
    )


def candidates(sizes: list[int]) -> list:
    return [
        vcand.Coalition(name=f"p{i}", parties=[vcand.PoliticalParty(f"p{i}_{j}") for j in range(n)])
        if n > 1
        else vcand.PoliticalParty(f"p{i}")
        for i, n in enumerate(sizes)
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_alliance_thresholds_match_votelib(engine):
    rng = np.random.default_rng(16)
    n_lists, n_draws = 9, 400
    sizes = [1, 1, 2, 3, 4, 1, 2, 5, 1]
    share = rng.dirichlet(np.ones(n_lists) * 1.5, size=n_draws)
    votes = np.floor(share * 1_000_000).astype(np.int64)[:, None, :] + 1
    law = ElectoralLaw(
        house_size=50,
        district=DistrictRule(method="dhondt"),
        alliance_thresholds={1: 0.05, 2: 0.07, 4: 0.10},
    )
    size_da = xr.DataArray(sizes, dims="party", coords={"party": [f"p{i}" for i in range(9)]})
    magnitude = xr.DataArray([50], dims="province", coords={"province": ["d0"]})
    ours = allocate_seats(votes_da(votes), magnitude, law, alliance_size=size_da, engine=engine)
    evaluator = vcore.Conditioned(bracketer(), vprop.HighestAverages("d_hondt"))
    lists, compared = candidates(sizes), 0
    for s in range(n_draws):
        got = evaluator.evaluate(dict(zip(lists, votes[s, 0].tolist(), strict=True)), 50)
        if tied(got):
            continue
        compared += 1
        expected = [got.get(c, 0) for c in lists]
        assert ours["seats"].values[s].tolist() == expected, s
    assert compared > 350
    # the bar bites: some coalition above 5% but below its own threshold wins nothing
    national = votes[:, 0] / votes[:, 0].sum(axis=1, keepdims=True)
    blocked = (national[:, 3] >= 0.05) & (national[:, 3] < 0.07)
    assert blocked.any() and (ours["seats"].values[blocked, 3] == 0).all()


def test_alliance_thresholds_need_the_sizes():
    law = ElectoralLaw(
        house_size=3, district=DistrictRule(method="dhondt"), alliance_thresholds={1: 0.05}
    )
    magnitude = xr.DataArray([3], dims="province", coords={"province": ["d0"]})
    with pytest.raises(ValueError, match="alliance_size"):
        allocate_seats(votes_da(np.array([[[5, 6]]])), magnitude, law)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("method", "apportioner"),
    [("hare_lr", vprop.LargestRemainder("hare")), ("dhondt", vprop.HighestAverages("d_hondt"))],
)
def test_magnitudes_from_votes_match_votelib(engine, method, apportioner):
    """Regions' seats from their valid votes, a 5% national threshold, D'Hondt in each."""
    rng = np.random.default_rng(2017)
    n_draws, n_regions, n_lists = 60, 6, 7
    size = rng.integers(50_000, 600_000, size=(n_draws, n_regions, 1))
    share = rng.dirichlet(np.ones(n_lists), size=(n_draws, n_regions))
    votes = np.floor(size * share).astype(np.int64) + 1
    law = ElectoralLaw(
        house_size=60,
        district=DistrictRule(method="dhondt"),
        national_threshold=0.05,
        magnitude=Apportionment(base="votes", method=method),
    )
    ours = allocate_seats(votes_da(votes), None, law, engine=engine)
    assert (ours["magnitude"].sum("province") == 60).all()
    assert (ours["district_seats"].sum("party") == ours["magnitude"]).all()
    evaluator = vcore.ByConstituency(
        vprop.HighestAverages("d_hondt"),
        apportioner,
        preselector=vthreshold.RelativeThreshold(decimal.Decimal("0.05"), accept_equal=True),
    )
    compared = 0
    for s in range(n_draws):
        table = {f"d{r}": dict(enumerate(votes[s, r].tolist())) for r in range(n_regions)}
        got = evaluator.evaluate(table, 60)
        if any(tied(res) for res in got.values()):
            continue
        compared += 1
        for r in range(n_regions):
            expected = [got[f"d{r}"].get(i, 0) for i in range(n_lists)]
            assert ours["district_seats"].values[s, r].tolist() == expected, (s, r)
    assert compared > 50


@pytest.mark.parametrize("method", ["dhondt", "hare_lr", "imperiali_lr"])
def test_magnitudes_from_votes_same_on_both_engines_with_ties(method):
    """Few votes: many ties, settled by the lottery, and draws whose magnitudes differ."""
    rng = np.random.default_rng(11)
    votes = votes_da((rng.integers(0, 12, size=(3000, 4, 5)) + 1).astype(np.int32))
    law = ElectoralLaw(
        house_size=30,
        district=DistrictRule(method=method, threshold=0.05),
        national_threshold=0.04,
        magnitude=Apportionment(base="votes", method="hare_lr"),
        tie_rule="lottery",
        tie_seed=4,
    )
    ref = allocate_seats(votes, None, law, engine="numpy", chunk=1000, seed=1)
    got = allocate_seats(votes, None, law, engine="compiled", chunk=1000, seed=1)
    assert (got["district_seats"] == ref["district_seats"]).all()
    assert (ref["district_seats"].sum("party") == ref["magnitude"]).all()
    assert ref["magnitude"].to_series().groupby("province").nunique().min() > 1


def second_tier_votelib(quota: str, tier: str) -> vcore.Conditioned:
    """votelib's two scrutinies: full quotas by region, the rest by unused votes nationally."""
    first = vprop.QuotaDistributor(quota, on_overaward="subtract")
    rounds = vcore.UnusedVotesDistributor(
        [
            vcore.ByConstituency(first),
            vcore.RemovedApportionment(vcore.ByParty(vprop.LargestRemainder(tier))),
        ],
        quota_functions=[first.quota_function],
        depth=2,
    )
    threshold = vthreshold.RelativeThreshold(decimal.Decimal("0.05"), accept_equal=True)
    return vcore.Conditioned(evaluator=rounds, eliminator=threshold, depth=2)


@pytest.mark.parametrize(
    ("method", "quota", "tier", "tier_method"),
    [
        ("imperiali_lr", "imperiali", "droop", "droop_lr"),
        ("hare_lr", "hare", "hare", "hare_lr"),
        ("droop_lr", "droop", "hagenbach_bischoff", "hagenbach_bischoff_lr"),
    ],
)
def test_second_tier_on_unused_votes_matches_votelib(method, quota, tier, tier_method):
    rng = np.random.default_rng(2021)
    n_draws, n_regions, n_lists = 60, 5, 6
    magnitudes = [3, 7, 12, 5, 9]
    size = rng.integers(20_000, 400_000, size=(n_draws, n_regions, 1))
    votes = np.floor(size * rng.dirichlet(np.ones(n_lists), size=(n_draws, n_regions))) + 1
    votes = votes.astype(np.int64)
    law = ElectoralLaw(
        house_size=sum(magnitudes),
        district=DistrictRule(method=method, remainder="second_tier"),
        national_threshold=0.05,
        second_tier=SecondTier(method=tier_method),
    )
    provinces = [f"d{r}" for r in range(n_regions)]
    magnitude = xr.DataArray(magnitudes, dims="province", coords={"province": provinces})
    ours = allocate_seats(votes_da(votes, provinces), magnitude, law)
    assert (ours["compensatory_seats"].sum("party") > 0).mean() > 0.5  # the tier has seats
    evaluator, compared = second_tier_votelib(quota, tier), 0
    for s in range(n_draws):
        table = {f"d{r}": dict(enumerate(votes[s, r].tolist())) for r in range(n_regions)}
        got = evaluator.evaluate(table, dict(zip(provinces, magnitudes, strict=True)))
        totals: dict = {}
        for res in got.values():
            for key, n in res.items():
                totals[key] = totals.get(key, 0) + n
        if tied(totals):
            continue
        compared += 1
        assert ours["seats"].values[s].tolist() == [totals.get(i, 0) for i in range(n_lists)], s
    assert compared > 50


def test_magnitudes_from_population_match_votelib():
    rng = np.random.default_rng(5)
    population = rng.integers(10_000, 3_000_000, size=12)
    rule = Apportionment(base="population", method="hare_lr").rule
    ours = apportion_magnitudes(population[None, :], 150, rule)[0]
    got = vprop.LargestRemainder("hare").evaluate(dict(enumerate(population.tolist())), 150)
    assert ours.tolist() == [got.get(i, 0) for i in range(12)]
    provinces = [f"d{i}" for i in range(12)]
    law = ElectoralLaw(
        house_size=150,
        district=DistrictRule(method="sainte_lague"),
        magnitude=Apportionment(base="population"),
    )
    votes = rng.integers(0, 1000, size=(5, 12, 3)) + 1
    pop = xr.DataArray(population, dims="province", coords={"province": provinces})
    ds = allocate_seats(votes_da(votes, provinces), None, law, population=pop)
    assert (ds["district_seats"].sum("party").values == ours).all()
    assert "magnitude" not in ds  # fixed before the vote: the same in every draw


def test_apportioned_magnitudes_are_lazy_with_dask_and_the_same():
    rng = np.random.default_rng(3)
    votes = votes_da(rng.integers(0, 5000, size=(2000, 5, 4)) + 1)
    law = ElectoralLaw(
        house_size=40,
        district=DistrictRule(method="hare_lr"),
        magnitude=Apportionment(base="votes", method="sainte_lague"),
    )
    eager = allocate_seats(votes, None, law, engine="numpy")
    lazy = allocate_seats(votes.chunk({"sample": 500}), None, law, engine="numpy")
    assert lazy["seats"].chunks is not None
    assert (lazy["seats"].compute() == eager["seats"]).all()
    assert (lazy["magnitude"].compute() == eager["magnitude"]).all()


def test_law_parts_are_refused_where_they_do_not_apply():
    with pytest.raises(ValidationError, match="quota_rounding"):
        DistrictRule(method="droop_lr", quota_rounding="round")
    with pytest.raises(ValidationError, match="quota_rounding"):
        DistrictRule(method="dhondt", quota_rounding="floor")
    with pytest.raises(ValidationError, match="key 1"):
        ElectoralLaw(
            house_size=5, district=DistrictRule(method="dhondt"), alliance_thresholds={2: 0.07}
        )
    with pytest.raises(ValidationError, match="first_divisor"):
        Apportionment(base="votes", method="modified_sainte_lague")
    with pytest.raises(ValidationError, match="second_tier"):
        ElectoralLaw(house_size=5, district=DistrictRule(method="hare_lr"), second_tier={})
    with pytest.raises(ValidationError, match="second_tier"):
        ElectoralLaw(house_size=5, district=DistrictRule(method="hare_lr", remainder="second_tier"))
    with pytest.raises(ValidationError, match="largest-remainder"):
        DistrictRule(method="dhondt", remainder="second_tier")
    law = ElectoralLaw.model_validate(
        {"house_size": 5, "district": {"method": "dhondt"}, "magnitude": {"from": "votes"}}
    )
    magnitude = xr.DataArray([5], dims="province", coords={"province": ["d0"]})
    with pytest.raises(ValueError, match="magnitude=None"):
        allocate_seats(votes_da(np.array([[[5, 6]]])), magnitude, law)
