"""The vote and turnout model: its graph, its data handling, one real fit that recovers truth."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pymc as pm
import pytest
from conftest import base_beta_in_minority

from forecast import dims
from forecast.data.ingest import ingest_election
from forecast.data.lineage import REST, lineage_weights
from forecast.data.spec import load_spec
from forecast.votes.fit import fit_model
from forecast.votes.model import best_measured, build_model, observed_cells

ROOT = Path(__file__).resolve().parent.parent


def test_graph_has_the_target_quantities_with_labelled_dims(toy_project):
    spec = load_spec(toy_project)
    model = build_model(ingest_election(spec), spec)
    assert model.named_vars_to_dims["share"] == (dims.PROVINCE, dims.PARTY)
    assert model.named_vars_to_dims["turnout"] == (dims.PROVINCE,)
    assert list(model.coords[dims.PARTY]) == spec.party_ids
    assert list(model.coords[dims.PROVINCE]) == ["north", "centre", "south"]
    assert list(model.coords["source_e2005"]) == ["a_old", "b_old", REST]
    logps = model.point_logps()
    assert all(np.isfinite(v) for v in logps.values()), logps


def test_lineage_rows_sum_to_one_and_the_rest_feeds_other(toy_project):
    spec = load_spec(toy_project)
    lin = lineage_weights(ingest_election(spec), spec, "e2005")
    np.testing.assert_allclose(lin["share_mean"].sum("party"), 1.0)
    # c_old has no lineage row: pooled into the rest, which feeds 'other' (and orphans: none here)
    assert list(lin["party_source"].values) == ["a_old", "b_old", REST]
    assert float(lin["share_mean"].sel(party_source=REST, party="other")) == 1.0
    # a single destination carries no lineage uncertainty; a split does
    assert float(lin["share_scale"].sel(party_source="b_old").max()) == 0.0
    assert float(lin["share_scale"].sel(party_source="a_old", party="alpha")) > 0.0
    np.testing.assert_allclose(lin["national_weight"].sum(), 1.0)


def test_provinces_without_an_election_are_missing_not_zero():
    spec = load_spec(ROOT / "models" / "iraq_2010.toml")
    data = ingest_election(spec)
    d2009 = data.sel(election="2009_provincial")
    for province in ("dohuk", "erbil", "sulaymaniyah", "kirkuk"):
        assert not bool(d2009["voted"].sel(province=province))
        assert np.isnan(d2009["votes"].sel(province=province)).all()
    lists = list(lineage_weights(data, spec, "2009_provincial")["party_source"].values[:-1])
    rows, _, _ = observed_cells(data, "2009_provincial", lists)
    observed = set(data["province"].values[rows])
    assert observed and not observed & {"dohuk", "erbil", "sulaymaniyah", "kirkuk"}


def test_votes_of_unreported_lists_enter_only_where_the_valid_total_is_known(toy_project):
    spec = load_spec(toy_project)
    data = ingest_election(spec)
    rows, counts, mask = observed_cells(data, "e2005", ["a_old", "b_old"])
    # north: valid 460 known, so the rest (460 - 100 - 300) is observed; south: valid unknown
    north, south = list(rows).index(0), list(rows).index(2)
    assert counts[north, -1] == 60 and mask[north, -1]
    assert not mask[south, -1]


@pytest.fixture(scope="module")
def recovery(tmp_path_factory):
    """Data drawn from the model at a known parameter point, then fitted (the suite's real fit)."""
    from conftest import write_toy_project

    root = tmp_path_factory.mktemp("recovery")
    spec_path = write_toy_project(root)
    spec = load_spec(spec_path)
    model = build_model(ingest_election(spec), spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prior = pm.sample_prior_predictive(draws=1, model=model, random_seed=11)["prior"]
    truth = prior["past_share_e2005"].values[0, 0]  # (province, source)
    rng = np.random.default_rng(12)
    valid = np.array([40_000, 60_000, 50_000])
    votes = rng.multinomial(valid, truth / truth.sum(axis=1, keepdims=True))
    rows = ["province,party,votes"]
    for p, prov in enumerate(["north", "centre", "south"]):
        for k, party in enumerate(["a_old", "b_old", "c_old"]):
            rows.append(f"{prov},{party},{votes[p, k]}")
    (root / "data/toy/2005/votes.csv").write_text("\n".join(rows) + "\n")
    (root / "data/toy/2005/turnout.csv").write_text(
        "province,registered,valid,turnout_pct\n"
        + "\n".join(
            f"{p},{2 * v},{v},50" for p, v in zip(["north", "centre", "south"], valid, strict=True)
        )
        + "\n"
    )
    spec = load_spec(spec_path)
    sampler = spec.sampler.model_copy(
        update={"draws": 300, "tune": 400, "chains": 2, "backend": "pymc"}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = fit_model(
            build_model(ingest_election(spec), spec),
            sampler,
            seed=3,
            spec_hash="test",
            progress=False,
        )
    return truth, tree


def test_fit_recovers_the_shares_that_generated_the_data(recovery):
    truth, tree = recovery
    post = tree["posterior"]["past_share_e2005"]
    lo = post.quantile(0.005, ("chain", "draw")).values
    hi = post.quantile(0.995, ("chain", "draw")).values
    inside = (truth >= lo - 0.01) & (truth <= hi + 0.01)
    assert inside[:, :2].all(), (truth, lo, hi)
    np.testing.assert_allclose(post.mean(("chain", "draw")).values[:, :2], truth[:, :2], atol=0.03)


def test_fit_carries_identity_and_convergence(recovery):
    _, tree = recovery
    attrs = tree.attrs
    assert attrs["spec_hash"] == "test" and attrs["seed"] == 3 and attrs["sampler"] == "pymc"
    for key in ("rhat_max", "ess_bulk_min", "divergences", "converged"):
        assert key in attrs
    assert attrs["converged"] in (0, 1)


def test_digamma_matches_scipy_and_its_poles():
    from scipy.special import psi

    from forecast.votes.fit import digamma

    x = np.concatenate([np.geomspace(1e-8, 1e8, 400), 0.37 - np.geomspace(1e-3, 40, 100)])
    np.testing.assert_allclose([digamma(v) for v in x], psi(x), rtol=1e-12, atol=1e-12)
    assert digamma(0.0) == -np.inf and np.isnan(digamma(-2.0))


def _dm_logp(counts, mask, shares, kappa):
    """Dirichlet-multinomial log-likelihood of the observed columns of one row (reference)."""
    from scipy.special import gammaln

    listed = np.where(mask[:-1], shares[: len(mask) - 1], 0.0)
    probs = np.append(listed, np.clip(1.0 - listed.sum(), 1e-9, 1.0))[mask]
    alpha = kappa * probs / probs.sum()
    c = counts[mask]
    n = c.sum()
    const = gammaln(n + 1) - gammaln(c + 1).sum()
    return const + gammaln(kappa) - gammaln(n + kappa) + (gammaln(c + alpha) - gammaln(alpha)).sum()


def test_stacked_vote_likelihood_is_the_sum_of_each_elections_rows():
    """All past elections in one padded table give the same likelihood as row by row."""
    from forecast.votes.model import _national_counts, model_inputs

    spec = load_spec(ROOT / "models" / "iraq_2010.toml")
    data = ingest_election(spec)
    model = build_model(data, spec)
    inp = model_inputs(data, spec)
    past = inp["vote_elections"]
    names = ["votes", "kappa", "kappa_national", "turnout_all", *(f"past_share_{e}" for e in past)]
    outputs = model.replace_rvs_by_values([model[n] for n in names])
    fn = model.compile_fn(outputs, inputs=model.value_vars, on_unused_input="ignore", point_fn=True)
    rng = np.random.default_rng(5)
    point = {k: v + 0.3 * rng.normal(size=np.shape(v)) for k, v in model.initial_point().items()}
    votes, kappa, kappa_national, turnout, *shares = fn(point)
    expected = 0.0
    for v, (election, share) in enumerate(zip(past, shares, strict=True)):
        lists = [str(s) for s in model.coords[f"source_{election}"][:-1]]
        rows, counts, mask = observed_cells(data, election, lists)
        expected += sum(
            _dm_logp(c, m, share[r], kappa[v]) for r, c, m in zip(rows, counts, mask, strict=True)
        )
        counts, mask = _national_counts(data, election, lists)
        voted = data["voted"].sel(election=election).values
        e = list(data["election"].values).index(election)
        w = inp["electorate"][election] * voted * turnout[e]
        expected += _dm_logp(counts, mask, w @ share / w.sum(), kappa_national[v])
    np.testing.assert_allclose(votes, expected, rtol=1e-10)


def test_zero_sum_basis_is_pymcs_zero_sum_transform():
    """The basis is orthonormal, sums to zero, and maps free values as PyMC's transform does."""
    import pytensor.tensor as pt
    from pymc.distributions.transforms import ZeroSumTransform

    from forecast.votes.priors import zero_sum_basis

    for k in (2, 3, 10, 18):
        basis = zero_sum_basis(k)
        np.testing.assert_allclose(basis @ basis.T, np.eye(k - 1), atol=1e-12)
        np.testing.assert_allclose(basis.sum(axis=1), 0.0, atol=1e-12)
        free = np.random.default_rng(k).normal(size=k - 1)
        pymc_values = ZeroSumTransform([0]).backward(pt.as_tensor(free)).eval()
        np.testing.assert_allclose(free @ basis, pymc_values, atol=1e-12)


def test_election_effects_sum_to_zero_where_measured_and_a_new_election_is_wider():
    """Measured elections deviate from their mean; a new one has sd sigma sqrt(1 + 1/n)."""
    from forecast.votes.priors import election_effects

    measured = np.array([True, True, False, True])
    coords = {"election": ["a", "b", "target", "c"], "community": ["x", "y", "z"]}
    with pm.Model(coords=coords):
        pm.Deterministic(
            "national", election_effects("n", 0.5, measured, "election"), dims="election"
        )
        pm.Deterministic(
            "by_community",
            election_effects("c", 2.0, measured, "election", extra=("community",)),
            dims=("election", "community"),
        )
        prior = pm.sample_prior_predictive(20_000, random_seed=2).prior
    seen = prior["national"].sel(election=["a", "b", "c"])
    np.testing.assert_allclose(seen.sum("election"), 0.0, atol=1e-12)
    np.testing.assert_allclose(
        float(prior["national"].sel(election="target").std()), 0.5 * np.sqrt(4 / 3), rtol=0.03
    )
    grid = prior["by_community"]
    np.testing.assert_allclose(grid.sum("community"), 0.0, atol=1e-12)
    np.testing.assert_allclose(grid.sel(election=["a", "b", "c"]).sum("election"), 0.0, atol=1e-12)
    # a zero-sum normal over 3 communities has sd sigma sqrt(1 - 1/3)
    target_sd = float(grid.sel(election="target").std())
    np.testing.assert_allclose(target_sd, 2.0 * np.sqrt(4 / 3) * np.sqrt(2 / 3), rtol=0.03)


def test_national_noise_is_the_sum_of_the_provinces_noise():
    """The national rows' concentration gives the variance of a weighted sum of province draws.

    The total over the lists within 20%; no list above 5% more than 1.6 times overconfident.
    One concentration cannot match every list when their shares differ from province to
    province: a list strong in three provinces only is seen with a wider national variance
    than its own (conservative: the national row tells less about it than it could).
    """
    from forecast.votes.model import model_inputs

    spec = load_spec(ROOT / "models" / "iraq_2010.toml")
    data = ingest_election(spec)
    model = build_model(data, spec)
    inp = model_inputs(data, spec)
    past = inp["vote_elections"]
    names = ["kappa", "kappa_national", "turnout_all", *(f"past_share_{e}" for e in past)]
    outputs = model.replace_rvs_by_values([model[n] for n in names])
    fn = model.compile_fn(outputs, inputs=model.value_vars, on_unused_input="ignore", point_fn=True)
    kappa, kappa_national, turnout, *shares = fn(model.initial_point())
    rng = np.random.default_rng(0)
    for v, (election, share) in enumerate(zip(past, shares, strict=True)):
        voted = data["voted"].sel(election=election).values
        e = list(data["election"].values).index(election)
        w = inp["electorate"][election] * voted * turnout[e]
        w = w / w.sum()
        provinces = np.flatnonzero(w > 0)
        draws = np.stack(
            [rng.dirichlet(kappa[v] * share[p], size=40_000) for p in provinces], axis=1
        )
        national = np.einsum("p,dpj->dj", w[provinces], draws)
        mean = w @ share
        dirichlet_var = mean * (1 - mean) / (kappa_national[v] + 1)
        total = national.var(axis=0).sum() / dirichlet_var.sum()
        assert 0.8 < total < 1.25, (election, total)
        big = mean > 0.05  # lists with a national share worth the name
        ratio = national.var(axis=0)[big] / dirichlet_var[big]
        assert np.all(ratio < 1.6), (election, ratio)


def test_one_measured_election_has_no_effect_of_its_own():
    """One measured election is the mean itself (effect zero); a new one has sd sigma sqrt(2)."""
    from forecast.votes.priors import election_effects

    with pm.Model(coords={"election": ["a", "target"]}):
        pm.Deterministic(
            "effect",
            election_effects("n", 0.5, np.array([True, False]), "election"),
            dims="election",
        )
        prior = pm.sample_prior_predictive(20_000, random_seed=3).prior["effect"]
    assert float(np.abs(prior.sel(election="a")).max()) == 0.0
    np.testing.assert_allclose(
        float(prior.sel(election="target").std()), 0.5 * np.sqrt(2), rtol=0.03
    )


def test_a_list_gets_next_to_nothing_where_its_communities_are_absent(toy_project):
    """The binding prior: Beta's base is the minority, absent from the south but 60% of the north.

    Prior draws of its share in the south stay near zero however high its national level; in
    the north it is a contender.
    """
    base_beta_in_minority(toy_project, south_minority=0.0)
    spec = load_spec(toy_project)
    model = build_model(ingest_election(spec), spec)
    with model, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The effect of Potentials", UserWarning)
        prior = pm.sample_prior_predictive(2000, var_names=["share"], random_seed=3)
    beta = prior.prior["share"].sel(party="beta").stack(s=("chain", "draw"))
    south, north = beta.sel(province="south").values, beta.sel(province="north").values
    assert np.median(south) < 0.02 and np.quantile(south, 0.9) < 0.1
    assert np.median(north) > 10 * np.median(south)


def test_a_community_that_stays_home_leaves_the_vote_to_the_others():
    """Voters, not residents, cast a province's vote: each community weighs by its turnout.

    Equal turnout keeps the resident mix; a community at logit -8 (a boycott) all but leaves
    its province's vote, and the others' shares grow in proportion.
    """
    from forecast.votes.blocks import voter_mix

    mix = np.array([[0.6, 0.4], [0.1, 0.9]])  # (province, community)
    base = np.zeros((2, 2))  # (election, province): the turnout logit before the communities
    community = np.array([[0.0, 0.0], [-8.0, 0.0]])  # election 1: community 0 stays home
    voters = voter_mix(base, community, mix).eval()
    np.testing.assert_allclose(voters[0], mix)
    assert voters[1, :, 0].max() < 2e-3  # 0.6 x 3.4e-4 against 0.4 x 0.5
    np.testing.assert_allclose(voters[1].sum(axis=-1), 1.0)
    np.testing.assert_allclose(voters[1, :, 1], 1.0, atol=2e-3)


def test_the_walk_is_anchored_at_the_best_measured_past_election():
    # three past elections: the first seen in one province row and nationally (2 + 3 cells),
    # the second in two province rows (3 + 3), the last, a regional one, in one row (2)
    obs = {
        "kappa_index": np.array([0, 1, 1, 2, 3]),
        "mask": np.array([[1, 1, 0], [1, 1, 1], [1, 1, 1], [1, 1, 0], [1, 1, 1]], dtype=bool),
    }
    assert best_measured(obs, 3) == 1
    # a tie goes to the later election
    obs["mask"][0] = [1, 1, 1]
    assert best_measured(obs, 3) == 1
    # national rows count for their own election (kappa index n_past + election)
    obs["kappa_index"] = np.array([0, 1, 2, 2, 3])
    assert best_measured(obs, 3) == 0


def test_community_turnout_levels_have_the_zero_sum_prior_once_centred(toy_project):
    """Free community levels, centred on the population, are distributed as centred zero-sum ones.

    Over the measured elections the election shifts sum to zero, so the mean effect is the
    centred persistent level, A z with A = I - 1 p': its prior covariance is sigma^2 A A'
    whether z is iid or zero-sum (A removes any common part).
    """
    from forecast.votes.blocks import _community_turnout
    from forecast.votes.priors import national_composition

    spec = load_spec(toy_project)
    communities = ["majority", "minority"]
    measured = np.array([True, True, False])
    coords = {dims.ELECTION: ["a", "b", "target"], dims.COMMUNITY: communities}
    with pm.Model(coords=coords):
        effect = _community_turnout(spec, measured, communities)
        pm.Deterministic("level", effect[:2].mean(axis=0), dims=dims.COMMUNITY)
        prior = pm.sample_prior_predictive(20_000, var_names=["level"], random_seed=4).prior
    draws = prior["level"].stack(s=("chain", "draw")).values
    p = national_composition(spec, communities)
    centre = np.eye(2) - np.outer(np.ones(2), p)
    expected = spec.priors.turnout_community_sigma**2 * centre @ centre.T
    np.testing.assert_allclose(np.cov(draws), expected, rtol=0.05, atol=0.01)
    np.testing.assert_allclose(p @ draws, 0.0, atol=1e-12)
