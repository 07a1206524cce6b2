"""Baselines of a backtest: vote draws a forecast without the model would give.

``carry_forward`` (:func:`carry_forward_votes`, a point forecast): each province keeps the list
shares of the most recent evidence election with lineage rows and results there (its votes in
that province; else, where it was held there, its national totals), carried to the target lists
by the lineage rows at their mean shares (past lists without a row, and votes of unreported
lists, go to the pooled list); valid votes are the target electorate times the province's latest
known turnout (else the mean over provinces). ``uniform_swing`` (:func:`uniform_swing_votes`, a
distribution): in each posterior predictive sample, each list's national share in the model
minus its carry-forward national share is added to every province's carry-forward share
(clipped at 0, renormalised). Both return VoteDraws; the backtest gives them seats by the spec's
law and governments from the same coalition and formation stages as the model, with its seeds.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.lineage import lineage_elections
from forecast.data.spec import ForecastSpec
from forecast.errors import SpecError
from forecast.votes.simulate import target_electorate

__all__ = ["carry_forward_votes", "uniform_swing_votes"]


def _past_shares(data: xr.Dataset, election: str) -> tuple[np.ndarray, np.ndarray]:
    """Each province's list shares in a past election (province, party), NaN rows where it has none.

    A province's own votes where the election reports them; else the election's national shares
    where it was held there (``voted``; everywhere when it reported no province votes at all).
    Shares are of valid votes where they are known and cover the reported lists, else of the
    reported lists' votes. The second array (province,) is the share of lists not reported.
    """
    d = data.sel({dims.ELECTION: election})
    votes = d["votes"].transpose(dims.PROVINCE, dims.PARTY).values
    own = np.isfinite(votes).any(axis=1)
    national = d["national_votes"].values
    by_nation = ~own & (d["voted"].values | ~own.any()) & np.isfinite(national).any()
    votes = np.where(own[:, None], np.nan_to_num(votes), np.nan_to_num(national))
    valid = np.where(own, d["valid_votes"].values, float(d["national_valid"]))
    reported = votes.sum(axis=1)
    base = np.where(np.isfinite(valid) & (valid >= reported), valid, reported)
    has = (own | by_nation) & (base > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(has[:, None], votes / base[:, None], np.nan)
        rest = np.where(has, 1 - reported / base, np.nan)
    return shares, rest


def _lineage_matrix(
    data: xr.Dataset, spec: ForecastSpec, election: str, pool: str | None
) -> np.ndarray:
    """(past party, target party): lineage mean shares; lists without a row go to the pool."""
    targets = spec.party_ids
    past = [str(p) for p in data[dims.PARTY].values]
    out = np.zeros((len(past), len(targets)))
    if pool is not None:
        out[:, targets.index(pool)] = 1.0
    for row in spec.lineage:
        if row.election == election and row.source in past:
            i = past.index(row.source)
            out[i] = 0.0
            for target, w in row.shares.items():
                out[i, targets.index(target)] = w
    return out


def _latest_turnout(data: xr.Dataset, spec: ForecastSpec) -> np.ndarray:
    """Each province's latest known turnout in the evidence (else the mean of the others)."""
    latest = np.full(data.sizes[dims.PROVINCE], np.nan)
    for e in sorted(spec.evidence, key=lambda e: e.date):
        d = data.sel({dims.ELECTION: e.id})
        rate = (d["turnout_pct"] / 100).fillna(d["valid_votes"] / d["registered"]).values
        latest = np.where(np.isfinite(rate), rate, latest)
    if not np.isfinite(latest).any():
        raise SpecError(
            "no evidence election gives a turnout: the carry-forward baseline needs one",
            file=spec.source_file,
            where="key 'evidence'",
        )
    return np.where(np.isfinite(latest), latest, np.nanmean(latest))


