"""``build_model``: the PyMC graph of turnout and vote share by province.

Vote share lives in the space of the *target* election's lists. In every election, each province
has a latent support for the target lists, softmax(national level + province effect). Past
elections are observed through their own lists: the spec's lineage says where each past list's
voters go, and Bayes' rule (with each past list's national weight) turns that into where each
target list's voters came from, so a past list's expected share is a mixture of target supports.
Mergers (Iraqiya) and splits (the UIA into State of Law and the INA) are thus part of the
likelihood, with their uncertainty. Turnout is a logit-linear model of province, election and
community effects, so that a community-wide boycott moves every province where it lives.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from scipy.special import gammaln

from forecast import dims
from forecast.data.lineage import SOURCE, lineage_elections, lineage_weights
from forecast.data.spec import ForecastSpec
from forecast.votes.priors import (
    BASE_FLOOR,
    MIXED_CONCENTRATION,
    community_affinity,
    election_effects,
    national_composition,
    province_composition,
    zero_sum_normal,
)

__all__ = ["build_model", "model_inputs", "observed_cells", "VOTE_ELECTION"]

VOTE_ELECTION = "vote_election"
NEG = -1.0e3  # logit of an impossible lineage destination: exp underflows to exactly 0


def model_communities(data: xr.Dataset, spec: ForecastSpec) -> list[str]:
    """Communities that carry the province composition: those named in the composition table."""
    if "community_share" not in data:
        return []
    shares = data["community_share"]
    named = set(shares["majority_community"].values) | {
        str(c)
        for c in shares[dims.COMMUNITY].values
        if bool(np.isfinite(shares.sel({dims.COMMUNITY: c})).any())
    }
    return [c for c in spec.community_ids if c in named]


def model_inputs(data: xr.Dataset, spec: ForecastSpec) -> dict[str, object]:
    """Arrays the graph is built from (pure function of data and spec)."""
    target = spec.election.id
    vote_elections = lineage_elections(spec)
    dates = {e.id: e.date for e in spec.evidence} | {target: spec.election.date}
    steps = [*vote_elections, target]
    years = np.array(
        [(dates[b] - dates[a]).days / 365.25 for a, b in zip(steps[:-1], steps[1:], strict=True)]
    )
    # Electorate weights for national totals: a parliamentary election's own magnitudes where
    # complete (apportioned by electorate: Dec 2005 by registered voters), else the target's.
    kinds = {e.id: e.kind for e in spec.evidence}
    fallback = data["magnitude"].sel({dims.ELECTION: target}).values
    electorate = {}
    for e in vote_elections:
        own = data["magnitude"].sel({dims.ELECTION: e}).values
        usable = kinds[e] == "parliamentary" and np.isfinite(own).all()
        weights = own if usable else fallback
        electorate[e] = weights / weights.sum()
    turnout = data["turnout_pct"].values / 100.0
    return {
        "vote_elections": vote_elections,
        "step_years": years,
        "lineage": {e: lineage_weights(data, spec, e) for e in vote_elections},
        "electorate": electorate,
        "turnout_obs": turnout,
        "communities": model_communities(data, spec),
        # past elections of another kind than the target (provincial vs parliamentary), then target
        "other_kind": np.array(
            [kinds.get(e, spec.election.kind) != spec.election.kind for e in steps], dtype=float
        ),
    }


def observed_cells(data: xr.Dataset, election: str, lists: list[str]) -> tuple[np.ndarray, ...]:
    """Province rows of reported list votes, with the votes of all other lists where known.

    Returns the province index of each row, counts (row, list + 1) whose last column is the
    valid votes not given to a reported list (known only where the valid total is), and the
    mask of which columns are observed. Rows with fewer than two observed columns carry no
    information about shares and are dropped.
    """
    d = data.sel({dims.ELECTION: election})
    votes = d["votes"].sel({dims.PARTY: lists}).values
    known = np.isfinite(votes) & d["contested"].sel({dims.PARTY: lists}).values
    counts = np.where(known, votes, 0.0)
    valid = d["valid_votes"].values
    has_rest = np.isfinite(valid)
    rest = np.where(has_rest, np.nan_to_num(valid) - counts.sum(axis=1), 0.0)
    counts = np.hstack([counts, rest[:, None]])
    mask = np.hstack([known, has_rest[:, None]])
    rows = np.flatnonzero(mask.sum(axis=1) >= 2)
    return rows, counts[rows], mask[rows]


def _national_counts(
    data: xr.Dataset, election: str, lists: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """National votes of the lists (+ all other lists, where the valid total is known) and mask."""
    d = data.sel({dims.ELECTION: election})
    votes = d["national_votes"].reindex({dims.PARTY: lists}).values
    known = np.isfinite(votes)
    counts = np.where(known, votes, 0.0)
    total = float(d["national_valid"])
    rest = total - counts.sum() if np.isfinite(total) else 0.0
    return np.append(counts, rest), np.append(known, np.isfinite(total))


def _with_rest(shares, mask):
    """Append the share of every list not observed: 1 minus the observed lists' shares."""
    # a contiguous copy: numba will not cache a compiled graph holding a strided constant
    listed = np.ascontiguousarray(mask[:, :-1])
    rest = 1.0 - pt.sum(pt.where(listed, shares, 0.0), axis=-1, keepdims=True)
    return pt.concatenate([shares, pt.clip(rest, 1e-9, 1.0)], axis=-1)


