"""Headline numbers of the government stage for ``summary.json``: cores, risk mechanisms.

Counting and averaging over the stage objects only (no modelling): the likeliest government
cores with the remainder that makes them sum to 1, each list's chance of governing, each
community's risk mechanisms, the terms' shares of the risk, and for each scenario how far each
community's risk moved from the baseline beside its seats against its population.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.government.cores import CORE
from forecast.government.risk import POWER_STATUS, RISK_TERM, any_onset_of
from forecast.government.risk_terms import under_representation
from forecast.government.status import community_bases

__all__ = [
    "TOP_CORES",
    "core_by_mean_seats",
    "cores_summary",
    "risk_communities",
    "risk_mechanisms",
    "risk_shares",
    "scenario_mechanisms",
]

TOP_CORES = 8


def core_by_mean_seats(table: xr.Dataset, members: np.ndarray) -> list[str]:
    """Give a candidate's core at its mean seats: the members with core_share of them."""
    mean = table["actor_seats"].values.mean(axis=0) * members
    keep = mean >= float(table.attrs["core_share"]) * mean.sum()
    return [str(p) for p in table[dims.PARTY].values[members & keep]]


def cores_summary(table: xr.Dataset, risk: xr.Dataset) -> dict[str, Any]:
    """Give the likeliest government cores, the remainder, and each list's chance to govern."""
    which = table["core_of_sample"].values
    seats = table["core_seats"].values
    any_onset = any_onset_of(risk["conflict_risk"].values, risk["risk_kind"].values == "onset")
    majority = int(table.attrs["majority"])
    p = table["p_core"].values
    cores = []
    for k in range(min(TOP_CORES, len(p))):
        mine = which == k
        members = table["core_members"].isel({CORE: k})
        cores.append(
            {
                "label": str(table[CORE].values[k]),
                "members": [str(a) for a in members[dims.PARTY].values[members.values]],
                "p": round(float(p[k]), 4),
                **dict(
                    zip(
                        ("seats_median", "seats_lo90", "seats_hi90"),
                        np.quantile(seats[mine], [0.5, 0.05, 0.95], method="inverted_cdf").tolist(),
                        strict=True,
                    )
                ),
                "p_core_majority": round(float((seats[mine] >= majority).mean()), 4),
                "p_onset_any_if_formed": round(float(any_onset[mine].mean()), 5),
            }
        )
    p_in = table["p_in_government"].to_series().sort_values(ascending=False)
    return {
        "core_share": float(table.attrs["core_share"]),
        "cores": cores,
        "p_other_cores": round(float(p[len(cores) :].sum()), 4),
        "n_cores": len(p),
        "p_in_government": {str(k): round(float(v), 4) for k, v in p_in.items()},
    }


def risk_communities(risk: xr.Dataset) -> dict[str, dict[str, Any]]:
    """Give each community's risk, its interval, status shares and mechanisms."""
    out = {}
    for c in risk[dims.COMMUNITY].values:
        r = risk.sel({dims.COMMUNITY: c})
        out[str(c)] = {
            "p_onset": round(float(r["p_onset"]), 5),
            "lo90": round(float(r["p_onset_eti"].sel({dims.CI_BOUND: "lower"})), 5),
            "hi90": round(float(r["p_onset_eti"].sel({dims.CI_BOUND: "upper"})), 5),
            "p_excluded": round(float(r["p_excluded"]), 4),
            "p_downgraded": round(float(r["p_downgraded"]), 4),
            **risk_mechanisms(r),
        }
    return out


def risk_mechanisms(r: xr.Dataset) -> dict[str, Any]:
    """Give one community's risk kind, seats against population, what-if risks and added risks."""
    return {
        "kind": str(r["risk_kind"].values),
        "seat_share": round(float(r["seat_share"]), 4),
        "population_share": round(float(r["population_share"]), 4),
        "under_representation": round(float(r["under_representation"]), 4),
        "plurality_base_excluded": round(float(r["plurality_base_excluded"]), 4),
        "p_onset_if": {
            str(s): round(float(v), 5)
            for s, v in zip(r[POWER_STATUS].values, r["p_onset_if_status"].values, strict=True)
        },
        "drivers": {
            str(t): round(float(v), 5)
            for t, v in zip(r[RISK_TERM].values, r["risk_added"].values, strict=True)
        },
    }


def risk_shares(risk: xr.Dataset) -> dict[str, float]:
    """Give each term's share of P(any onset): the part of it the term adds."""
    total = float(risk["p_onset_any"])
    added = risk["p_onset_any_added"].to_series()
    return {str(t): round(float(v) / total, 4) if total > 0 else 0.0 for t, v in added.items()}


def _community_seats(spec: ForecastSpec, lists: Mapping[str, Mapping[str, Any]]) -> np.ndarray:
    """Mean seats of each community from the lists' mean seats and bases (community,)."""
    names = list(lists)
    seats = np.array([float(lists[p]["seats_mean"]) for p in names])
    return seats @ community_bases(spec, names)


def scenario_mechanisms(
    spec: ForecastSpec, details: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Add to each scenario headline how each community's risk and representation moved.

    The first headline is the baseline. Each community gets ``p_onset``, its change from the
    baseline, its seat share at the lists' mean seats against its population share, and the
    under-representation term at those seats, in the baseline and the scenario.

    Returns
    -------
    list of dict
        The headlines (copies), each with ``risk_mechanisms``: community -> those numbers.
    """
    size = np.array([c.relative_size for c in spec.community])
    pop = size / size.sum()
    base = details[0]
    held0 = _community_seats(spec, base["lists"])
    share0 = held0 / max(held0.sum(), 1e-12)
    under0 = under_representation(held0[None, :], size)[0]
    out = []
    for h in details:
        held = _community_seats(spec, h["lists"])
        share = held / max(held.sum(), 1e-12)
        under = under_representation(held[None, :], size)[0]
        risk, risk0 = h["conflict_risk"]["communities"], base["conflict_risk"]["communities"]
        out.append(
            {
                **h,
                "risk_mechanisms": {
                    c: {
                        "name": spec.community[k].name,
                        "kind": "continuation" if c in spec.risk.ongoing_conflict else "onset",
                        "p_onset": risk[c],
                        "p_onset_change": round(risk[c] - risk0[c], 5),
                        "seat_share": round(float(share[k]), 4),
                        "seat_share_baseline": round(float(share0[k]), 4),
                        "population_share": round(float(pop[k]), 4),
                        "under_representation": round(float(under[k]), 4),
                        "under_representation_baseline": round(float(under0[k]), 4),
                    }
                    for k, c in enumerate(spec.community_ids)
                },
            }
        )
    return out
