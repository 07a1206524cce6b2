"""Polls as evidence: the likelihood of published polls on the target election's shares.

A poll of a scope (the nation, a region, a province) measures the target lists' shares of the
scope's vote, which the model has as the provinces' target supports weighted by their
electorates and modelled turnout. What a poll reports differs from the election-day share by
three things, each on the logit scale:

- the pollster's house effect on each list, hierarchical and summing to zero over pollsters,
  and an error all pollsters share on the list (polls alone cannot tell a shared miss, so its
  scale, ``polls.bias_sigma``, is a prior);
- the drift of opinion between fieldwork and election day: a random walk of each list's
  standing back in time from election day, one step per period of ``polls.period_days``, its
  variance growing with the days between, so that older polls count less and polls of the
  same weeks share the same drift;
- sampling error (binomial, from the sample size and the reported share) and an error beyond
  it, common to all polls.

Only polls whose fieldwork ended by the forecast's day (``polls.as_of``) enter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from forecast import dims
from forecast.data.polls import PollTable, polls_before, read_polls, scope_provinces
from forecast.data.spec import ForecastSpec
from forecast.votes.priors import zero_sum_normal

__all__ = [
    "POLLSTER",
    "POLL_PERIOD",
    "POLL_SCOPE",
    "PollEvidence",
    "poll_evidence",
    "poll_likelihood",
]

POLLSTER = "pollster"
POLL_SCOPE = "poll_scope"
POLL_PERIOD = "poll_period"
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class PollEvidence:
    """The polls the model sees, as index arrays over the rows of the polls table."""

    observed: np.ndarray  # logit of each row's share
    sample_size: np.ndarray
    party: np.ndarray  # index into the target lists
    pollster: np.ndarray  # index into ``pollsters``
    scope: np.ndarray  # index into ``scopes``
    period: np.ndarray  # index into ``period_years``
    pollsters: list[str]
    scopes: list[str]
    scope_weights: np.ndarray  # (scope, province): electorate of the scope's provinces
    period_years: np.ndarray  # years before election day at each drift period's midpoint


def poll_evidence(data: xr.Dataset, spec: ForecastSpec) -> PollEvidence | None:
    """Gather the polls fielded by the forecast's day (None when there are none).

    Parameters
    ----------
    data : xr.Dataset
        ElectionData, dims (election, province, party): its provinces and the target's
        registered voters (magnitudes where those are unknown) weight a scope's provinces.
    spec : ForecastSpec
        Its ``data.polls`` table and ``[polls]`` settings.
    """
    table = read_polls(spec, list(data[dims.PROVINCE].values))
    if table is None:
        return None
    table = polls_before(table, spec)
    if not len(table):
        return None
    provinces = list(data[dims.PROVINCE].values)
    scopes = sorted(set(table.scope))
    members = scope_provinces(spec, provinces)
    inside = np.array([[p in members[s] for p in provinces] for s in scopes], dtype=float)
    pollsters = sorted(set(table.pollster))
    period, years = _periods(table, spec)
    return PollEvidence(
        observed=np.log(table.share) - np.log1p(-table.share),
        sample_size=table.sample_size.astype(float),
        party=np.array([spec.party_ids.index(p) for p in table.party]),
        pollster=np.array([pollsters.index(h) for h in table.pollster]),
        scope=np.array([scopes.index(s) for s in table.scope]),
        period=period,
        pollsters=pollsters,
        scopes=scopes,
        scope_weights=inside * _electorate(data, spec)[None, :],
        period_years=years,
    )


def _electorate(data: xr.Dataset, spec: ForecastSpec) -> np.ndarray:
    """Return the target's registered voters by province; its district magnitudes where unknown."""
    target = data.sel({dims.ELECTION: spec.election.id})
    registered = target["registered"].values.astype(float)
    if np.isfinite(registered).all():
        return registered
    magnitude = target["magnitude"].values.astype(float)
    return np.nan_to_num(magnitude) / np.nansum(magnitude)