def _dm_conditional_logp(counts, mask, shares, kappa):
    """Dirichlet-multinomial log-likelihood of the reported lists, given their total.

    The aggregation property of the Dirichlet makes this exact when other lists' votes are
    unknown: the reported lists' counts given their sum are Dirichlet-multinomial with the
    renormalised shares. ``kappa`` is one concentration per row.
    """
    const = float(
        np.sum(gammaln(counts.sum(axis=-1) + 1)) - np.sum(np.where(mask, gammaln(counts + 1), 0.0))
    )
    sel = pt.where(mask, shares, 0.0)
    alpha = kappa[:, None] * sel / pt.sum(sel, axis=-1, keepdims=True)
    alpha_safe = pt.where(mask, alpha, 1.0)
    n = counts.sum(axis=-1)
    per_list = pt.where(mask, pt.gammaln(counts + alpha_safe) - pt.gammaln(alpha_safe), 0.0)
    return const + pt.sum(pt.gammaln(kappa) - pt.gammaln(n + kappa) + pt.sum(per_list, axis=-1))


def _stacked_lineage(lineages: list[xr.Dataset]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every past election's lineage on one source axis, padded with sources of zero weight.

    Returns the forward logits (election, source, party), the matrix that places the free
    lineage offsets at their cells with their scales (offset, election * source * party), and
    the sources' national weights (election, source). One tensor for all elections keeps the
    graph small: its size, not the arithmetic, sets the cost of a gradient here.
    """
    n_source = max(lin.sizes[SOURCE] for lin in lineages)
    logits = np.zeros((len(lineages), n_source, lineages[0].sizes[dims.PARTY]))
    weight = np.zeros(logits.shape[:2])
    placed = []
    for v, lin in enumerate(lineages):
        mean, scale = lin["share_mean"].values, lin["share_scale"].values
        logits[v, : len(mean)] = np.where(mean > 0, np.log(np.where(mean > 0, mean, 1.0)), NEG)
        weight[v, : len(mean)] = lin["national_weight"].values
        for i, j in np.argwhere(scale > 0):
            cell = np.zeros(logits.shape)
            cell[v, i, j] = scale[i, j]
            placed.append(cell.ravel())
    return logits, np.array(placed).reshape(len(placed), logits.size), weight


def _stacked_counts(
    data: xr.Dataset, elections: list[str], lineages: list[xr.Dataset], n_province: int
) -> dict[str, np.ndarray]:
    """Observed vote counts of all past elections as rows of one table (padded, masked).

    Province rows come first, then one national row per election with at least two observed
    columns. ``row`` indexes each row's shares in the stacked (election * province + national)
    table, ``kappa_index`` its concentration (an election's own for its province rows, then
    the elections' national ones). The
    last column is the votes of all lists not reported.
    """
    n_list = max(lin.sizes[SOURCE] for lin in lineages) - 1
    tables = []
    for v, (election, lin) in enumerate(zip(elections, lineages, strict=True)):
        lists = list(lin[SOURCE].values[:-1])
        rows, counts, mask = observed_cells(data, election, lists)
        tables.append((v * n_province + rows, counts, mask, np.full(len(rows), v)))
    for v, (election, lin) in enumerate(zip(elections, lineages, strict=True)):
        counts, mask = _national_counts(data, election, list(lin[SOURCE].values[:-1]))
        if mask.sum() >= 2:
            row = np.array([len(elections) * n_province + v])
            tables.append((row, counts[None], mask[None], np.array([len(elections) + v])))
    padded = []
    for rows, counts, mask, kappa_index in tables:
        c = np.zeros((len(rows), n_list + 1))
        m = np.zeros(c.shape, bool)
        c[:, : counts.shape[1] - 1], c[:, -1] = counts[:, :-1], counts[:, -1]
        m[:, : mask.shape[1] - 1], m[:, -1] = mask[:, :-1], mask[:, -1]
        padded.append((rows, c, m, kappa_index))
    keys = ["row", "counts", "mask", "kappa_index"]
    return {key: np.concatenate([t[i] for t in padded]) for i, key in enumerate(keys)}


def _walk_matrix(n_steps: int, anchor: int) -> np.ndarray:
    """(election, step): the level of each election relative to the anchor election's.

    Election e's level is the anchor's plus the steps between them: a cumulative sum written as
    one constant matrix, so the gradient is a single product.
    """
    cum = np.tril(np.ones((n_steps + 1, n_steps)), -1)
    return cum - cum[anchor]


def build_model(data: xr.Dataset, spec: ForecastSpec) -> pm.Model:
    """Build the turnout and vote-share model for the spec's target election.

    Parameters
    ----------
    data : xr.Dataset
        ElectionData, dims (election, province, party); the target election's results are NaN.
    spec : ForecastSpec
        Target lists, lineage, communities and prior scales.

    Returns
    -------
    pm.Model
        With deterministic ``share`` (province, party) and ``turnout`` (province) for the target
        election, and ``kappa_target``, the concentration of province-level vote noise.
    """
    dims.check(data, "ElectionData")
    inp = model_inputs(data, spec)
    pri = spec.priors
    parties = spec.party_ids
    vote_elections = [*inp["vote_elections"], spec.election.id]
    communities = inp["communities"]
    coords = {
        dims.PROVINCE: data[dims.PROVINCE].values,
        dims.PARTY: parties,
        dims.ELECTION: data[dims.ELECTION].values,
        VOTE_ELECTION: vote_elections,
        "past_election": inp["vote_elections"],
        "past_step": vote_elections[1:-1],
    }
    if communities:
        coords[dims.COMMUNITY] = communities
    measured = np.isfinite(inp["turnout_obs"]).any(axis=1)

    # Every parameter is valid by construction (scales are positive through their transforms),
    # so PyMC's parameter checks would only cost time in each gradient.
    with pm.Model(coords=coords, check_bounds=False) as model:
        # --- who lives where: each province's community mix (latent where unknown) ---------
        if communities:
            known_mix, mixed = province_composition(data, spec, communities)
            mix = pt.as_tensor(known_mix)
            if mixed.any():
                unknown = pm.Dirichlet(
                    "community_mix_mixed",
                    a=0.5 + MIXED_CONCENTRATION * known_mix[mixed],
                    shape=(int(mixed.sum()), len(communities)),
                )
                mix = pt.set_subtensor(mix[np.flatnonzero(mixed)], unknown)
            mix = pm.Deterministic("community_mix", mix, dims=(dims.PROVINCE, dims.COMMUNITY))

        # --- turnout ---------------------------------------------------------------------------
        # turnout_mu is the mean level of the elections with turnout data; effects are measured
        # against it (see election_effects).
        turnout_mu = pm.Normal("turnout_mu", 0.5, 1.0)
        # elections differ in mobilisation nationwide ...
        election_sigma = pm.HalfNormal("turnout_election_sigma", pri.turnout_election_sigma)
        election_turnout = election_effects(
            "turnout_election", election_sigma, measured, dims.ELECTION
        )
        # ... provinces differ persistently (security, registration, rurality) ...
        province_sigma = pm.HalfNormal("turnout_province_sigma", pri.turnout_province_sigma)
        province_turnout = zero_sum_normal(
            "turnout_province_effect", province_sigma, (dims.PROVINCE,)
        )
        eta = turnout_mu + election_turnout[:, None] + province_turnout[None, :]
        # ... and a community can abstain or mobilise as a whole (the Sunni Arab boycott of
        # January 2005), moving every province in proportion to how many of its people live there.
        if communities:
            # A community's turnout has a persistent part (Kurds vote more everywhere: its mean
            # over the measured elections) and an election-specific part (a boycott). Both are
            # relative to the nation, whose level the election effect carries: they are centred
            # on the population-weighted mean of the communities.
            community_level = zero_sum_normal(
                "turnout_community_level", pri.turnout_community_sigma, (dims.COMMUNITY,)
            )
            community_sigma = pm.HalfNormal("turnout_community_sigma", pri.turnout_community_sigma)
            community_shift = election_effects(
                "turnout_community",
                community_sigma,
                measured,
                dims.ELECTION,
                extra=(dims.COMMUNITY,),
            )
            community = community_level[None, :] + community_shift
            population = national_composition(spec, communities)
            eta = eta + pt.dot(community - pt.dot(community, population)[:, None], mix.T)
        turnout_all = pm.Deterministic(
            "turnout_all", pm.math.invlogit(eta), dims=(dims.ELECTION, dims.PROVINCE)
        )
        seen = np.flatnonzero(np.isfinite(inp["turnout_obs"]))  # flat (election, province) cells
        observed = inp["turnout_obs"].ravel()[seen]
        turnout_noise = pm.HalfNormal("turnout_noise", 0.3)
        pm.Normal(
            "turnout_logit",
            eta.ravel()[seen],
            turnout_noise,
            observed=np.log(observed) - np.log1p(-observed),
        )
        pm.Deterministic("turnout", turnout_all[-1], dims=dims.PROVINCE)

        # --- vote share in target-list space ---------------------------------------------------
        past = inp["vote_elections"]
        lineages = [inp["lineage"][e] for e in past]
        n_province = data.sizes[dims.PROVINCE]
        obs = _stacked_counts(data, past, lineages, n_province)
        # national level of each list in the latest past election with list votes. Levels and
        # swings sum to zero over the lists (softmax sees only their differences): no list is
        # the fixed reference, which would tie every other list's level to how well that one
        # list is measured (the pooled 'other' is measured worst) ...
        level0 = zero_sum_normal("party_level", pri.share_party_sigma, (dims.PARTY,))
        # ... then a national swing per list from election to election, shared by every
        # province (correlated errors), with variance growing with the years between them.
        # Non-centred: the data measure a past swing loosely (through a national result or two
        # and a few provinces), and the swing to the target election not at all.
        swing_sigma = pm.HalfNormal("swing_sigma", pri.swing_sigma)
        years = inp["step_years"]
        steps = []
        if len(years) > 1:
            steps.append(
                swing_sigma
                * np.sqrt(years[:-1])[:, None]
                * zero_sum_normal("swing_past_offset", 1.0, ("past_step", dims.PARTY))
            )
        target_offset = zero_sum_normal("swing_target_offset", 1.0, (dims.PARTY,))
        steps.append((swing_sigma * np.sqrt(years[-1]) * target_offset)[None, :])
        # Anchored at the latest past election, the best measured, and walked back in time to
        # earlier ones and forward to the target: the same random walk, a better geometry.
        walk = _walk_matrix(len(years), anchor=len(years) - 1)
        level = level0[None, :] + pt.dot(walk, pt.concatenate(steps, axis=0))
        pm.Deterministic("party_level_by_election", level, dims=(VOTE_ELECTION, dims.PARTY))
        # where each list is strong: through the communities a province holds. A list whose
        # voters come from community c (spec: community_base) does well where c lives: its
        # expected support is proportional to sum_c mix[p, c] * base[j, c] / size[c], an
        # ecological prior whose weight the data estimate ...
        province_effect = 0.0
        if communities:
            base_weight = pm.Normal("community_base_weight", 1.0, 0.5)
            affinity = community_affinity(spec, communities)  # (community, party)
            # centred over provinces, so that the weight moves where a list is strong, not its
            # national level (which the level carries)
            base = pt.log(pt.dot(mix, affinity) + BASE_FLOOR)
            province_effect = base_weight * (base - pt.mean(base, axis=0, keepdims=True))
        # ... and beyond them, a persistent province x list effect (non-centred, sums to zero).
        pp_sigma = pm.HalfNormal("province_party_sigma", pri.share_province_party_sigma)
        pp_offset = zero_sum_normal("province_party_offset", 1.0, (dims.PROVINCE, dims.PARTY), 2)
        province_effect = province_effect + pp_sigma * pp_offset
        # An election of another kind than the target (provincial councils vs parliament) measures
        # the lists' national standing with an offset of its own: local lists do better in local
        # elections. With one such election the offset is not separable from the swing, so its
        # scale is a prior (spec: priors.kind_sigma), and the target is forecast without it.
        other_kind = inp["other_kind"]
        if other_kind.any() and pri.kind_sigma > 0:
            kind_offset = zero_sum_normal("kind_offset", pri.kind_sigma, (dims.PARTY,))
            level = level + other_kind[:, None] * kind_offset[None, :]
        support = pt.special.softmax(level[:, None, :] + province_effect[None, :, :], axis=-1)
        pm.Deterministic("share", support[-1], dims=(dims.PROVINCE, dims.PARTY))

        # Province-level noise of an election's result around the support: Dirichlet-multinomial
        # concentration, shared across elections through a common median (the mean log
        # concentration of the elections with province results; see election_effects).
        own = obs["kappa_index"][obs["kappa_index"] < len(past)]  # province rows, not national
        with_rows = np.isin(np.arange(len(vote_elections)), own)
        log_kappa_mu = pm.Normal("log_kappa_mu", pri.log_concentration_mu, 1.0)
        log_kappa = log_kappa_mu + election_effects("log_kappa", 0.5, with_rows, VOTE_ELECTION)
        kappa = pm.Deterministic("kappa", pt.exp(log_kappa), dims=VOTE_ELECTION)
        pm.Deterministic("kappa_target", kappa[-1])

        # --- past elections seen through their own lists ------------------------------------
        logits, placed, weight = _stacked_lineage(lineages)
        # uncertain forward lineage: logistic-normal matched to the spec's Dirichlet
        lineage_offset = pm.Normal("lineage_offset", 0, 1, shape=len(placed))
        logits = logits + pt.dot(lineage_offset, placed).reshape(logits.shape)
        forward = pt.special.softmax(logits, axis=-1)  # (election, source, party)
        joint = weight[:, :, None] * forward
        came_from = joint / pt.sum(joint, axis=1, keepdims=True)  # sums to 1 over sources
        past_share = pt.sum(support[: len(past), :, None, :] * came_from[:, None, :, :], axis=-1)
        for v, (election, lin) in enumerate(zip(past, lineages, strict=True)):
            sources = list(lin[SOURCE].values)
            model.add_coord(f"source_{election}", sources)
            pm.Deterministic(
                f"past_share_{election}",
                past_share[v, :, : len(sources)],
                dims=(dims.PROVINCE, f"source_{election}"),
            )
        # national shares: provinces weighted by electorate and modelled turnout where it voted
        voted = np.stack([data["voted"].sel({dims.ELECTION: e}).values for e in past])
        electorate = np.stack([inp["electorate"][e] for e in past]) * voted
        at = [list(data[dims.ELECTION].values).index(e) for e in past]
        w = electorate * turnout_all[at]
        w = w / pt.sum(w, axis=1, keepdims=True)
        national_share = pt.sum(w[:, :, None] * past_share, axis=1)
        # A national result is the sum of its provinces' results, each with the election's
        # province-level noise: a Dirichlet matched to the variance of that weighted sum has
        # concentration kappa / sum(w^2) (about 9 kappa for Iraq's 18 governorates; exact when
        # a list's share is the same everywhere, within a factor 1.5 in variance here). A free
        # concentration of its own, seen in two national rows, was a funnel for the sampler.
        kappa_national = pm.Deterministic(
            "kappa_national", kappa[: len(past)] / pt.sum(w**2, axis=1), dims="past_election"
        )

        # The pooled small lists count in the rest, not one by one: every row's listed columns
        # exclude the last source.
        if len(obs["row"]):
            table = pt.concatenate(
                [past_share.reshape((-1, past_share.shape[-1])), national_share], axis=0
            )
            shares = _with_rest(table[obs["row"]][:, :-1], obs["mask"])
            row_kappa = pt.concatenate([kappa[: len(past)], kappa_national])[obs["kappa_index"]]
            pm.Potential(
                "votes", _dm_conditional_logp(obs["counts"], obs["mask"], shares, row_kappa)
            )
    return model
