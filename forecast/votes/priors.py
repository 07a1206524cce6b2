"""Prior building blocks of the vote model (their scales live in the spec's ``[priors]``).

Zero-sum effects on PyMC's own orthonormal basis, the effects of elections around the mean of
those measured, and the ecological priors: each province's community mix and each list's
affinity to the communities that vote for it.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec

__all__ = [
    "community_affinity",
    "election_effects",
    "national_composition",
    "province_composition",
    "zero_sum_basis",
    "zero_sum_normal",
]

# Share of a province's people in the community its qualitative label names (judgement: the
# labels name communities that dominate), the rest in national proportions.
LABEL_SHARE = 0.9
# Uncertainty of a province's community mix, as the scale of a logistic-normal around its centre
# (judgement): a published estimate without a range, a qualitative label, a province labelled
# mixed or unlabelled (centred on the national composition). A published range is read as a
# 90% interval instead.
NUMERIC_SD, LABEL_SD, MIXED_SD = 0.25, 0.5, 1.0
# Published estimates of a province are its centre when they cover at least this share of its
# people (renormalised; a community they leave out is present at a trace); estimates covering
# less say too little of the rest, and the province's label decides instead (judgement).
COVERAGE = 0.75
TRACE_SHARE = 1e-3
Z90 = 1.6449


def national_composition(spec: ForecastSpec, communities: list[str]) -> np.ndarray:
    """Return the communities' shares of the nation (spec: relative_size), renormalised."""
    sizes = {c.id: c.relative_size for c in spec.community}
    national = np.array([sizes[c] for c in communities])
    return national / national.sum()


