"""List lineage: how the voters of each past list feed the target election's lists.

The spec gives, for a past list, the expected shares of its voters going to each target list and
a Dirichlet concentration. Here they become arrays over ``(party_source, party)`` for one past
election. Past lists without a lineage row feed ``other``. Each past election also gets an
``_unlisted`` source (lists never reported anywhere), fed evenly by every target list, so that a
target list with no predecessor in that election (Gorran in the 2009 provincial vote, which the
Kurdistan Region did not hold) is simply unobserved there rather than forced onto another list.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast import dims
from forecast.errors import SpecError
from forecast.spec import ForecastSpec

__all__ = ["UNLISTED", "lineage_elections", "lineage_weights"]

UNLISTED = "_unlisted"
SOURCE = "party_source"
# National weight of the never-reported lists, as a fraction of the reported vote: small, so it
# only matters for target lists with no other predecessor.
UNLISTED_WEIGHT = 0.01


def lineage_elections(spec: ForecastSpec) -> list[str]:
    """Past elections whose list votes inform vote share: those with lineage rows, by date."""
    linked = {r.election for r in spec.lineage}
    return [e.id for e in sorted(spec.evidence, key=lambda e: e.date) if e.id in linked]


def past_lists(data: xr.Dataset, election: str) -> list[str]:
    """Lists that stood in a past election (by province or nationally)."""
    d = data.sel({dims.ELECTION: election})
    stood = d["contested"].any(dims.PROVINCE).values | np.isfinite(d["national_votes"].values)
    return [str(p) for p, s in zip(data[dims.PARTY].values, stood, strict=True) if s]


def lineage_weights(data: xr.Dataset, spec: ForecastSpec, election: str) -> xr.Dataset:
    """Forward lineage of one past election to the target lists.

    Parameters
    ----------
    data : xr.Dataset
        ElectionData, dims (election, province, party).
    spec : ForecastSpec
        Supplies the ``[[lineage]]`` rows and the target lists.
    election : str
        A past election id.

    Returns
    -------
    xr.Dataset
        ``share_mean`` (party_source, party): expected share of each past list's voters going
        to each target list, rows summing to 1; ``share_scale`` (party_source, party): the
        standard deviation, on the log scale, of a logistic-normal matched to the Dirichlet
        variance ``w (1 - w) / (c + 1)``, zero where a row has a single destination;
        ``national_weight`` (party_source,): each past list's share of the national vote (its
        national votes where known, else the sum of its reported province votes), used to turn
        forward shares into where each target list's voters came from.
    """
    targets = spec.party_ids
    if "other" not in targets:
        raise SpecError(
            "the target lists need an 'other' list: past lists without a lineage row feed it",
            file=spec.source_file,
            where="key 'party'",
        )
    sources = past_lists(data, election) + [UNLISTED]
    rows = {r.source: r for r in spec.lineage if r.election == election}
    mean = np.zeros((len(sources), len(targets)))
    conc = np.full(len(sources), np.inf)
    for i, src in enumerate(sources):
        if src in rows:
            for tgt, w in rows[src].shares.items():
                mean[i, targets.index(tgt)] = w
            conc[i] = rows[src].concentration
        elif src == UNLISTED:
            mean[i] = 1.0 / len(targets)
        else:
            mean[i, targets.index("other")] = 1.0
    support = mean > 0
    multi = support.sum(axis=1, keepdims=True) > 1
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 / np.sqrt((conc[:, None] + 1.0) * mean * (1.0 - mean))
    scale = np.where(support & multi & np.isfinite(scale), scale, 0.0)

    d = data.sel({dims.ELECTION: election})
    reported = d["votes"].where(d["contested"]).sum(dims.PROVINCE, skipna=True)
    national = d["national_votes"].fillna(reported)
    weight = np.array([float(national.sel({dims.PARTY: s})) for s in sources[:-1]])
    weight = np.append(weight, UNLISTED_WEIGHT * weight.sum())
    weight = weight / weight.sum()
    return xr.Dataset(
        {
            "share_mean": ((SOURCE, dims.PARTY), mean),
            "share_scale": ((SOURCE, dims.PARTY), scale),
            "national_weight": ((SOURCE,), weight),
        },
        coords={SOURCE: sources, dims.PARTY: targets},
        attrs={"election": election},
    )
