"""The latent blocks of the vote model: who lives where, turnout, the lists' support, noise.

Each function adds its variables to the model in context, in the order ``build_model`` calls
them (the order fixes the sampler's start for a seed), and returns what the next block needs.
Past elections enter through ``forecast.votes.likelihood``.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.data.spec_model import PriorSpec
from forecast.votes.priors import (
    community_affinity,
    election_effects,
    national_composition,
    province_composition,
    zero_sum_normal,
)

__all__ = [
    "VOTE_ELECTION",
    "community_mix",
    "concentration",
    "list_support",
    "turnout",
    "turnout_noise_draws",
    "turnout_noise_prior",
    "voter_mix",
]

VOTE_ELECTION = "vote_election"
NEG = -1.0e3  # logit of a list outside a community's base: exp underflows to exactly 0
TURNOUT_DATA = "turnout_logit_observed"
TURNOUT_NOISE_RATE = "turnout_noise_rate"
NOISE_SHAPE = 4.0  # inverse-gamma shape of the turnout noise's variance: clear of zero


def turnout_noise_prior(priors: PriorSpec) -> tuple[float, float]:
    """Inverse-gamma (shape, scale) of the turnout noise's variance, mean ``turnout_noise``^2."""
    return NOISE_SHAPE, (NOISE_SHAPE - 1.0) * priors.turnout_noise**2


def turnout_noise_draws(rate: xr.DataArray, n_seen: int, rng: np.random.Generator) -> xr.DataArray:
    """Draws of the turnout noise scale given each posterior draw's residuals.

    The noise variance is integrated out of the model; given the turnout effects it is
    inverse-gamma with shape ``NOISE_SHAPE + n_seen / 2`` and the sampled ``rate``, so one
    draw per posterior draw gives the noise's posterior (for predictive checks and SBC).
    """
    gamma = rng.gamma(NOISE_SHAPE + 0.5 * n_seen, size=rate.shape)
    return np.sqrt(rate / gamma).rename("turnout_noise")


def community_mix(data: xr.Dataset, spec: ForecastSpec, communities: list[str]):
    """Add each province's community mix (province, community) as an uncertain input.

    Logistic-normal around the published or labelled composition (``province_composition``):
    smooth where a Dirichlet with small concentrations would pile mass at the simplex's edge,
    which the sampler cannot follow.
    """
    centre, sd = province_composition(data, spec, communities)
    offset = pm.Normal("community_mix_offset", 0.0, 1.0, dims=(dims.PROVINCE, dims.COMMUNITY))
    mix = pt.special.softmax(np.log(centre) + sd * offset, axis=-1)
    return pm.Deterministic("community_mix", mix, dims=(dims.PROVINCE, dims.COMMUNITY))


def turnout(spec: ForecastSpec, turnout_obs: np.ndarray, communities: list[str], mix):
    """Add the turnout model, observed on the logit scale where ``turnout_obs`` is known.

    Returns the turnout of every election (election, province), the target's kept as
    ``turnout`` (province), and who the voters are: each province's mix of communities among
    its voters (election, province, community), or None without communities.
    """
    base, community = _turnout_eta(spec, np.isfinite(turnout_obs).any(axis=1), communities)
    eta = base if community is None else base + pt.dot(community, mix.T)
    turnout_all = pm.Deterministic(
        "turnout_all", pm.math.invlogit(eta), dims=(dims.ELECTION, dims.PROVINCE)
    )
    seen = np.flatnonzero(np.isfinite(turnout_obs))  # flat (election, province) cells
    observed = turnout_obs.ravel()[seen]
    # a named data container, so that simulation-based calibration can swap in simulated turnout
    logit_observed = pm.Data(TURNOUT_DATA, np.log(observed) - np.log1p(-observed))
    resid = logit_observed - eta.ravel()[seen]
    shape, scale = turnout_noise_prior(spec.priors)
    # The reported turnouts scatter around their expected logit with one shared variance,
    # inverse-gamma a priori and integrated out: with one measured election the noise and
    # the turnout effects are not separately identified, and sampling the noise's scale
    # makes a funnel the sampler cannot follow. What is left is the multivariate t density
    # of the residuals (up to a constant); ``turnout_noise_draws`` recovers the noise.
    rate = pm.Deterministic(TURNOUT_NOISE_RATE, scale + 0.5 * pt.sum(resid**2))
    pm.Potential("turnout_logit", -(shape + 0.5 * len(seen)) * pt.log(rate))
    pm.Deterministic("turnout", turnout_all[-1], dims=dims.PROVINCE)
    if community is None:
        return turnout_all, None
    voters = voter_mix(base, community, mix)
    pm.Deterministic("voter_mix", voters, dims=(dims.ELECTION, dims.PROVINCE, dims.COMMUNITY))
    return turnout_all, voters


