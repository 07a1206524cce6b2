"""The compiled path: a block through one fused numba kernel.

The NumPy block functions (:mod:`forecast.seats.block`) are the reference. For large batches the
law can instead run a block through one compiled function (:mod:`forecast.seats.loops`),
whose loops fuse the dozen NumPy passes into a few, a tile of rows at a time. It settles
every row without a tie at the cut and hands the others, and the rows where no list qualifies,
back to the NumPy functions and their tie rule, so the two paths give the same seats
(tests/test_law.py runs both on the same draws). numba is optional and imported only here,
only when the compiled path is asked for.
"""

from __future__ import annotations

import importlib.util
import inspect
import threading
from collections.abc import Callable

import numpy as np

from forecast.seats import loops
from forecast.seats.block import _allocate_block
from forecast.seats.divisors import _divisors
from forecast.seats.remainders import LR_METHODS
from forecast.seats.thresholds import _bar, _limits
from forecast.seats.ties import _Ties

_LR_REMAINDER = {"largest_remainder": 0, "highest_votes": 1, "vote_share": 2}
# The k of each quota T / (M + k) (-1: Droop's floor(T / (M + 1)) + 1) and the rounding codes.
_QUOTA_EXTRA = {"hare": 0.0, "droop": -1.0, "hagenbach_bischoff": 1.0, "imperiali": 2.0}
_ROUNDING = {"exact": 0, "round": 1, "floor": 2, "ceil": 3}
_ALL_ALLOWED = np.zeros((0, 0), dtype=bool)
_compiled_cache: dict[Callable, Callable] = {}
_compile_lock = threading.RLock()  # dask may call from several threads at once
_loops_ready = threading.Event()


def compiled_available() -> bool:
    """Tell whether numba is installed, so that the compiled path can be used."""
    return importlib.util.find_spec("numba") is not None


def _jit(loop: Callable) -> Callable:
    """Return the numba version of a loop function (compiled once, cached on disk by numba)."""
    fn = _compiled_cache.get(loop)
    if fn is None:
        import numba

        with _compile_lock:
            fn = _compiled_cache.get(loop)
            if fn is None:
                fn = numba.njit(cache=True, nogil=True, boundscheck=False)(loop)
                _compiled_cache[loop] = fn
    return fn


def _compiled(name: str) -> Callable:
    """Return the compiled kernel ``name`` of :mod:`forecast.seats.loops`.

    On first use every function of that module is compiled and takes the place of its Python
    function there, where the kernels find their helpers.
    """
    if not _loops_ready.is_set():
        with _compile_lock:
            if not _loops_ready.is_set():
                for key, fn in list(vars(loops).items()):
                    if inspect.isfunction(fn) and fn.__module__ == loops.__name__:
                        setattr(loops, key, _jit(fn))
                _loops_ready.set()
    return getattr(loops, name)


def _block_compiled(
    block: np.ndarray,
    cols: np.ndarray,
    valid: np.ndarray,
    where: np.ndarray,
    first: int,
    m: np.ndarray,
    rule: object,
    *,
    allowed: np.ndarray | None,
    n: int,
    ties: _Ties,
    out: np.ndarray,
) -> np.ndarray:
    """Allocate a block through the kernel of :mod:`forecast.seats.loops` into ``out``.

    The block's rows are runs of equal width, run ``j`` from district ``where[j]`` (lists
    ``cols[:, j]``, -1: none) with ``m`` seats (dims (district,)) and valid votes
    ``valid[first:, where[j]]`` (dims (row, district)); the kernel finds each row's threshold
    from them and write the seats into ``out`` (district, party, row) from row ``first``.
    Rows with a tie at the cut are settled by the NumPy kernels and the tie rule. Returns the
    rows with seats but no qualifying list (left at zero).
    """
    width = block.shape[1] // len(where)
    status = np.zeros(block.shape[1], dtype=np.int8)
    common = (
        block,
        valid,
        where.astype(np.int64),
        first,
        m,
        _limits(rule),
        _ALL_ALLOWED if allowed is None else np.ascontiguousarray(allowed),
    )
    if rule.method in LR_METHODS:  # the same argument types for both families: one compile
        quota = (_QUOTA_EXTRA[LR_METHODS[rule.method]], _ROUNDING[rule.quota_rounding])
        remainder, divisors = _LR_REMAINDER[rule.remainder], (0.0, 0.0, 0.0)
    else:
        quota, remainder = (0.0, 0), -1
        divisors = tuple(float(x) for x in _divisors(rule.method, rule.first_divisor))
    base_valid = rule.quota_base == "valid"
    _compiled("_block_rows")(*common, quota, remainder, base_valid, divisors, cols, out, status)
    tied = np.flatnonzero(status == 1)
    if tied.size:  # the tie rule decides these rows: the NumPy kernels, on the same votes
        run, at = np.divmod(tied, width)
        total = valid[first + at, where[run]].astype(np.float64)
        mt = m[where[run]]
        kept, seats, _ = _allocate_block(
            block[:, tied].astype(np.float64),
            mt,
            total,
            _bar(mt, total, rule.threshold, rule.threshold_quotas),
            rule,
            allowed=None if allowed is None else allowed[:, tied],
            n=n,
            ties=ties.rows(tied),
        )
        if seats is not None:
            real = cols[kept][:, run] >= 0  # dims (kept list, tied row)
            district = np.broadcast_to(where[run], real.shape)[real]
            rows = np.broadcast_to(first + at, real.shape)[real]
            out[district, cols[kept][:, run][real], rows] = seats[real]
    return np.flatnonzero(status == 2)