def province_composition(
    data: xr.Dataset, spec: ForecastSpec, communities: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Each province's community mix as an uncertain input: centre and log-scale sd.

    Returns the centre (province, community; rows sum to 1) and the scale (province,
    community) of a logistic-normal prior around it. A published numeric estimate is used as
    it is where it covers ``COVERAGE`` of the people (renormalised over the model's
    communities; communities it leaves out get a trace), with its published range as a 90%
    interval where there is one; otherwise a qualitative majority label gives that community
    ``LABEL_SHARE`` and the rest in national proportions; a province labelled mixed (or
    unlabelled) is centred on the national composition (the spec's ``relative_size``).
    """
    shares = data["community_share"].sel({dims.COMMUNITY: communities}).values
    low, high = (
        data[f"community_share_{k}"].sel({dims.COMMUNITY: communities}).values
        if f"community_share_{k}" in data
        else np.full(shares.shape, np.nan)
        for k in ("low", "high")
    )
    labels = data["community_share"]["majority_community"].values
    national = national_composition(spec, communities)
    centre = np.empty((data.sizes[dims.PROVINCE], len(communities)))
    sd = np.full(centre.shape, MIXED_SD)
    for i, row in enumerate(shares):
        if np.nansum(row) >= COVERAGE:
            centre[i] = np.maximum(np.nan_to_num(row), TRACE_SHARE) / np.nansum(row)
            centre[i] /= centre[i].sum()
            sd[i] = NUMERIC_SD
        elif labels[i] in communities:
            k = communities.index(labels[i])
            rest = np.where(np.arange(len(communities)) == k, 0.0, national)
            centre[i] = (1.0 - LABEL_SHARE) * rest / rest.sum()
            centre[i, k] = LABEL_SHARE
            sd[i] = LABEL_SD
        else:
            centre[i] = national
    numeric = (np.nansum(shares, axis=1) >= COVERAGE)[:, None]
    ranged = numeric & np.isfinite(low) & np.isfinite(high) & (low > 0) & (high > low)
    sd[ranged] = (np.log(high[ranged]) - np.log(low[ranged])) / (2 * Z90)
    return centre, sd


def community_affinity(spec: ForecastSpec, communities: list[str]) -> np.ndarray:
    """(community, party): each list's vote base in a community relative to its size."""
    sizes = np.array([{c.id: c.relative_size for c in spec.community}[c] for c in communities])
    base = np.array([[p.community_base.get(c, 0.0) for p in spec.party] for c in communities])
    base = np.where(
        base.sum(axis=0) > 0, base / np.maximum(base.sum(axis=0), 1e-12), 1.0 / len(communities)
    )
    return base / sizes[:, None]


def zero_sum_basis(k: int) -> np.ndarray:
    """(k - 1, k): orthonormal rows orthogonal to the ones, each close to one coordinate.

    The Householder reflection that PyMC's zero-sum transform applies: basis vector i is the
    i-th unit vector less a constant, and the last coordinate takes up the sum. Near-unit
    vectors keep each free value tied to one effect, as a diagonal mass matrix wants.
    """
    eye = np.eye(k - 1)
    return np.hstack([eye - 1.0 / (np.sqrt(k) + k), np.full((k - 1, 1), -1.0 / np.sqrt(k))])


def zero_sum_normal(name: str, sigma, dims_: tuple[str, ...], n_zerosum_axes: int = 1):
    """Add normal effects over ``dims_`` that sum to zero over the last ``n_zerosum_axes`` dims.

    The same distribution as ``pm.ZeroSumNormal`` (an isotropic normal projected onto the
    zero-sum subspace, in the same coordinates), written as an iid normal ``{name}_basis`` on
    an orthonormal basis of that subspace: one matrix product per axis, where PyMC's transform
    adds about ten operations per axis to every gradient, which is what a gradient of this
    small model costs. ``sigma`` may vary along the leading dims. Returns the effects, kept as
    ``name``.
    """
    model = pm.modelcontext(None)
    sizes = [len(model.coords[d]) for d in dims_]
    lead = len(dims_) - n_zerosum_axes
    effect = pm.Normal(
        f"{name}_basis", 0.0, sigma, shape=(*sizes[:lead], *(k - 1 for k in sizes[lead:]))
    )
    for axis in range(lead, len(dims_)):
        basis = zero_sum_basis(sizes[axis])
        effect = pt.moveaxis(pt.tensordot(effect, basis, axes=[[axis], [0]]), -1, axis)
    return pm.Deterministic(name, effect, dims=dims_)


def election_effects(name: str, sigma, measured: np.ndarray, dim: str, extra: tuple[str, ...] = ()):
    """Effects of each election (dim, *extra) around the mean of the elections measured.

    The elections the data measure deviate from their mean by effects that sum to zero over
    them (and over ``extra``), centred: the data pin each of them down. An election without
    data (the target) is a new draw from the same population, whose mean is known from n
    measured elections only: scale ``sigma * sqrt(1 + 1/n)``, non-centred. Measuring effects
    against that mean leaves no two parameters carrying the same sum (a level plus effects
    free to shift against it is a ridge the sampler crawls along). The coords of the two
    halves are ``{dim}_measured`` and ``{dim}_unmeasured``; the result is in ``dim`` order.
    """
    model = pm.modelcontext(None)
    elections = np.asarray(model.coords[dim])
    n = int(measured.sum())
    parts, order = [], []
    if n:
        if f"{dim}_measured" not in model.coords:
            model.add_coord(f"{dim}_measured", elections[measured])
        inner = tuple(len(model.coords[d]) for d in extra)
        if n == 1:  # nothing to deviate from the mean of one election
            parts.append(pt.zeros((1, *inner)))
        else:
            parts.append(
                zero_sum_normal(
                    f"{name}_effect", sigma, (f"{dim}_measured", *extra), 1 + len(extra)
                )
            )
        order.extend(np.flatnonzero(measured))
    if (~measured).any():
        if f"{dim}_unmeasured" not in model.coords:
            model.add_coord(f"{dim}_unmeasured", elections[~measured])
        new = (f"{dim}_unmeasured", *extra)
        offset = (
            zero_sum_normal(f"{name}_offset", 1.0, new, len(extra))
            if extra
            else pm.Normal(f"{name}_offset", 0, 1, dims=new)
        )
        parts.append(sigma * np.sqrt(1.0 + 1.0 / n if n else 1.0) * offset)
        order.extend(np.flatnonzero(~measured))
    stacked = pt.concatenate(parts, axis=0)
    return stacked if order == sorted(order) else stacked[np.argsort(order)]
