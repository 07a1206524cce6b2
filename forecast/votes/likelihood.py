"""Past elections seen through their own lists: lineage, national results, the likelihood.

A past list's expected share in a province is a mixture of the target lists' supports: where
the lineage (uncertain, logistic-normal) says its voters went, turned round by Bayes' rule with
each past list's national weight. National results are the provinces' weighted by electorate
and modelled turnout. Reported votes enter as one Dirichlet-multinomial potential, conditional
on the total of the lists reported.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from forecast import dims
from forecast.data.lineage import SOURCE

__all__ = ["national_shares", "past_shares", "vote_likelihood"]

VOTES_DATA = "vote_counts"
NEG = -1.0e3  # logit of an impossible lineage destination: exp underflows to exactly 0


def past_shares(model: pm.Model, support, lineages: list[xr.Dataset], past: list[str]):
    """Add the past elections' shares by their own lists; return them (election, province, source).

    Each election's are kept as ``past_share_{election}`` (province, ``source_{election}``).
    """
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
    return past_share


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


def national_shares(
    data: xr.Dataset,
    electorate: dict[str, np.ndarray],
    past: list[str],
    turnout_past,
    past_share,
    kappa,
):
    """Add the national concentrations; return the national shares (election, source) and them.

    National shares weight the provinces by ``electorate`` (election -> province weights) and
    modelled turnout (``turnout_past``: past election, province) where the province voted.
    """
    voted = np.stack([data["voted"].sel({dims.ELECTION: e}).values for e in past])
    electorate = np.stack([electorate[e] for e in past]) * voted
    w = electorate * turnout_past
    w = w / pt.sum(w, axis=1, keepdims=True)
    national_share = pt.sum(w[:, :, None] * past_share, axis=1)
    # A national result is the sum of its provinces' results, each with the election's
    # province-level noise. The national Dirichlet's concentration matches the total variance
    # of that weighted sum over the lists: exact (kappa / sum(w^2), about 9 kappa for 18
    # provinces) when a list's share is the same everywhere, and still the sum's own variance
    # when lists are strong in a few provinces only. A free concentration of its own, seen in
    # two national rows, was a funnel for the sampler.
    spread = pt.sum(national_share * (1.0 - national_share), axis=-1)
    province_var = pt.sum(w[:, :, None] ** 2 * past_share * (1.0 - past_share), axis=(1, 2))
    kappa_national = pm.Deterministic(
        "kappa_national",
        (kappa[: len(past)] + 1.0) * spread / province_var - 1.0,
        dims="past_election",
    )
    return national_share, kappa_national


def vote_likelihood(
    obs: dict[str, np.ndarray], past_share, national_share, kappa, kappa_national, n_past: int
) -> None:
    """Add the potential ``votes``: the reported lists' counts in every observed row.

    ``obs`` is the stacked table of observed rows (``row``, ``counts``, ``mask``,
    ``kappa_index``); ``kappa`` has one concentration per vote election, the first ``n_past``
    the past elections'.
    """
    # The pooled small lists count in the rest, not one by one: every row's listed columns
    # exclude the last source.
    if len(obs["row"]):
        table = pt.concatenate(
            [past_share.reshape((-1, past_share.shape[-1])), national_share], axis=0
        )
        shares = _with_rest(table[obs["row"]][:, :-1], obs["mask"])
        row_kappa = pt.concatenate([kappa[:n_past], kappa_national])[obs["kappa_index"]]
        # a named data container, so that simulation-based calibration can swap in simulated votes
        counts = pm.Data(VOTES_DATA, obs["counts"])
        pm.Potential("votes", _dm_conditional_logp(counts, obs["mask"], shares, row_kappa))


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
    n = pt.sum(counts, axis=-1)
    const = pt.sum(pt.gammaln(n + 1)) - pt.sum(pt.where(mask, pt.gammaln(counts + 1), 0.0))
    sel = pt.where(mask, shares, 0.0)
    alpha = kappa[:, None] * sel / pt.sum(sel, axis=-1, keepdims=True)
    alpha_safe = pt.where(mask, alpha, 1.0)
    per_list = pt.where(mask, pt.gammaln(counts + alpha_safe) - pt.gammaln(alpha_safe), 0.0)
    return const + pt.sum(pt.gammaln(kappa) - pt.gammaln(n + kappa) + pt.sum(per_list, axis=-1))
