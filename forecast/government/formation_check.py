"""Check fitted formation priors on formations they were not fitted to (e.g. a spec's own country).

``formation_rows`` writes one formation, described by a spec's lists, seats, positions, outgoing
cabinet and the government that formed, as rows of ParlGov's shape, so that the candidates and
their terms are built exactly as for the fit; ``check_formation`` then says where the formed
government ranks under the priors and how long its formation would take at the median.
``formation_given_seats`` runs the engine's own formation stage (the spec's candidates and every
term) on a known result, and ``known_government`` says where the government that formed stands
in such a table or in a forecast's: its core's rank and chance, its lists' P(in government).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from forecast.data.spec import ForecastSpec
from forecast.data.tables import Row
from forecast.dims import COALITION, PARTY, SAMPLE
from forecast.government.candidate_sets import TERM, TERMS, candidate_sets
from forecast.government.coalitions import score_coalitions
from forecast.government.cores import CORE
from forecast.government.fitting import MAX_PARTIES
from forecast.government.formation import predict_formation
from forecast.government.formation_scores import model_probabilities, score_formations
from forecast.government.parlgov import formation_actors
from forecast.government.risk_check import fixed_seat_draws

__all__ = [
    "check_formation",
    "formation_given_seats",
    "formation_rows",
    "known_government",
    "median_days",
]


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


def formation_given_seats(
    spec: ForecastSpec, seats: Mapping[str, int], *, samples: int, seed: int
) -> xr.Dataset:
    """Run the formation stage on a known result: these seats in every sample, the spec's rules.

    What the model says once the votes are counted and before a government forms: the spec's
    candidates, terms and coefficient draws, the elected seats held fixed. Lists the spec does
    not name are pooled into its ``other`` list.

    Returns
    -------
    xr.Dataset
        The ``CoalitionTable`` after :func:`forecast.government.formation.predict_formation`,
        with the government cores and ``p_in_government`` (party).
    """
    named = set(spec.party_ids)
    pooled: dict[str, int] = {}
    for party, n in seats.items():
        key = party if party in named else "other"
        if key not in named:
            raise ValueError(f"list '{party}' is not in the spec and the spec has no 'other' list")
        pooled[key] = pooled.get(key, 0) + int(n)
    table = score_coalitions(fixed_seat_draws(pooled, samples), spec)
    return predict_formation(table, spec, seed=seed)


def _rank(p: np.ndarray, k: int) -> int:
    """Rank of entry ``k`` by ``p``, 1 for the largest; ties share the better rank."""
    return int((p > p[k]).sum()) + 1


def known_government(
    table: xr.Dataset, seats: Mapping[str, int], members: Sequence[str], *, pm: str | None = None
) -> dict[str, object]:
    """Say where the government that formed stands in a formation table.

    Parameters
    ----------
    table : xr.Dataset
        ``CoalitionTable`` after formation, with its cores (a forecast's or
        :func:`formation_given_seats`'s).
    seats : mapping of str to int
        The elected seats: the formed government's core is its members holding at least the
        table's ``core_share`` of the seats they won together.
    members : sequence of str
        The lists of the government that formed.
    pm : str, optional
        The prime minister's list.

    Returns
    -------
    dict
        ``core`` (label), ``core_rank`` and ``p_core`` (rank None, P 0 when never drawn),
        ``n_cores``, ``likeliest_core`` with ``p_likeliest_core``; ``coalition``,
        ``coalition_rank`` and ``p_form`` of the exact government (rank None when it is not a
        candidate), ``n_coalitions``; ``p_in_government`` and, with ``pm``, ``p_pm``.
    """
    won = {m: int(seats.get(m, 0)) for m in members}
    share = float(table.attrs["core_share"])
    core = "+".join(sorted(m for m in members if won[m] >= share * sum(won.values())))
    cores = [str(c) for c in table[CORE].values]
    p_core = table["p_core"].values
    label = "+".join(sorted(members))
    coalitions = [str(c) for c in table[COALITION].values]
    p_form = table["p_form"].values
    actors = [str(a) for a in table[PARTY].values]
    p_in = dict(zip(actors, table["p_in_government"].values.tolist(), strict=True))
    out: dict[str, object] = {
        "core": core,
        "core_rank": _rank(p_core, cores.index(core)) if core in cores else None,
        "p_core": float(p_core[cores.index(core)]) if core in cores else 0.0,
        "n_cores": len(cores),
        "likeliest_core": cores[int(np.argmax(p_core))],
        "p_likeliest_core": float(p_core.max()),
        "coalition": label,
        "coalition_rank": _rank(p_form, coalitions.index(label)) if label in coalitions else None,
        "p_form": float(p_form[coalitions.index(label)]) if label in coalitions else 0.0,
        "n_coalitions": len(coalitions),
        "p_in_government": {m: p_in.get(m) for m in members},
    }
    if pm is not None:
        out["p_pm"] = float(table["p_pm"].values[actors.index(pm)]) if pm in actors else 0.0
    return out