def _periods(table: PollTable, spec: ForecastSpec) -> tuple[np.ndarray, np.ndarray]:
    """Each row's drift period (index) and the periods' midpoints in years before the election."""
    step = spec.polls.period_days
    bins = np.floor(table.days_before(spec.election.date) / step).astype(int)
    used = np.unique(bins)
    return np.searchsorted(used, bins), (used + 0.5) * step / DAYS_PER_YEAR


def poll_likelihood(model: pm.Model, polls: PollEvidence, spec: ForecastSpec, share, turnout):
    """Add the polls' likelihood ``polls`` given the target's shares and turnout.

    ``share`` is the target's support (province, party) and ``turnout`` its turnout
    (province). Adds ``poll_scope_share`` (poll_scope, party), the shares a perfect poll of each
    scope would find on election day, and ``poll_house`` (pollster, party).
    """
    settings = spec.polls
    model.add_coord(POLLSTER, polls.pollsters)
    model.add_coord(POLL_SCOPE, polls.scopes)
    model.add_coord(POLL_PERIOD, np.arange(len(polls.period_years)))
    # who votes in each scope: its provinces' electorates times their turnout
    voters = polls.scope_weights * turnout[None, :]
    scope_share = pt.dot(voters, share) / pt.sum(voters, axis=1, keepdims=True)
    scope_share = pm.Deterministic("poll_scope_share", scope_share, dims=(POLL_SCOPE, dims.PARTY))
    # pollsters lean, each its own way, list by list; the leanings sum to zero over pollsters
    if len(polls.pollsters) > 1:
        house_sigma = pm.HalfNormal("poll_house_sigma", settings.house_sigma)
        lean = zero_sum_normal("poll_house_offset", 1.0, (dims.PARTY, POLLSTER))
        house = pm.Deterministic("poll_house", house_sigma * lean.T, dims=(POLLSTER, dims.PARTY))
    else:
        house = pm.Deterministic(
            "poll_house", pt.zeros((1, len(spec.party_ids))), dims=(POLLSTER, dims.PARTY)
        )
    drift = _drift(settings.drift_sigma, polls.period_years)
    mean = (
        (pt.log(scope_share) - pt.log1p(-scope_share))[polls.scope, polls.party]
        + house[polls.pollster, polls.party]
        + drift[polls.period, polls.party]
    )
    # every pollster can miss a list the same way (shy voters, late swing): not seen by the
    # polls themselves, so its scale is a prior
    if settings.bias_sigma > 0:
        bias = pm.Normal("poll_bias", 0.0, settings.bias_sigma, dims=dims.PARTY)
        mean = mean + bias[polls.party]
    # sampling error of the poll's share on the logit scale (delta method at the reported
    # share: at the modelled share it would grow without bound as a list's share went to zero,
    # and a poll could not pull a list back from there), and the error beyond it of every poll
    reported = 1.0 / (1.0 + np.exp(-polls.observed))
    sampling = 1.0 / (polls.sample_size * reported * (1.0 - reported))
    noise = pm.HalfNormal("poll_noise", settings.noise_sigma)
    sd = pt.sqrt(sampling + noise**2)
    pm.Normal("polls", mean, sd, observed=polls.observed)


def _drift(sigma: float, years: np.ndarray):
    """Add the lists' standing at each poll period relative to election day (period, party).

    A random walk back in time from election day: each step's variance is ``sigma``^2 times
    the years it spans (non-centred).
    """
    steps = np.diff(np.concatenate([[0.0], years]))
    offset = pm.Normal("poll_drift_offset", 0.0, 1.0, dims=(POLL_PERIOD, dims.PARTY))
    walk = pt.cumsum(sigma * np.sqrt(steps)[:, None] * offset, axis=0)
    return pm.Deterministic("poll_drift", walk, dims=(POLL_PERIOD, dims.PARTY))
