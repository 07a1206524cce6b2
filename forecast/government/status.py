"""Power status of each community under the government drawn in each sample (EPR coding).

A community's *status* follows the Ethnic Power Relations coding used by Cederman, Gleditsch,
Salehyan & Wucherpfennig (2013): seats are split among communities by each list's
``community_base`` (quota seats belong to their quota's community), and a community is in power
when at least ``risk.inclusion_share`` of its seats sit in the government. The community in power
with the most government seats is the *senior partner*, the others in power *junior partners*;
a community out of power is *powerless*, or *discriminated* if the spec flags it so. It is
*downgraded* when its rank (senior > junior > out of power) falls below its rank under the
incumbent government (``risk.incumbent_status``, or else the incumbent lists' seats in the same
sample).
"""

from __future__ import annotations

import numpy as np

from forecast.data.spec import ForecastSpec
from forecast.errors import SpecError

__all__ = ["STATUSES", "community_bases", "community_status", "incumbent_rank", "status_rank"]

STATUSES = ("senior_partner", "junior_partner", "powerless", "discriminated")
_RANK = {"senior_partner": 2, "junior_partner": 1, "powerless": 0, "discriminated": 0}


def community_bases(spec: ForecastSpec, lists: list[str]) -> np.ndarray:
    """Split each list's seats among the communities: shares, array (list, community)."""
    index = {c: k for k, c in enumerate(spec.community_ids)}
    base = np.zeros((len(lists), len(index)))
    shares = {p.id: p.community_base for p in spec.party}
    shares.update({q.party: {q.community: 1.0} for q in spec.law.quota})
    for i, name in enumerate(lists):
        for community, share in shares.get(name, {}).items():
            base[i, index[community]] = share
    return base


def _status(
    gov: np.ndarray, house: np.ndarray, share: float, discriminated: np.ndarray
) -> np.ndarray:
    """Code the status (index into STATUSES) of each community: array (sample, community), int8."""
    included = (house > 0) & (gov >= share * house)
    senior = np.where(included, gov, -1.0).argmax(axis=1)
    status = np.where(included, 1, np.where(discriminated, 3, 2)).astype(np.int8)
    rows = np.flatnonzero(included.any(axis=1))
    status[rows, senior[rows]] = 0
    return status


def status_rank(status: np.ndarray) -> np.ndarray:
    """Rank (2 senior, 1 junior, 0 out of power) of each status code."""
    return np.array([_RANK[s] for s in STATUSES])[status]


def incumbent_rank(
    spec: ForecastSpec, lists: list[str], seats: np.ndarray, base: np.ndarray, house: np.ndarray
) -> np.ndarray:
    """Rank each community under the outgoing government: array (sample, community)."""
    stated = spec.risk.incumbent_status
    if stated:
        missing = [c for c in spec.community_ids if c not in stated]
        if missing:
            raise SpecError(
                f"risk.incumbent_status lacks {', '.join(missing)}; give every community",
                file=spec.source_file,
                where="key 'risk.incumbent_status'",
            )
        ranks = np.array([_RANK[stated[c]] for c in spec.community_ids])
        return np.broadcast_to(ranks, house.shape)
    incumbent = np.isin(lists, spec.coalitions.incumbent)
    gov = (seats * incumbent) @ base
    discriminated = np.array([c.discriminated for c in spec.community])
    return status_rank(_status(gov, house, spec.risk.inclusion_share, discriminated))


def community_status(
    spec: ForecastSpec, lists: list[str], w: np.ndarray, gov_seats: np.ndarray, base: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code each community's status under the drawn government, and whether it is downgraded.

    Parameters
    ----------
    spec : ForecastSpec
        ``risk.inclusion_share``, ``risk.incumbent_status``, ``coalitions.incumbent`` and which
        communities are discriminated.
    lists : list of str
        The seat-draw lists, in the order of the columns of ``w``.
    w : np.ndarray, shape (sample, list)
        Seats of every list.
    gov_seats : np.ndarray, shape (sample, list)
        Seats of the lists in the government drawn in each sample, 0 for the others.
    base : np.ndarray, shape (list, community)
        From ``community_bases``.

    Returns
    -------
    status : np.ndarray, shape (sample, community), int8
        Index into ``STATUSES``.
    downgraded : np.ndarray, shape (sample, community), bool
        Whether the community ranks below its rank under the incumbent government.
    before : np.ndarray, shape (sample, community)
        That rank under the incumbent government (2 senior, 1 junior, 0 out of power).
    """
    house = w @ base
    gov = gov_seats @ base
    discriminated = np.array([c.discriminated for c in spec.community])
    status = _status(gov, house, spec.risk.inclusion_share, discriminated)
    before = incumbent_rank(spec, lists, w, base, house)
    return status, status_rank(status) < before, before
