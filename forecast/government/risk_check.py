"""What the risk model says of a past election once its seats and government are known.

A check of the conflict-risk stage against what followed, not a forecast: the elected seats are
held fixed in every sample, the government that formed is drawn in every sample, its formation
took the days it took, and only the coefficients vary. Lists of an earlier election that the
spec does not name take their community base through the spec's lineage rows (their voters'
heirs), or the base of ``other``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from forecast.data.spec import ForecastSpec
from forecast.data.spec_election import PartySpec
from forecast.dims import CI_BOUND, PARTY, SAMPLE
from forecast.government.coalitions import score_coalitions
from forecast.government.risk import assess_risk

__all__ = ["fixed_seat_draws", "past_bases", "risk_given_government"]


def past_bases(spec: ForecastSpec, election: str, lists: Sequence[str]) -> dict[str, dict]:
    """Community base of each list of a past election, through the spec's lineage rows.

    A list the spec names keeps its base; one with a lineage row from ``election`` takes the
    share-weighted bases of its heirs; any other takes the base of ``other``.
    """
    bases = {p.id: dict(p.community_base) for p in spec.party}
    rows = {r.source: r.shares for r in spec.lineage if r.election == election}
    out = {}
    for name in lists:
        if name in bases:
            out[name] = bases[name]
            continue
        mix: dict[str, float] = {}
        for heir, share in rows.get(name, {"other": 1.0}).items():
            if heir not in bases and "other" not in bases:
                raise ValueError(f"list '{name}' has no base: no lineage row and no 'other' list")
            for community, part in bases.get(heir, bases.get("other", {})).items():
                mix[community] = mix.get(community, 0.0) + share * part
        out[name] = mix
    return out


def fixed_seat_draws(seats: Mapping[str, int], samples: int) -> xr.Dataset:
    """Give SeatDraws holding one known result in every sample: ``seats`` (sample, party).

    The house is the seats' sum and the majority more than half of it.
    """
    names = list(seats)
    house = int(sum(seats.values()))
    counts = np.broadcast_to(
        np.array([seats[p] for p in names], dtype=np.int64), (samples, len(names))
    )
    return xr.Dataset(
        {"seats": ((SAMPLE, PARTY), counts.copy())},
        coords={SAMPLE: np.arange(samples), PARTY: names},
        attrs={"house_size": house, "majority": house // 2 + 1, "sample_dims": [SAMPLE]},
    )


def risk_given_government(
    spec: ForecastSpec,
    seats: Mapping[str, int],
    members: Sequence[str],
    *,
    days: float,
    bases: Mapping[str, Mapping[str, float]],
    samples: int,
    seed: int,
) -> xr.Dataset:
    """Give the RiskTable of a known result: these seats, this government, these days.

    Parameters
    ----------
    spec : ForecastSpec
        Communities, coalition and risk settings (its ``risk.incumbent_status`` is the status
        under the outgoing government).
    seats : mapping of str to int
        Seats won by each list (the house is their sum, the majority more than half of it).
    members : sequence of str
        The lists of the government that formed.
    days : float
        Days from the election to that government.
    bases : mapping
        Community base of each list in ``seats``.
    samples : int
        Coefficient draws.
    seed : int
        Seed of the draws.
    """
    parties = [PartySpec(id=p, name=p, bloc="other", community_base=dict(bases[p])) for p in seats]
    rules = spec.coalitions.model_copy(
        update={"incumbent": tuple(members), "min_seats": 1, "bloc_positions": {}}
    )
    spec = spec.model_copy(update={"party": parties, "coalitions": rules})
    draws = fixed_seat_draws(seats, samples)
    table = score_coalitions(draws, spec)
    label = "+".join(sorted(members))
    index = list(table["coalition"].values).index(label)
    table = table.assign(
        formed=((SAMPLE,), np.full(samples, index)),
        formation_days=((SAMPLE,), np.full(samples, float(days))),
        formation_days_eti=((CI_BOUND,), np.array([days, days], dtype=float)),
    )
    return assess_risk(table, draws, spec, seed=seed)
