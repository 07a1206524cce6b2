"""Pivotal power: Banzhaf and Shapley-Shubik indices of each actor in each seat sample.

The actors of ``forecast.government.candidates.coalition_actors`` play a weighted voting game
whose quota is the house majority; lists outside the game keep their seats, so the quota never
moves. Both indices are linear in the indicator of winning coalitions: with ``win[m]`` for
bitmask ``m``, the Banzhaf swing count of actor ``i`` is ``sum_m win[m] * (+1 if i in m else -1)``
and its Shapley-Shubik index is ``sum_m win[m] * (f(|m|-1, n-|m|) if i in m else -f(|m|, n-|m|-1))``
with ``f(a, b) = a! b! / n!``. One matrix product over all bitmasks, chunked over samples, gives
both indices for every sample. Banzhaf counts are integers, exact in float32; the cost grows as
``2**n`` and stays fast up to about 16 actors.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from forecast.data.spec import ForecastSpec
from forecast.dims import CI_BOUND, PARTY, SAMPLE, check
from forecast.government.candidates import coalition_actors, mask_members

__all__ = ["power_indices", "power_kernel"]

CI_PROB = 0.9
_CHUNK_CELLS = 1 << 20  # samples x bitmasks per chunk: 4 MB of float32
_MAX_THREADS = 2


def _index_weights(n: int) -> np.ndarray:
    """Matrix (2**n, 2n): Banzhaf signs then Shapley-Shubik weights of each bitmask and actor."""
    member = mask_members(np.arange(1 << n), n)
    size = member.sum(axis=1)
    fact = [math.factorial(k) for k in range(n + 1)]
    total = fact[n]
    joined = np.array([fact[k - 1] * fact[n - k] / total if k > 0 else 0.0 for k in size])
    left = np.array([fact[k] * fact[n - k - 1] / total if k < n else 0.0 for k in size])
    banzhaf = np.where(member, 1.0, -1.0)
    shapley = np.where(member, joined[:, None], -left[:, None])
    return np.concatenate([banzhaf, shapley], axis=1)


def _workers() -> int:
    """Threads for the kernel: the cores this process may use, at most two."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        cores = os.cpu_count() or 1
    return max(1, min(cores, _MAX_THREADS))


def _half_sums(part: np.ndarray) -> np.ndarray:
    """Seat totals of every bitmask over the columns of ``part``: array (sample, 2**columns)."""
    sums = np.zeros((len(part), 1 << part.shape[1]), dtype=np.float32)
    for j in range(part.shape[1]):
        lo = 1 << j
        np.add(sums[:, :lo], part[:, j : j + 1], out=sums[:, lo : 2 * lo])
    return sums


