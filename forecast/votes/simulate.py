"""``simulate_votes``: posterior predictive votes and turnout of the target election.

Each sample takes one posterior draw of the target's turnout and list support by province, draws
valid votes from turnout x registered voters, and draws the list votes from a
Dirichlet-multinomial around the support with the concentration learned from past elections:
the national swing is shared by every province (it is inside the support), the province noise is
not.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.errors import SpecError
from forecast.votes.diagnostics import stack_samples

__all__ = ["simulate_votes", "target_electorate"]


def target_electorate(data: xr.Dataset, spec: ForecastSpec) -> xr.DataArray:
    """Return the registered voters per province of the target election.

    From the target folder's ``electorate.csv`` where complete, else the spec's national
    ``electorate`` spread over provinces in proportion to district magnitude (seats apportioned
    by population, as in Iraq's 2009 law).

    Returns
    -------
    xr.DataArray, dims (province,)
    """
    target = data.sel({dims.ELECTION: data.attrs["target_election"]})
    registered = target["registered"]
    if bool(np.isfinite(registered).all()):
        return registered.astype(float)
    if spec.election.electorate is None:
        raise SpecError(
            "registered voters of the target election are unknown in some provinces; give the "
            "national figure as election.electorate (with electorate_source)",
            file=spec.source_file,
            where="key 'election.electorate'",
        )
    magnitude = target["magnitude"]
    out = spec.election.electorate * magnitude / magnitude.sum()
    out.attrs["note"] = (
        f"national electorate spread by district magnitude ({spec.election.electorate_source})"
    )
    return out


def simulate_votes(
    posterior: xr.DataTree,
    data: xr.Dataset,
    spec: ForecastSpec,
    *,
    seed: int,
    samples: int | None = None,
) -> xr.Dataset:
    """Draw the target election's votes.

    Parameters
    ----------
    posterior : xr.DataTree
        From :func:`forecast.votes.fit.fit_model`; needs ``share`` (chain, draw, province, party),
        ``turnout`` (chain, draw, province) and ``kappa_target`` (chain, draw).
    data : xr.Dataset
        ElectionData.
    spec : ForecastSpec
        The spec (electorate).
    seed : int
        Seed of the predictive draws.
    samples : int, optional
        Number of samples; posterior draws are resampled with replacement when more are asked
        for than the posterior holds. Defaults to ``spec.sampler.samples``.

    Returns
    -------
    xr.Dataset
        VoteDraws: ``votes`` (sample, province, party) int32 (int64 if a count does not fit;
        half the memory the seat allocation reads), ``valid_votes`` (sample, province) int64,
        ``turnout`` (sample, province); attrs ``sample_dims``.
    """
    rng = np.random.default_rng(seed)
    post = stack_samples(posterior["posterior"].to_dataset()[["share", "turnout", "kappa_target"]])
    n = samples or spec.sampler.samples
    pick = rng.choice(post.sizes[dims.SAMPLE], size=n, replace=n > post.sizes[dims.SAMPLE])
    post = post.isel({dims.SAMPLE: pick})
    share = post["share"].transpose(dims.SAMPLE, dims.PROVINCE, dims.PARTY).values
    turnout = post["turnout"].transpose(dims.SAMPLE, dims.PROVINCE).values
    kappa = post["kappa_target"].values
    registered = target_electorate(data, spec).values
    # At least one valid vote where an election is held (the lists' own candidates vote): a
    # draw of near-zero turnout (a boycott repeated) would otherwise leave a district with
    # seats and no votes, which no law can allocate.
    valid = np.maximum(rng.binomial(np.round(registered).astype(np.int64)[None, :], turnout), 1)
    # Dirichlet-multinomial through gamma draws: vectorised over sample and province.
    gam = rng.gamma(np.maximum(kappa[:, None, None] * share, 1e-12))
    p = gam / gam.sum(axis=-1, keepdims=True)
    votes = rng.multinomial(valid, p)
    coords = {
        dims.SAMPLE: np.arange(n),
        dims.PROVINCE: data[dims.PROVINCE].values,
        dims.PARTY: spec.party_ids,
    }
    out = xr.Dataset(
        {
            "votes": (
                (dims.SAMPLE, dims.PROVINCE, dims.PARTY),
                votes.astype(np.int32 if votes.max(initial=0) < 2**31 else np.int64),
            ),
            "valid_votes": ((dims.SAMPLE, dims.PROVINCE), valid.astype(np.int64)),
            "turnout": ((dims.SAMPLE, dims.PROVINCE), turnout),
        },
        coords=coords,
        attrs={"sample_dims": [dims.SAMPLE], "seed": seed},
    )
    return dims.check(out, "VoteDraws")
