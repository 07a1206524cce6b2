"""Post-fit stages in chunks of samples, run by dask: in threads here, or on a cluster.

Chunk ``i`` of the samples draws with its own seeds, ``(seed, stage, i)``, so the result depends
on the seed and the chunk size only, never on where or in which order the chunks run: the
single-process run (``scheduler="sync"``), local threads (the default) and a
``dask.distributed`` cluster (``scheduler="tcp://..."``) give identical numbers. Every scenario
uses the same seeds (common random numbers), so a scenario's difference from the baseline is the
scenario's, not sampling noise.

``headlines`` keeps the memory bounded whatever the number of samples: the candidate
governments are chosen once from the seats of the first chunks (``PILOT`` samples at least, all
of them when there are fewer), then every chunk is drawn, scored and reduced to counts (seat
histograms, sums of probabilities) before its memory is freed. Up to ``PILOT`` samples the
candidates are those of the whole run; beyond, a list that reaches ``coalitions.min_seats`` only
in later samples is not an actor (the minimal-winning screen reads a few thousand samples in
any case).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from forecast import dims
from forecast.data.spec import ForecastSpec
from forecast.government.coalitions import coalition_candidates, score_coalitions
from forecast.government.cores import CORE
from forecast.government.duration import predict_formation_days
from forecast.government.formation import predict_formation
from forecast.government.risk import assess_risk
from forecast.run.scenarios import Scenario, apply_scenario
from forecast.seats.bind import target_magnitude
from forecast.seats.law import allocate_seats
from forecast.votes.simulate import simulate_votes

__all__ = [
    "DEFAULT_CHUNK",
    "LOCAL_SCHEDULERS",
    "chunk_bounds",
    "chunk_seed",
    "coalition_stage",
    "core_counts",
    "headlines",
    "largest_share",
    "predictive_inputs",
    "run_tasks",
    "votes_and_seats",
]

DEFAULT_CHUNK = 10_000
LOCAL_SCHEDULERS = ("sync", "threads", "processes")
# Stage numbers in the seeds: one independent stream per stage and chunk.
SIMULATE, ALLOCATE, FORMATION, DURATION, RISK = 1, 2, 3, 4, 5
TOP_COALITIONS = 5
PILOT = 1 << 16  # samples whose seats choose the candidate governments


def chunk_seed(seed: int, stage: int, index: int) -> int:
    """Return the seed of one stage of one chunk (independent streams via NumPy's SeedSequence)."""
    return int(np.random.SeedSequence([seed, stage, index]).generate_state(1)[0])


def chunk_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each chunk of ``n`` samples, ``size`` at most."""
    if n < 1 or size < 1:
        raise ValueError(
            f"need at least one sample and a chunk size of at least 1 (got {n}, {size})"
        )
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def predictive_inputs(posterior: xr.DataTree) -> xr.DataTree:
    """Only what the predictive draws read, so that workers receive megabytes, not the fit."""
    post = posterior["posterior"].to_dataset()[["share", "turnout", "kappa_target"]]
    return xr.DataTree.from_dict({"posterior": post})


def run_tasks(
    fn: Callable[..., Any],
    shared: dict[str, Any],
    tasks: Sequence[dict[str, Any]],
    *,
    scheduler: str | None = None,
) -> list[Any]:
    """``[fn(**shared, **task) for task in tasks]``, computed by dask.

    ``scheduler``: ``None`` or ``"threads"`` (local threads), ``"sync"`` (this process, in
    order), ``"processes"``, or the address of a ``dask.distributed`` scheduler, to which the
    shared inputs are sent once per worker.
    """
    if scheduler is None or scheduler in LOCAL_SCHEDULERS:
        import dask

        inputs = {k: dask.delayed(v, pure=True, traverse=False) for k, v in shared.items()}
        work = [dask.delayed(fn, pure=True)(**inputs, **task) for task in tasks]
        return list(dask.compute(*work, scheduler=scheduler or "threads"))
    from distributed import Client

    with Client(scheduler, set_as_default=False) as client:
        inputs = {k: client.scatter(v, broadcast=True, hash=False) for k, v in shared.items()}
        futures = [client.submit(fn, **inputs, **task, pure=False) for task in tasks]
        return client.gather(futures)


def votes_and_seats(
    post: xr.DataTree,
    data: xr.Dataset,
    scenario: Scenario,
    *,
    seed: int,
    index: int,
    start: int,
    stop: int,
) -> tuple[xr.Dataset, xr.Dataset]:
    """One chunk's VoteDraws (under the scenario) and SeatDraws; samples numbered from ``start``."""
    spec = scenario.spec
    votes = simulate_votes(
        post, data, spec, seed=chunk_seed(seed, SIMULATE, index), samples=stop - start
    )
    votes = apply_scenario(votes, scenario).assign_coords({dims.SAMPLE: np.arange(start, stop)})
    magnitude = target_magnitude(spec, data)
    seats = allocate_seats(
        votes["votes"],
        magnitude,
        spec.law,
        valid_votes=votes["valid_votes"],
        seed=chunk_seed(seed, ALLOCATE, index),
    )
    return votes, seats


def concat_samples(parts: Sequence[xr.Dataset]) -> xr.Dataset:
    """Chunks joined along ``sample``; per-chunk counts in attrs are summed."""
    out = (
        xr.concat(parts, dim=dims.SAMPLE, combine_attrs="override") if len(parts) > 1 else parts[0]
    )
    if "n_pooled_fallback" in out.attrs:
        out.attrs["n_pooled_fallback"] = int(sum(p.attrs["n_pooled_fallback"] for p in parts))
    return out


def coalition_stage(
    seats: xr.Dataset,
    spec: ForecastSpec,
    *,
    seed: int,
    index: int,
    candidates: xr.Dataset | None = None,
) -> tuple[xr.Dataset, xr.Dataset]:
    """Coalition table (formation and days drawn) and risk table of one chunk's seats."""
    table = score_coalitions(seats, spec, candidates=candidates)
    table = predict_formation(table, spec, seed=chunk_seed(seed, FORMATION, index))
    table = predict_formation_days(table, spec, seed=chunk_seed(seed, DURATION, index))
    risk = assess_risk(table, seats, spec, seed=chunk_seed(seed, RISK, index))
    return table, risk


def _national_seats(
    post: xr.DataTree,
    data: xr.Dataset,
    scenario: Scenario,
    *,
    seed: int,
    index: int,
    start: int,
    stop: int,
) -> xr.Dataset:
    """One chunk's national seats only (what the coalition stages read)."""
    seats = votes_and_seats(post, data, scenario, seed=seed, index=index, start=start, stop=stop)[1]
    return seats[["seats"]]


def _chunk_counts(
    post: xr.DataTree,
    data: xr.Dataset,
    scenario: Scenario,
    candidates: xr.Dataset,
    *,
    seed: int,
    index: int,
    start: int,
    stop: int,
) -> dict[str, Any]:
    """One chunk drawn and reduced to sums and histograms that add up across chunks."""
    spec = scenario.spec
    seats = _national_seats(post, data, scenario, seed=seed, index=index, start=start, stop=stop)
    table, risk = coalition_stage(seats, spec, seed=seed, index=index, candidates=candidates)
    s = seats["seats"].transpose(dims.SAMPLE, dims.PARTY).values.astype(np.int64)
    n = len(s)
    days = table["formation_days"].values
    return {
        "n": n,
        "seat_hist": np.stack([np.bincount(col, minlength=spec.law.house_size + 1) for col in s.T]),
        "largest": largest_share(s).sum(axis=0),
        "p_form": table["p_form"].values * n,
        "p_majority": table["p_majority"].values * n,
        "p_pm": table["p_pm"].values * n,
        "days_hist": np.bincount(
            np.ceil(days).astype(np.int64), minlength=int(np.ceil(spec.duration.max_days)) + 2
        ),
        "days_over": int((days > spec.duration.protracted_days).sum()),
        "p_onset": risk["p_onset"].values * n,
        "p_onset_any": float(risk["p_onset_any"]) * n,
        "p_in_government": table["p_in_government"].values * n,
        "cores": core_counts(table),
    }


def core_counts(table: xr.Dataset) -> Counter[str]:
    """Count the samples whose drawn government has each core, by label (counts add over chunks)."""
    counts = np.bincount(table["core_of_sample"].values, minlength=table.sizes[CORE])
    return Counter({str(c): int(k) for c, k in zip(table[CORE].values, counts, strict=True)})


def _cores(total: Counter[str], n: int, actors: Sequence[str]) -> dict[str, Any]:
    """Give the likeliest cores over all chunks, the remainder, and how many cores were drawn."""
    order = sorted(
        total.items(), key=lambda kv: (-kv[1], kv[0])
    )  # ties by label: chunk order never matters
    rank = {a: k for k, a in enumerate(actors)}
    top = [
        {
            "label": label,
            "members": sorted(label.split("+"), key=rank.__getitem__) if label else [],
            "p": round(count / n, 4),
        }
        for label, count in order[:TOP_COALITIONS]
    ]
    return {
        "cores": top,
        "p_other_cores": round(sum(c for _, c in order[TOP_COALITIONS:]) / n, 4),
        "n_cores": len(order),
    }


def largest_share(seats: np.ndarray) -> np.ndarray:
    """Each list's share of being the largest in each sample (sample, list); ties share it."""
    top = seats == seats.max(axis=1, keepdims=True)
    return top / top.sum(axis=1, keepdims=True)


def _hist_quantile(hist: np.ndarray, q: float) -> int:
    """Quantile (inverted CDF, as ``np.quantile(..., method="inverted_cdf")``) from counts."""
    cum = np.cumsum(hist)
    return int(np.searchsorted(cum, max(q * cum[-1], 1e-9), side="left"))


def _headline(
    counts: list[dict[str, Any]], scenario: Scenario, candidates: xr.Dataset
) -> dict[str, Any]:
    """Merge chunk counts into the scenario's headline numbers."""
    total = {k: sum(c[k] for c in counts) for k in counts[0] if k != "cores"}
    total["cores"] = sum((c["cores"] for c in counts), Counter())
    n = total["n"]
    lists = {}
    for k, party in enumerate(candidates[dims.LIST].values):  # the seat draws' lists, in order
        h = total["seat_hist"][k]
        lists[str(party)] = {
            "seats_mean": round(float(h @ np.arange(len(h)) / n), 2),
            "seats_median": _hist_quantile(h, 0.5),
            "seats_lo90": _hist_quantile(h, 0.05),
            "seats_hi90": _hist_quantile(h, 0.95),
            "p_largest": round(float(total["largest"][k] / n), 4),
        }
    labels = [str(c) for c in candidates[dims.COALITION].values]
    p_form = total["p_form"] / n
    order = np.argsort(-p_form, kind="stable")[:TOP_COALITIONS]
    actors = [str(p) for p in candidates[dims.PARTY].values]
    p_pm = total["p_pm"] / n
    p_in = total["p_in_government"] / n
    days = total["days_hist"]
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "settings": dict(scenario.settings),
        "samples": int(n),
        "lists": lists,
        "coalitions": [
            {
                "label": labels[i],
                "p_form": round(float(p_form[i]), 4),
                "p_majority": round(float(total["p_majority"][i] / n), 4),
            }
            for i in order
        ],
        **_cores(total["cores"], n, actors),
        "p_in_government": {
            actors[k]: round(float(p_in[k]), 4) for k in np.argsort(-p_in, kind="stable")
        },
        "p_pm": {actors[k]: round(float(p_pm[k]), 4) for k in np.argsort(-p_pm, kind="stable")},
        "formation_days": {
            "median": _hist_quantile(days, 0.5),
            "lo90": _hist_quantile(days, 0.05),
            "hi90": _hist_quantile(days, 0.95),
            "p_over_6_months": round(total["days_over"] / n, 4),
        },
        "conflict_risk": {
            "p_onset_any": round(total["p_onset_any"] / n, 5),
            "communities": {
                c: round(float(v / n), 5)
                for c, v in zip(scenario.spec.community_ids, total["p_onset"], strict=True)
            },
        },
    }


