"""Check fitted formation priors on formations they were not fitted to (e.g. a spec's own country).

``formation_rows`` writes one formation, described by a spec's lists, seats, positions, outgoing
cabinet and the government that formed, as rows of ParlGov's shape, so that the candidates and
their terms are built exactly as for the fit; ``check_formation`` then says where the formed
government ranks under the priors and how long its formation would take at the median.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from forecast.data.tables import Row
from forecast.dims import SAMPLE
from forecast.government.candidate_sets import TERM, TERMS, candidate_sets
from forecast.government.fitting import MAX_PARTIES
from forecast.government.formation_scores import model_probabilities, score_formations
from forecast.government.parlgov import formation_actors

__all__ = ["check_formation", "formation_rows", "median_days"]


def formation_rows(
    seats: Mapping[str, int],
    *,
    house: int,
    cabinet: Sequence[str],
    pm: str | None,
    incumbent: Sequence[str],
    positions: Mapping[str, float],
    election_date: dt.date,
    days: int,
    label: str,
) -> list[Row]:
    """Describe one formation as ``read_formations`` rows (one per list with seats)."""
    start = election_date + dt.timedelta(days=days)
    return [
        {
            "country": label,
            "election_id": 0,
            "election_date": election_date,
            "cabinet_id": 0,
            "cabinet_name": label,
            "start_date": start,
            "party_id": i,
            "party": party,
            "seats": n,
            "seats_total": house,
            "left_right": positions.get(party),
            "cabinet_party": party in cabinet,
            "prime_minister": party == pm,
            "previous_cabinet_party": party in incumbent,
        }
        for i, (party, n) in enumerate(seats.items())
        if n > 0
    ]


def median_days(terms: Mapping[str, float], duration: Mapping[str, tuple[float, float]]) -> float:
    """Median days to a cabinet with ``terms`` (n_parties, range, minority) at the posterior means.

    Solves ``H(t) = ln 2`` for the hazard of ``forecast.government.fitting.duration_model``.
    """
    mean = {k: v[0] for k, v in duration.items()}
    n = min(terms["n_parties"], MAX_PARTIES)
    a_one = mean["baseline_shape"] + mean["n_parties_log_t"]
    a = a_one + mean["n_parties_log_t"] * (n - 1)
    eta = mean["range"] * terms["range"] + mean["n_parties"] * (n - 1)
    eta += mean["minority"] * terms["minority"]
    log_t = (math.log(a / a_one) - eta + a_one * mean["baseline_log_days"]) / a
    return math.exp(log_t)


def check_formation(
    rows: list[Row],
    formation: Mapping[str, tuple[float, float]],
    duration: Mapping[str, tuple[float, float]],
    *,
    n_draws: int = 1000,
    seed: int = 0,
    min_share: float = 0.01,
) -> dict[str, float | str]:
    """Rank the formed government among every coalition of the lists, under fitted priors.

    Parameters
    ----------
    rows : list of dict
        One formation's ``formation_rows``.
    formation, duration : mapping of str to (mean, sd)
        ``FitResult.formation`` and ``FitResult.duration``; formation coefficients are drawn
        independently from Normal(mean, sd), as the engine draws them.
    n_draws, seed : int
        Coefficient draws and their seed.
    min_share : float
        Lists with at least this share of the seats bargain (as in the fit).

    Returns
    -------
    dict
        ``rank``, ``n_candidates``, ``p_formed``, ``likeliest`` (its lists joined by ``+``),
        ``p_likeliest``, ``median_days`` of the formed cabinet and the actual ``days``.
    """
    actors = formation_actors(rows, min_share=min_share)
    cands = candidate_sets(actors)
    rng = np.random.default_rng(seed)
    draws = np.stack([rng.normal(*formation[t], size=n_draws) for t in TERMS], axis=1)
    effect = xr.DataArray(draws, dims=(SAMPLE, TERM), coords={TERM: list(TERMS)})
    p = model_probabilities(cands, effect)
    scores = score_formations(cands, p)
    names = actors["party_name"].values[0]
    best = int(np.argmax(p.values))
    mask = int(cands["mask"].values[best])
    formed = cands["x"].isel(coalition=int(cands["formed"].values.argmax()))
    terms = {t: float(formed.sel({TERM: t})) for t in ("n_parties", "range", "minority")}
    return {
        "rank": scores["mean_rank"],
        "n_candidates": scores["mean_candidates"],
        "p_formed": math.exp(scores["mean_log_score"]),
        "likeliest": "+".join(str(names[j]) for j in range(len(names)) if mask >> j & 1),
        "p_likeliest": float(p[best]),
        "median_days": median_days(terms, duration),
        "days": float(actors["days"].values[0]),
    }