def voter_mix(base, community, mix):
    """Each province's mix of communities among its voters (election, province, community).

    A province's vote is cast by those who turn out: each community weighs by its people times
    its own turnout there (the province's turnout logit before the communities, plus the
    community's effect). A community that boycotts an election all but vanishes from that
    election's vote, so its lists' weak result then says little about their support, and
    where it turns out again its lists' vote returns with it.
    """
    rate = pm.math.invlogit(base[:, :, None] + community[:, None, :])
    weight = mix[None, :, :] * rate
    return weight / pt.sum(weight, axis=-1, keepdims=True)


def _turnout_eta(spec: ForecastSpec, measured: np.ndarray, communities: list[str]):
    """Add the effects on turnout; return its logit before the communities, and theirs.

    Returns the logit (election, province) without the communities and their effects
    (election, community), centred on the nation, or None. ``measured`` flags the elections
    with turnout data.
    """
    pri = spec.priors
    # turnout_mu is the mean level of the elections with turnout data; effects are measured
    # against it (see election_effects).
    turnout_mu = pm.Normal("turnout_mu", 0.5, 1.0)
    # elections differ in mobilisation nationwide ...
    election_sigma = pm.HalfNormal("turnout_election_sigma", pri.turnout_election_sigma)
    election_turnout = election_effects("turnout_election", election_sigma, measured, dims.ELECTION)
    # ... provinces differ persistently (security, registration, rurality) ...
    province_sigma = pm.HalfNormal("turnout_province_sigma", pri.turnout_province_sigma)
    # (non-centred: few provinces have more than one measured turnout, so the data do not pin
    # each effect down, and a centred effect would funnel with its scale)
    province_turnout = province_sigma * zero_sum_normal(
        "turnout_province_offset", 1.0, (dims.PROVINCE,)
    )
    eta = turnout_mu + election_turnout[:, None] + province_turnout[None, :]
    # ... and a community can abstain or mobilise as a whole (the Sunni Arab boycott of
    # January 2005), moving every province in proportion to how many of its people live there.
    return eta, _community_turnout(spec, measured, communities) if communities else None


