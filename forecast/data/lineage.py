"""List lineage: how the voters of each past list feed the target election's lists.

The spec gives, for a past list, the expected shares of its voters going to each target list and
a Dirichlet concentration. Here they become arrays over ``(party_source, party)`` for one past
election. Past lists with a lineage row are modelled one by one; every other list of that
election (small and local lists, and lists never reported) is pooled into one ``_rest`` source,
which feeds ``other`` and every target list that has no predecessor in that election (Gorran in
the 2009 provincial vote, which the Kurdistan Region did not hold). How the pooled votes split
among small local lists says nothing about the target lists, so it is not modelled.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.errors import SpecError

__all__ = ["REST", "SOURCE", "lineage_elections", "lineage_weights"]

REST = "_rest"
SOURCE = "party_source"
# National weight of the pooled lists when the national valid total is unknown, as a fraction of
# the modelled lists' votes: it only matters for target lists fed by both.
REST_WEIGHT = 0.1


def lineage_elections(spec: ForecastSpec) -> list[str]:
    """Past elections whose list votes inform vote share: those with lineage rows, by date."""
    linked = {r.election for r in spec.lineage}
    return [e.id for e in sorted(spec.evidence, key=lambda e: e.date) if e.id in linked]


def past_lists(data: xr.Dataset, spec: ForecastSpec, election: str) -> list[str]:
    """Return the lists of a past election with a lineage row that stood (locally or nationally)."""
    d = data.sel({dims.ELECTION: election})
    stood = d["contested"].any(dims.PROVINCE).values | np.isfinite(d["national_votes"].values)
    rows = {r.source for r in spec.lineage if r.election == election}
    return [
        str(p) for p, s in zip(data[dims.PARTY].values, stood, strict=True) if s and str(p) in rows
    ]


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
        national votes where known, else the sum of its reported province votes; the pooled
        lists get the rest of the national valid total), used to turn forward shares into where
        each target list's voters came from. ``_rest`` feeds ``other`` and the target lists with
        no predecessor in this election, evenly.
    """
    targets = spec.party_ids
    if "other" not in targets:
        raise SpecError(
            "the target lists need an 'other' list: the pooled small lists feed it",
            file=spec.source_file,
            where="key 'party'",
        )
    sources = past_lists(data, spec, election) + [REST]
    rows = {r.source: r for r in spec.lineage if r.election == election}
    mean = np.zeros((len(sources), len(targets)))
    conc = np.full(len(sources), np.inf)
    for i, src in enumerate(sources[:-1]):
        for tgt, w in rows[src].shares.items():
            mean[i, targets.index(tgt)] = w
        conc[i] = rows[src].concentration
    fed = mean[:-1].sum(axis=0) > 0
    orphans = ~fed | (np.array(targets) == "other")
    mean[-1, orphans] = 1.0 / orphans.sum()
    support = mean > 0
    multi = support.sum(axis=1, keepdims=True) > 1
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 / np.sqrt((conc[:, None] + 1.0) * mean * (1.0 - mean))
    scale = np.where(support & multi & np.isfinite(scale), scale, 0.0)

    d = data.sel({dims.ELECTION: election})
    reported = d["votes"].where(d["contested"]).sum(dims.PROVINCE, skipna=True)
    national = d["national_votes"].fillna(reported)
    weight = np.array([float(national.sel({dims.PARTY: s})) for s in sources[:-1]])
    total = float(d["national_valid"])
    rest = (
        total - weight.sum()
        if np.isfinite(total) and total > weight.sum()
        else REST_WEIGHT * weight.sum()
    )
    weight = np.append(weight, rest)
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