def power_kernel(weights: np.ndarray, quota: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised Banzhaf and Shapley-Shubik indices of weighted voting games.

    Parameters
    ----------
    weights : np.ndarray, shape (sample, actor)
        Non-negative integer seats of each actor in each game.
    quota : int
        Seats a coalition needs to win.

    Returns
    -------
    banzhaf, shapley_shubik : np.ndarray, shape (sample, actor)
        Each row sums to 1; rows of games that no coalition wins are NaN. Banzhaf swing counts
        are exact; Shapley-Shubik values carry float32 rounding of about 1e-5.
    """
    x = np.asarray(weights, dtype=np.float32)
    n_sample, n = x.shape
    mat = _index_weights(n).astype(np.float32)
    out = np.empty((n_sample, 2 * n), dtype=np.float32)
    chunk = max(1, _CHUNK_CELLS >> n)
    # Bitmask m = high * 2**low_bits + low: a coalition wins when the seats of its low actors
    # reach the quota less the seats of its high actors. Subset sums of each half are small
    # (2**6 columns for 12 actors); one broadcast comparison writes the 0/1 matrix.
    low_bits = n // 2

    def run(start: int, stop: int) -> None:
        buf = np.empty((min(chunk, stop - start), 1 << n), dtype=np.float32)
        for a in range(start, stop, chunk):
            part = x[a : min(a + chunk, stop)]
            win = buf[: len(part)]
            low = _half_sums(part[:, :low_bits])
            need = quota - _half_sums(part[:, low_bits:])
            np.greater_equal(
                low[:, None, :],
                need[:, :, None],
                out=win.reshape(len(part), need.shape[1], low.shape[1]),
                casting="unsafe",
            )
            np.matmul(win, mat, out=out[a : a + len(part)])

    # Each sample's row is computed alone, so splitting the samples between threads (NumPy
    # releases the GIL in the comparison and the product) leaves every value unchanged. One BLAS
    # thread per product: the products are small and the threads already use the cores.
    workers = max(1, min(_workers(), -(-n_sample // chunk)))
    bounds = [n_sample * k // workers // chunk * chunk for k in range(workers)] + [n_sample]
    with threadpool_limits(limits=1, user_api="blas"):
        if workers == 1:
            run(0, n_sample)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, bounds[:-1], bounds[1:]))
    out = out.astype(np.float64)
    swings = out[:, :n]
    shapley = out[:, n:]
    with np.errstate(invalid="ignore", divide="ignore"):
        banzhaf = swings / swings.sum(axis=1, keepdims=True)
        shapley = shapley / shapley.sum(axis=1, keepdims=True)
    return banzhaf, shapley


def power_indices(seats: xr.Dataset, spec: ForecastSpec) -> xr.Dataset:
    """Banzhaf and Shapley-Shubik indices of every coalition actor, as distributions over samples.

    Parameters
    ----------
    seats : xr.Dataset
        ``NationalSeats`` (or ``SeatDraws``): ``seats`` with dims (sample, party); attr
        ``majority``.
    spec : ForecastSpec
        Chooses the actors (``coalitions.min_seats``, ``coalitions.group_small``).

    Returns
    -------
    xr.Dataset
        ``banzhaf`` and ``shapley_shubik`` with dims (sample, party) over the actors (each row
        sums to 1); their means (party), ``*_eti`` (party, ci_bound), ``p_most_pivotal``
        (party): the probability of holding the largest Banzhaf index (ties shared), and
        ``banzhaf_per_seat_share`` (party): mean index over mean share of the house, above 1 for
        a kingmaker whose power exceeds its seats.

    Examples
    --------
    >>> from forecast.testing import toy_seat_draws, toy_spec
    >>> seats = toy_seat_draws(2, {"alpha": 49, "beta": 49, "gamma": 2})
    >>> power_indices(seats, toy_spec())["banzhaf_mean"].round(3).values.tolist()
    [0.333, 0.333, 0.333]
    """
    check(seats, "NationalSeats")
    quota = int(seats.attrs.get("majority", spec.law.majority_seats))
    actors = coalition_actors(seats, spec)
    banzhaf, shapley = power_kernel(actors["seats"].values, quota)
    valid = np.isfinite(banzhaf).all(axis=1, keepdims=True)
    filled = np.where(valid, banzhaf, 0.0)
    top = valid & np.isclose(filled, filled.max(axis=1, keepdims=True))
    share = top / np.maximum(top.sum(axis=1, keepdims=True), 1)
    q = (1 - CI_PROB) / 2
    data = {
        "banzhaf": ((SAMPLE, PARTY), banzhaf),
        "shapley_shubik": ((SAMPLE, PARTY), shapley),
        "p_most_pivotal": ((PARTY,), share.mean(axis=0)),
    }
    seat_share = actors["seats"].values / float(seats.attrs.get("house_size", spec.law.house_size))
    data["banzhaf_per_seat_share"] = (
        (PARTY,),
        np.nanmean(banzhaf, axis=0) / seat_share.mean(axis=0),
    )
    for name, values in (("banzhaf", banzhaf), ("shapley_shubik", shapley)):
        data[f"{name}_mean"] = ((PARTY,), np.nanmean(values, axis=0))
        data[f"{name}_eti"] = ((PARTY, CI_BOUND), np.nanquantile(values, [q, 1 - q], axis=0).T)
    return xr.Dataset(
        data,
        coords={
            SAMPLE: actors[SAMPLE].values,
            PARTY: actors[PARTY].values,
            CI_BOUND: ["lower", "upper"],
        },
        attrs={"majority": quota, "sample_dims": [SAMPLE], "ci_kind": "eti", "ci_prob": CI_PROB},
    )