def _community_turnout(spec: ForecastSpec, measured: np.ndarray, communities: list[str]):
    """Add the communities' turnout effects; return them (election, community), centred."""
    pri = spec.priors
    # A community's turnout has a persistent part (Kurds vote more everywhere: its mean
    # over the measured elections) and an election-specific part (a boycott). Both are
    # relative to the nation, whose level the election effect carries: they are centred
    # on the population-weighted mean of the communities. That centring removes any level
    # common to all communities, so the persistent levels are free over the communities (no
    # zero-sum): the same model as zero-sum levels, but no free value stands for "minus the
    # others", which tied each community's level to how well the smallest is measured. (The
    # election shifts keep their zero sum: free, their common part would be a funnel with
    # their scale, which no data see.)
    community_level = pm.Normal(
        "turnout_community_level", 0.0, pri.turnout_community_sigma, dims=dims.COMMUNITY
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
    return community - pt.dot(community, population)[:, None]


def list_support(
    spec: ForecastSpec,
    step_years: np.ndarray,
    other_kind: np.ndarray,
    communities: list[str],
    voters,
    *,
    anchor: int,
    polled: bool = False,
):
    """Add the lists' support in target-list space; return it (vote election, province, party).

    ``voters`` is each vote election's mix of communities among a province's voters (vote
    election, province, community). The target election's support is kept as ``share``
    (province, party). ``anchor``: the past election the levels are anchored at (the best
    measured); ``polled``: polls of the target measure its swing (``forecast.votes.polls``).
    """
    level = _national_level(spec.priors, step_years, anchor=anchor, polled=polled)
    # An election of another kind than the target (provincial councils vs parliament) measures
    # the lists' national standing with an offset of its own: local lists do better in local
    # elections. With one such election the offset is not separable from the swing, so its
    # scale is a prior (spec: priors.kind_sigma), and the target is forecast without it.
    if other_kind.any() and spec.priors.kind_sigma > 0:
        kind_offset = zero_sum_normal("kind_offset", spec.priors.kind_sigma, (dims.PARTY,))
        level = level + other_kind[:, None] * kind_offset[None, :]
    # where each list is strong: through the communities a province holds ...
    if communities:
        log_support = pt.log(_community_mixture(spec, level, communities, voters))
    else:
        log_support = level[:, None, :]
    # ... and beyond them, a persistent province x list effect (non-centred, sums to zero) for
    # what the communities do not explain.
    pp_sigma = pm.HalfNormal("province_party_sigma", spec.priors.share_province_party_sigma)
    pp_offset = zero_sum_normal("province_party_offset", 1.0, (dims.PROVINCE, dims.PARTY), 2)
    support = pt.special.softmax(log_support + (pp_sigma * pp_offset)[None, :, :], axis=-1)
    pm.Deterministic("share", support[-1], dims=(dims.PROVINCE, dims.PARTY))
    return support


def _community_mixture(spec: ForecastSpec, level, communities: list[str], voters):
    """Each province's support as the mixture of its communities' votes (election, province, party).

    Community c's vote goes to the lists whose ``community_base`` includes c, by their level and
    their base in c relative to c's size; a list outside c's base gets only its cross-community
    share of c's vote, times its national standing (softmax of the levels). That share is
    bounded whatever the list's level, which a list dominating a small community must have
    high: a list gets next to nothing where none of its communities live, and the geography
    binds. The cross-community share is learned across lists and elections around a prior
    median (spec: priors.cross_community_share), hierarchical over lists.
    """
    pri = spec.priors
    affinity = community_affinity(spec, communities)  # (community, party)
    in_base = affinity > 0
    cross_mu = pm.Normal("cross_share_mu", logit(pri.cross_community_share), 1.0)
    cross_sigma = pm.HalfNormal("cross_share_sigma", pri.cross_community_sigma)
    cross_offset = pm.Normal("cross_share_offset", 0.0, 1.0, dims=dims.PARTY)
    cross = pm.Deterministic(
        "cross_share", pm.math.invlogit(cross_mu + cross_sigma * cross_offset), dims=dims.PARTY
    )
    # the vote of each community among its own lists (election, community, party); a community
    # no list names as its base gives its whole vote as cross-community votes
    own = np.where(in_base, np.log(np.where(in_base, affinity, 1.0)), NEG)
    inside = pt.special.softmax(level[:, None, :] + own[None, :, :], axis=-1)
    inside = inside * in_base.any(axis=1)[None, :, None]
    standing = pt.special.softmax(level, axis=-1)  # (election, party)
    outside = (cross[None, :] * standing)[:, None, :] * (~in_base)[None, :, :]
    by_community = inside + outside
    by_community = by_community / pt.sum(by_community, axis=-1, keepdims=True)
    return pt.einsum("epc,ecj->epj", voters, by_community)


def logit(p: float) -> float:
    """Log-odds of a probability."""
    return float(np.log(p) - np.log1p(-p))


def _national_level(pri: PriorSpec, years: np.ndarray, *, anchor: int, polled: bool = False):
    """Add the lists' national levels and swings; return the level (vote election, party).

    ``years`` are the years between consecutive vote elections, the last step ending at the
    target; ``anchor`` is the past election whose level is the walk's start; ``polled`` says
    whether polls measure the swing to the target.
    """
    # national level of each list in the anchor election (the best measured). Levels and
    # swings sum to zero over the lists (softmax sees only their differences): no list is
    # the fixed reference, which would tie every other list's level to how well that one
    # list is measured (the pooled 'other' is measured worst) ...
    level0 = zero_sum_normal("party_level", pri.share_party_sigma, (dims.PARTY,))
    # ... then a national swing per list from election to election, shared by every
    # province (correlated errors), with variance growing with the years between them.
    # Non-centred: the data measure a past swing loosely (through a national result or two
    # and a few provinces), and the swing to the target election not at all.
    swing_sigma = pm.HalfNormal("swing_sigma", pri.swing_sigma)
    steps = []
    if len(years) > 1:
        steps.append(
            swing_sigma
            * np.sqrt(years[:-1])[:, None]
            * zero_sum_normal("swing_past_offset", 1.0, ("past_step", dims.PARTY))
        )
    # Where polls measure the swing to the target it is centred: pinned by the polls, a
    # non-centred swing would be a narrow curved ridge against its scale (R-hat 1.5 on Belgium
    # 2019 with its polls).
    target_scale = swing_sigma * np.sqrt(years[-1])
    if polled:
        target_step = zero_sum_normal("swing_target", target_scale, (dims.PARTY,))
    else:
        target_step = target_scale * zero_sum_normal("swing_target_offset", 1.0, (dims.PARTY,))
    steps.append(target_step[None, :])
    # Anchored at the best-measured past election and walked back in time to earlier ones and
    # forward to the target: the same random walk, a better geometry. (An anchor measured
    # only in a few provinces, such as a regional election, would leave every level loose.)
    walk = _walk_matrix(len(years), anchor=anchor)
    level = level0[None, :] + pt.dot(walk, pt.concatenate(steps, axis=0))
    pm.Deterministic("party_level_by_election", level, dims=(VOTE_ELECTION, dims.PARTY))
    return level


def _walk_matrix(n_steps: int, anchor: int) -> np.ndarray:
    """(election, step): the level of each election relative to the anchor election's.

    Election e's level is the anchor's plus the steps between them: a cumulative sum written as
    one constant matrix, so the gradient is a single product.
    """
    cum = np.tril(np.ones((n_steps + 1, n_steps)), -1)
    return cum - cum[anchor]


def concentration(pri: PriorSpec, kappa_index: np.ndarray, n_past: int):
    """Add the concentration of each vote election's province-level noise; return it.

    Province-level noise of an election's result around the support: Dirichlet-multinomial
    concentration, shared across elections through a common median (the mean log
    concentration of the elections with province results; see election_effects).
    ``kappa_index`` is the concentration of each observed row; the ``n_past`` past elections'
    province rows are those below ``n_past``. The target's is kept as ``kappa_target``.
    """
    own = kappa_index[kappa_index < n_past]  # province rows, not national
    with_rows = np.isin(np.arange(n_past + 1), own)
    log_kappa_mu = pm.Normal("log_kappa_mu", pri.log_concentration_mu, 1.0)
    log_kappa = log_kappa_mu + election_effects("log_kappa", 0.5, with_rows, VOTE_ELECTION)
    kappa = pm.Deterministic("kappa", pt.exp(log_kappa), dims=VOTE_ELECTION)
    pm.Deterministic("kappa_target", kappa[-1])
    return kappa