def headlines(
    posterior: xr.DataTree,
    data: xr.Dataset,
    scenarios: Sequence[Scenario],
    *,
    seed: int,
    samples: int,
    chunk: int = DEFAULT_CHUNK,
    scheduler: str | None = None,
) -> list[dict[str, Any]]:
    """Seats, likeliest governments, premiership, formation delay and conflict risk per scenario.

    Two passes of dask tasks: the seats of each scenario's pilot chunks, from which its
    candidate governments are chosen; then every (scenario, chunk) drawn and its seats,
    coalitions, formation, delay and risk reduced to counts. Days are counted to the day
    (quantiles are whole days).

    Returns
    -------
    list of dict
        One headline per scenario, in order: ``scenario``, ``description``, ``settings``,
        ``samples``, ``lists`` (list -> seats mean, median, 90% interval, P(largest)),
        ``coalitions`` (the likeliest five exact governments: label, p_form, p_majority),
        ``cores`` (the likeliest five government cores: label, members, p; with
        ``p_other_cores`` and ``n_cores``, so the cores and the rest sum to 1),
        ``p_in_government`` (list -> P(in government)), ``p_pm``,
        ``formation_days`` (median, lo90, hi90, p_over_6_months), ``conflict_risk``
        (p_onset_any and by community).
    """
    bounds = chunk_bounds(samples, chunk)
    pilot = bounds[: -(-PILOT // chunk)]
    shared = {"post": predictive_inputs(posterior), "data": data}
    seats = run_tasks(
        _national_seats,
        shared,
        [
            {"scenario": s, "seed": seed, "index": i, "start": a, "stop": b}
            for s in scenarios
            for i, (a, b) in enumerate(pilot)
        ],
        scheduler=scheduler,
    )
    candidates = [
        coalition_candidates(concat_samples(seats[j * len(pilot) : (j + 1) * len(pilot)]), s.spec)
        for j, s in enumerate(scenarios)
    ]
    del seats
    per = len(bounds)
    jobs = [(s, i, a, b) for s in scenarios for i, (a, b) in enumerate(bounds)]
    counts = run_tasks(
        _chunk_counts,
        shared,
        [
            {
                "scenario": s,
                "candidates": candidates[k // per],
                "seed": seed,
                "index": i,
                "start": a,
                "stop": b,
            }
            for k, (s, i, a, b) in enumerate(jobs)
        ],
        scheduler=scheduler,
    )
    return [
        _headline(counts[j * per : (j + 1) * per], s, candidates[j])
        for j, s in enumerate(scenarios)
    ]
