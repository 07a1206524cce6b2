"""``build_model``: the PyMC graph of turnout and vote share by province.

Vote share lives in the space of the *target* election's lists. In every election, each province
has a latent support for the target lists, softmax(national level + province effect). Past
elections are observed through their own lists: the spec's lineage says where each past list's
voters go, and Bayes' rule (with each past list's national weight) turns that into where each
target list's voters came from, so a past list's expected share is a mixture of target supports.
Mergers (Iraqiya) and splits (the UIA into State of Law and the INA) are thus part of the
likelihood, with their uncertainty. Turnout is a logit-linear model of province, election and
community effects, so that a community-wide boycott moves every province where it lives; and a
province's vote is cast by its voters, each community weighed by its own turnout there.

This module gathers the arrays the graph is built from and composes its blocks: the latent
ones in ``forecast.votes.blocks``, the past elections' likelihood in ``forecast.votes.likelihood``.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import xarray as xr

from forecast import dims
from forecast.data.lineage import SOURCE, lineage_elections, lineage_weights
from forecast.data.spec import ForecastSpec
from forecast.votes.blocks import (
    VOTE_ELECTION,
    community_mix,
    concentration,
    list_support,
    turnout,
)
from forecast.votes.likelihood import national_shares, past_shares, vote_likelihood
from forecast.votes.polls import poll_evidence, poll_likelihood

__all__ = ["best_measured", "build_model", "model_inputs", "observed_cells", "vote_observations"]


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
    # complete (apportioned by electorate: Dec 2005 by registered voters), else the target's
    # (its registered voters when its law apportions the seats by votes, after the vote).
    kinds = {e.id: e.kind for e in spec.evidence}
    fallback = data["magnitude"].sel({dims.ELECTION: target}).values
    if not np.isfinite(fallback).all():
        fallback = data["registered"].sel({dims.ELECTION: target}).values
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
        # where each vote election (the past ones, then the target) sits on the election axis
        "vote_rows": np.array([list(data[dims.ELECTION].values).index(e) for e in steps]),
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


def vote_observations(data: xr.Dataset, spec: ForecastSpec) -> dict[str, np.ndarray]:
    """Return the stacked table of observed vote rows the likelihood holds (``_stacked_counts``)."""
    inp = model_inputs(data, spec)
    past = inp["vote_elections"]
    lineages = [inp["lineage"][e] for e in past]
    return _stacked_counts(data, past, lineages, data.sizes[dims.PROVINCE])


def best_measured(obs: dict[str, np.ndarray], n_past: int) -> int:
    """Return the past election with the most observed vote cells (province and national rows).

    Ties go to the latest: a more recent election is closer to the target.
    """
    election = obs["kappa_index"] % n_past  # national rows are indexed n_past + election
    cells = np.bincount(election, weights=obs["mask"].sum(axis=1), minlength=n_past)
    return int(n_past - 1 - np.argmax(cells[::-1]))


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
    past = inp["vote_elections"]
    communities = inp["communities"]
    lineages = [inp["lineage"][e] for e in past]
    obs = vote_observations(data, spec)
    # Every parameter is valid by construction (scales are positive through their transforms),
    # so PyMC's parameter checks would only cost time in each gradient.
    with pm.Model(coords=_coords(data, spec, inp), check_bounds=False) as model:
        # who lives where: each province's community mix (latent where unknown)
        mix = community_mix(data, spec, communities) if communities else None
        turnout_all, voters = turnout(spec, inp["turnout_obs"], communities, mix)
        at = inp["vote_rows"]
        if voters is not None:  # the vote elections' voters: the past ones, then the target
            voters = voters[at]
        # vote share in target-list space, and its province-level noise; the target's published
        # polls, where the spec names them, measure it (forecast.votes.polls)
        polls = poll_evidence(data, spec)
        support = list_support(
            spec,
            inp["step_years"],
            inp["other_kind"],
            communities,
            voters,
            anchor=best_measured(obs, len(past)),
            polled=polls is not None,
        )
        kappa = concentration(spec.priors, obs["kappa_index"], len(past))
        # past elections seen through their own lists, by province and nationally
        past_share = past_shares(model, support, lineages, past)
        national_share, kappa_national = national_shares(
            data, inp["electorate"], past, turnout_all[at[:-1]], past_share, kappa
        )
        vote_likelihood(obs, past_share, national_share, kappa, kappa_national, len(past))
        if polls is not None:
            poll_likelihood(model, polls, spec, support[-1], turnout_all[-1])
    return model


def _coords(data: xr.Dataset, spec: ForecastSpec, inp: dict[str, object]) -> dict[str, object]:
    """Return the model's coords: provinces, target lists, elections, and the vote elections."""
    vote_elections = [*inp["vote_elections"], spec.election.id]
    coords = {
        dims.PROVINCE: data[dims.PROVINCE].values,
        dims.PARTY: spec.party_ids,
        dims.ELECTION: data[dims.ELECTION].values,
        VOTE_ELECTION: vote_elections,
        "past_election": inp["vote_elections"],
        "past_step": vote_elections[1:-1],
    }
    if inp["communities"]:
        coords[dims.COMMUNITY] = inp["communities"]
    return coords
