"""Does the geography bind? Median district seats where a list's communities hardly live.

A list whose ``community_base`` names only communities that are a sliver of a province's
people should win nothing there; a forecast that gives it a median seat there has let its
support spread beyond where its voters live. Only provinces whose shares of every base
community are published numbers can be checked; the others are listed as unchecked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec

__all__ = ["MIN_BASE_SHARE", "base_shares", "seats_outside_base"]

MIN_BASE_SHARE = 0.02  # a base under 2% of a province's people


def base_shares(data: xr.Dataset, spec: ForecastSpec) -> xr.DataArray:
    """Share of each province's people in each list's base communities (province, party).

    NaN where a base community's share is not a published number, and for lists without a
    ``community_base`` (they may win anywhere).
    """
    shares = data["community_share"]
    known = list(shares[dims.COMMUNITY].values)
    out = np.full((shares.sizes[dims.PROVINCE], len(spec.party)), np.nan)
    for j, party in enumerate(spec.party):
        base = [c for c, w in party.community_base.items() if w > 0]
        if base and all(c in known for c in base):
            out[:, j] = shares.sel({dims.COMMUNITY: base}).sum(dims.COMMUNITY, skipna=False)
    coords = {dims.PROVINCE: shares[dims.PROVINCE].values, dims.PARTY: spec.party_ids}
    return xr.DataArray(out, coords=coords, dims=(dims.PROVINCE, dims.PARTY))


def seats_outside_base(
    seats: xr.Dataset, data: xr.Dataset, spec: ForecastSpec, bound: float = MIN_BASE_SHARE
) -> dict[str, Any] | None:
    """Median district seats of lists in provinces where their base is under ``bound``.

    Returns ``bound``, ``breaches`` (province, party, base share, median seats: a median seat
    where the base is known to be under the bound) and ``unchecked`` (a median seat where the
    base share is not known), or None when the spec has no community shares.
    """
    if "community_share" not in data or not any(p.community_base for p in spec.party):
        return None
    median = seats["district_seats"].median(dims.SAMPLE).reindex({dims.PARTY: spec.party_ids})
    share = base_shares(data, spec).sel({dims.PROVINCE: median[dims.PROVINCE].values})
    breaches, unchecked = [], []
    for p, j in zip(*np.nonzero(median.values >= 1), strict=True):
        if not spec.party[j].community_base:
            continue
        cell = {
            "province": str(median[dims.PROVINCE].values[p]),
            "party": spec.party_ids[j],
            "seats_median": float(median.values[p, j]),
        }
        base = float(share.values[p, j])
        if np.isnan(base):
            unchecked.append(cell)
        elif base < bound:
            breaches.append({**cell, "base_share": round(base, 4)})
    return {"bound": bound, "breaches": breaches, "unchecked": unchecked}
