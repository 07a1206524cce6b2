"""Governments at the level a reader thinks in: the core of the government drawn in each sample.

Candidate governments that differ only by a one- or two-seat list split the probability of what
is in substance one government. The *core* of a government is its lists holding at least
``coalitions.core_share`` of its seats; every sample's drawn government has exactly one core, so
the cores partition the samples and their probabilities sum to 1. Beside them: the probability
that each list sits in government (over the formation probabilities, so without the noise of one
draw per sample).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.dims import PARTY, SAMPLE

__all__ = ["CORE", "government_cores"]

CORE = "core"  # the cores of the drawn governments, likeliest first


def _codes(rows: np.ndarray) -> np.ndarray:
    """Code each boolean row (sample, actor) as one integer (a bit per actor)."""
    if rows.shape[1] > 62:
        raise ValueError(f"cores are coded on 62 actors at most, got {rows.shape[1]}")
    return rows.astype(np.int64) @ (np.int64(1) << np.arange(rows.shape[1], dtype=np.int64))


def government_cores(table: xr.Dataset, *, core_share: float) -> xr.Dataset:
    """Give the core of each sample's drawn government and the chance of each core and list.

    Parameters
    ----------
    table : xr.Dataset
        ``CoalitionTable`` after formation: ``members`` (coalition, party), ``actor_seats``
        (sample, party), ``formed`` (sample), ``p_form`` (coalition).
    core_share : float
        A member is in the core when it holds at least this share of the government's seats.

    Returns
    -------
    xr.Dataset
        ``core_members`` (core, party), ``p_core`` (core; sums to 1), ``core_seats``
        (sample): the core's seats in each sample, ``core_of_sample`` (sample): index of
        the sample's core, and ``p_in_government`` (party).

    Examples
    --------
    >>> from forecast.government.coalitions import score_coalitions
    >>> from forecast.government.formation import predict_formation
    >>> from forecast.testing import toy_seat_draws, toy_spec
    >>> spec = toy_spec()
    >>> table = score_coalitions(toy_seat_draws(50, {"alpha": 45, "beta": 35, "gamma": 20}), spec)
    >>> cores = government_cores(predict_formation(table, spec, seed=1), core_share=0.1)
    >>> round(float(cores["p_core"].sum()), 6)
    1.0
    """
    if "formed" not in table:
        raise ValueError("the coalition table has no drawn government: run predict_formation")
    members = table["members"].values
    w = table["actor_seats"].values
    gov = members[table["formed"].values]  # (sample, actor)
    held = w * gov
    total = held.sum(axis=1, keepdims=True)
    core = gov & (held >= core_share * total)
    _, first, inverse, counts = np.unique(
        _codes(core), return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(-counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    actors = [str(p) for p in table[PARTY].values]
    core_rows = core[first[order]]
    labels = ["+".join(sorted(np.asarray(actors)[row])) for row in core_rows]
    p_in = table["p_form"].values @ members
    return xr.Dataset(
        {
            "core_members": ((CORE, PARTY), core_rows),
            "p_core": ((CORE,), counts[order] / len(gov)),
            "core_seats": ((SAMPLE,), (w * core).sum(axis=1).astype(np.int64)),
            "core_of_sample": ((SAMPLE,), rank[inverse.ravel()]),
            "p_in_government": ((PARTY,), p_in),
        },
        coords={CORE: labels, PARTY: table[PARTY].values},
        attrs={
            "core_share": core_share,
            "core_rule": (
                "the members of the drawn government holding at least core_share of its seats"
            ),
        },
    )
