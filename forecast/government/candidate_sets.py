"""Every coalition each past formation could have produced, with the formation model's features.

For a formation with ``n`` actors (``forecast.government.parlgov.formation_actors``) the
candidates are all ``2**n - 1`` non-empty coalitions of them, as in Martin & Stevenson (2001).
Each carries the terms ``forecast.government.formation`` weighs, computed the same way: minority
(no absolute majority of the whole house), minimal winning (a majority that every member is
needed for), number of parties, holds the largest party, ideological range (max - min left-right
of its placed members), and incumbent (exactly the actors of the cabinet in office on election
day). ``formed`` marks the coalition of the actors that entered the cabinet.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.dims import COALITION, PARTY
from forecast.government.candidates import mask_members
from forecast.government.parlgov import FORMATION

__all__ = ["TERM", "TERMS", "candidate_sets"]

TERM = "term"
TERMS = ("minority", "minimal_winning", "n_parties", "largest", "range", "incumbent")


def _range(members: np.ndarray, left_right: np.ndarray) -> np.ndarray:
    """Left-right range of each coalition's placed members (coalition, formation); 0 if < 2."""
    placed = np.isfinite(left_right)[:, None, :] & members[None, :, :]
    pos = np.where(np.isfinite(left_right), left_right, 0.0)[:, None, :]
    hi = np.where(placed, pos, -np.inf).max(axis=2)
    lo = np.where(placed, pos, np.inf).min(axis=2)
    return np.where(placed.any(axis=2), hi - lo, 0.0).T


def _group_features(group: xr.Dataset, n: int) -> dict[str, np.ndarray]:
    """Features of every coalition of the formations with ``n`` actors: (coalition, formation)."""
    members = mask_members(np.arange(1, 1 << n), n)  # (coalition, actor)
    seats = group["seats"].values[:, :n]
    held = members.astype(np.int64) @ seats.T
    quota = group["seats_total"].values // 2 + 1
    majority = held >= quota
    smallest = np.where(members[:, None, :], seats[None, :, :], np.iinfo(np.int64).max).min(axis=2)
    previous = group["in_previous"].values[:, :n]
    incumbent = (members[:, None, :] == previous[None, :, :]).all(axis=2) & previous.any(axis=1)
    cabinet = group["in_cabinet"].values[:, :n]
    shape = held.shape
    return {
        "minority": ~majority,
        "minimal_winning": majority & (held - smallest < quota),
        "n_parties": np.broadcast_to(members.sum(axis=1)[:, None], shape),
        "largest": np.broadcast_to(members[:, :1], shape),
        "range": _range(members, group["left_right"].values[:, :n]),
        "incumbent": incumbent & group["has_previous"].values,
        "formed": (members[:, None, :] == cabinet[None, :, :]).all(axis=2),
        "mask": np.broadcast_to(np.arange(1, 1 << n)[:, None], shape),
    }


def candidate_sets(actors: xr.Dataset) -> xr.Dataset:
    """Enumerate each formation's candidate governments with their features.

    Parameters
    ----------
    actors : xr.Dataset
        ``formation_actors`` output, dims (formation, party).

    Returns
    -------
    xr.Dataset
        ``x`` with dims (coalition, term): the ``TERMS`` features; ``formed`` (coalition) bool,
        exactly one per formation; ``mask`` (coalition): the members as a bitmask over the
        formation's actor slots; non-index coord ``formation_id`` (coalition): the cabinet id.
        Candidates of a formation are contiguous, in the formations' order, by mask.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> actors = xr.Dataset(
    ...     {"seats": (("formation", "party"), [[50, 30, 20]]),
    ...      "left_right": (("formation", "party"), [[3.0, 6.0, np.nan]]),
    ...      "in_cabinet": (("formation", "party"), [[True, False, True]]),
    ...      "in_previous": (("formation", "party"), [[True, True, False]]),
    ...      "present": (("formation", "party"), [[True, True, True]]),
    ...      "seats_total": ("formation", [100]), "has_previous": ("formation", [True])},
    ...     coords={"formation": [7]})
    >>> int(candidate_sets(actors)["mask"][candidate_sets(actors)["formed"]].item())
    5
    """
    n_actor = actors["present"].sum(PARTY).values
    parts = {}
    for n in np.unique(n_actor):
        group = actors.isel({FORMATION: np.flatnonzero(n_actor == n)})
        parts[int(n)] = (group[FORMATION].values, _group_features(group, int(n)))
    order = {f: i for i, f in enumerate(actors[FORMATION].values)}
    pieces = []
    for ids, feats in parts.values():
        for j, f in enumerate(ids):
            pieces.append((order[f], f, {k: v[:, j] for k, v in feats.items()}))
    pieces.sort(key=lambda p: p[0])
    cat = {k: np.concatenate([p[2][k] for p in pieces]) for k in pieces[0][2]}
    formation = np.concatenate([np.full(len(p[2]["mask"]), p[1]) for p in pieces])
    x = np.stack([cat[t].astype(np.float64) for t in TERMS], axis=1)
    if not (np.bincount(np.unique(formation, return_inverse=True)[1], cat["formed"]) == 1).all():
        raise ValueError("every formation needs exactly one formed candidate")
    return xr.Dataset(
        {
            "x": ((COALITION, TERM), x),
            "formed": ((COALITION,), cat["formed"]),
            "mask": ((COALITION,), cat["mask"].astype(np.int64)),
        },
        coords={TERM: list(TERMS), "formation_id": ((COALITION,), formation)},
    )
