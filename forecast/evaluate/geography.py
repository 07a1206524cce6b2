"""Does the geography bind? Median district seats where a list's communities hardly live.

A list whose ``community_base`` names only communities that are a sliver of a province's
people should win nothing there; a forecast that gives it a median seat there has let its
support spread beyond where its voters live. A seat is cleared when the published shares of
its list's base communities reach the bound, or a label names one of them as the province's
own; it is a breach when every base community's share is a number and they fall short; else
it is listed as unchecked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec

__all__ = ["MIN_BASE_SHARE", "base_shares", "seats_outside_base"]

MIN_BASE_SHARE = 0.02  # a base under 2% of a province's people


def base_shares(data: xr.Dataset, spec: ForecastSpec) -> xr.Dataset:
    """Return what is known of the people in each list's base communities (province, party).

    ``share``: the sum of the base communities' published shares (unknown ones count 0, so it
    is a lower bound); ``complete``: every base community's share is a number; ``labelled``:
    the province's qualitative label names a base community (it dominates there). Lists
    without a ``community_base`` have share NaN (they may win anywhere).
    """
    shares = data["community_share"]
    label = shares["majority_community"].values
    shape = (shares.sizes[dims.PROVINCE], len(spec.party))
    share, complete, labelled = np.full(shape, np.nan), np.zeros(shape, bool), np.zeros(shape, bool)
    for j, party in enumerate(spec.party):
        base = [c for c, w in party.community_base.items() if w > 0]
        if not base:
            continue
        cells = shares.reindex({dims.COMMUNITY: base}).values  # absent communities: NaN
        share[:, j] = np.nansum(cells, axis=1)
        complete[:, j] = np.isfinite(cells).all(axis=1)
        labelled[:, j] = np.isin(label, base)
    pair = (dims.PROVINCE, dims.PARTY)
    coords = {dims.PROVINCE: shares[dims.PROVINCE].values, dims.PARTY: spec.party_ids}
    return xr.Dataset(
        {"share": (pair, share), "complete": (pair, complete), "labelled": (pair, labelled)},
        coords=coords,
    )


def seats_outside_base(
    seats: xr.Dataset, data: xr.Dataset, spec: ForecastSpec, bound: float = MIN_BASE_SHARE
) -> dict[str, Any] | None:
    """Median district seats of lists in provinces where their base is under ``bound``.

    Returns ``bound``, ``breaches`` (province, party, base share, median seats: a median seat
    where the base communities' published shares add up to less than the bound) and
    ``unchecked`` (a median seat where the known shares fall short of the bound but some base
    community's share is not a number and no label names it), or None when the spec has no
    community shares.
    """
    if "community_share" not in data or not any(p.community_base for p in spec.party):
        return None
    median = seats["district_seats"].median(dims.SAMPLE).reindex({dims.PARTY: spec.party_ids})
    base = base_shares(data, spec).sel({dims.PROVINCE: median[dims.PROVINCE].values})
    enough = (base["share"] >= bound) | base["labelled"]
    breaches, unchecked = [], []
    for p, j in zip(*np.nonzero(median.values >= 1), strict=True):
        if not spec.party[j].community_base or bool(enough.values[p, j]):
            continue
        cell = {
            "province": str(median[dims.PROVINCE].values[p]),
            "party": spec.party_ids[j],
            "seats_median": float(median.values[p, j]),
        }
        if base["complete"].values[p, j]:
            breaches.append({**cell, "base_share": round(float(base["share"].values[p, j]), 4)})
        else:
            unchecked.append(cell)
    return {"bound": bound, "breaches": breaches, "unchecked": unchecked}