def _vote_draws(
    votes: np.ndarray, registered: np.ndarray, data: xr.Dataset, spec: ForecastSpec
) -> xr.Dataset:
    """VoteDraws from integer votes (sample, province, party); valid votes are their sums."""
    valid = votes.sum(axis=-1)
    return dims.check(
        xr.Dataset(
            {
                "votes": ((dims.SAMPLE, dims.PROVINCE, dims.PARTY), votes),
                "valid_votes": ((dims.SAMPLE, dims.PROVINCE), valid),
                "turnout": ((dims.SAMPLE, dims.PROVINCE), valid / registered),
            },
            coords={
                dims.SAMPLE: np.arange(votes.shape[0]),
                dims.PROVINCE: data[dims.PROVINCE].values,
                dims.PARTY: spec.party_ids,
            },
            attrs={"sample_dims": [dims.SAMPLE]},
        ),
        "VoteDraws",
    )


def carry_forward_votes(data: xr.Dataset, spec: ForecastSpec) -> xr.Dataset:
    """Draw the carry-forward baseline's votes: one sample (see the module docstring).

    Parameters
    ----------
    data : xr.Dataset
        ElectionData, dims (election, province, party).
    spec : ForecastSpec
        Lineage rows, lists, pooled list, evidence and electorate.

    Returns
    -------
    xr.Dataset
        VoteDraws with one sample: ``votes`` (sample, province, party), ``valid_votes`` and
        ``turnout`` (sample, province).
    """
    pools = [p for p in spec.law.pooled if p in spec.party_ids]
    pool = pools[0] if pools else None
    n_province = data.sizes[dims.PROVINCE]
    shares = np.full((n_province, len(spec.party_ids)), np.nan)
    for election in reversed(lineage_elections(spec)):  # most recent first
        past, rest = _past_shares(data, election)
        todo = np.isnan(shares).all(axis=1) & np.isfinite(past).any(axis=1)
        carried = np.nan_to_num(past) @ _lineage_matrix(data, spec, election, pool)
        if pool is not None:  # votes of lists the election did not report
            carried[:, spec.party_ids.index(pool)] += np.nan_to_num(rest)
        shares[todo] = carried[todo]
    missing = np.isnan(shares).all(axis=1)
    if missing.any():
        province = str(data[dims.PROVINCE].values[np.argmax(missing)])
        raise SpecError(
            f"no evidence election with lineage rows has results in province '{province}': the "
            "carry-forward baseline has nothing to carry",
            file=spec.source_file,
            where="key 'lineage'",
        )
    shares = shares / shares.sum(axis=1, keepdims=True)
    registered = target_electorate(data, spec).values
    valid = registered * _latest_turnout(data, spec)
    votes = np.rint(shares * valid[:, None]).astype(np.int64)
    return _vote_draws(votes[None], registered, data, spec)


def uniform_swing_votes(
    model: xr.Dataset, base: xr.Dataset, data: xr.Dataset, spec: ForecastSpec
) -> xr.Dataset:
    """Draw the uniform-swing baseline's votes: the model's national swing on the carry-forward map.

    Parameters
    ----------
    model : xr.Dataset
        The model's VoteDraws, dims (sample, province, party).
    base : xr.Dataset
        The carry-forward VoteDraws (one sample).
    data : xr.Dataset
        ElectionData (provinces, electorate).
    spec : ForecastSpec
        Lists and electorate.

    Returns
    -------
    xr.Dataset
        VoteDraws with the model's samples; valid votes are the carry-forward ones.
    """
    national = model["votes"].sum(dims.PROVINCE) / model["valid_votes"].sum(dims.PROVINCE)
    b = base.isel({dims.SAMPLE: 0}, drop=True)
    b_share = b["votes"] / b["valid_votes"]
    b_national = b["votes"].sum(dims.PROVINCE) / b["valid_votes"].sum(dims.PROVINCE)
    share = (b_share + (national - b_national)).clip(min=0)
    share = share / share.sum(dims.PARTY)
    votes = (share * b["valid_votes"]).round().transpose(dims.SAMPLE, dims.PROVINCE, dims.PARTY)
    registered = target_electorate(data, spec).values
    return _vote_draws(votes.values.astype(np.int64), registered, data, spec)
