"""The numerical kernel of the rate engine: exact Bernoulli connectivity as CSR arrays,
the entry ranges of CSR rows, and the k-cap.

**Tie rule of the k-cap** (:func:`k_cap`, ``tie_break``):

``"priority"`` (the default everywhere)
    a random priority order of the neurons is drawn *once per run* from the
    run's generator (one permutation per area, drawn when the area is created);
    among neurons with equal input the one with the lower priority value wins.
    Ties are therefore broken uniformly at random over runs, but the same way
    in every round of one run (statistically the same as "lowest index" after a
    random relabelling of the neurons).
``"random"``
    fresh uniform random keys are drawn from the run's generator for the tied
    neurons at every cap, so independent caps break ties independently.
``"index"``
    the lower neuron index wins.

**Input floor** (``floor`` of :func:`k_cap`; ``RateParams.cap_floor`` and
``cap_floor_max`` in a DIRECT run): a neuron whose input is below the floor never
wins, so an area with weak input elects fewer than ``k`` cells or none. Without a
floor (the default) the cap elects exactly ``k`` cells whatever the scale of the
input, as in NEMO.

Inputs are compared as computed (float64 sums of float32 weights); equal means
bit-for-bit equal.

All randomness of a run (connectivity, priorities, stimulus subsets, random
tie keys) comes from one ``numpy.random.Generator(seed)``. Connectivity is
sampled *exactly* (independent Bernoulli per pair, no duplicate synapses) by
drawing geometric gaps between consecutive synapses in row-major order, which
yields sorted CSR arrays directly, in chunks (memory ~8 bytes per synapse plus
a few tens of MB).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

TIE_BREAKS = ("priority", "random", "index")

#: Synapses drawn per chunk when sampling connectivity.
_CHUNK = 1 << 23


def _check_prob(name: str, p: float, allow_zero: bool = False) -> float:
    p = float(p)
    ok = (0.0 <= p <= 1.0) if allow_zero else (0.0 < p <= 1.0)
    if not ok or math.isnan(p):
        rng_txt = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be a probability in {rng_txt}, got {p}")
    return p


def bernoulli_pairs(n_rows: int, n_cols: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Independent Bernoulli(``p``) connectivity of an ``n_rows x n_cols`` matrix.

    Returns ``(indptr, indices)`` of a CSR structure (int64, int32; column
    indices sorted and unique within each row). Sampled exactly by geometric
    gaps between consecutive synapses in row-major order.
    """
    indptr, indices, _ = _bernoulli(n_rows, n_cols, p, rng)
    return indptr, indices


def _bernoulli(
    n_rows: int, n_cols: int, p: float, rng: np.random.Generator, seg: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`bernoulli_pairs`, and with ``seg`` (dividing ``n_cols``) also the
    number of synapses of every row in every run of ``seg`` columns, shape
    ``(n_rows, n_cols // seg)``."""
    n_rows, n_cols = int(n_rows), int(n_cols)
    if n_rows < 0 or n_cols < 0:
        raise ValueError("matrix dimensions must be >= 0")
    p = _check_prob("p", p, allow_zero=True)
    if n_cols > np.iinfo(np.int32).max:
        raise ValueError("n_cols too large for int32 column indices")
    if seg is not None and (seg < 1 or n_cols % seg):
        raise ValueError("seg must divide n_cols")
    width = n_cols if seg is None else seg  # counts are kept per run of `width` columns
    per_row = n_cols // width if n_cols else 0
    counts = np.zeros(n_rows * per_row, dtype=np.int64)
    total = n_rows * n_cols
    if total == 0 or p == 0.0:
        seg_counts = counts.reshape(n_rows, per_row) if seg is not None else None
        return np.zeros(n_rows + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), seg_counts
    mean = total * p
    cap = min(int(mean + 8.0 * math.sqrt(mean * (1.0 - p)) + 64), total)
    out = np.empty(cap, dtype=np.int32)
    filled = 0
    last = -1  # position of the previous synapse in row-major order
    while True:
        size = int(min(_CHUNK, max(1024, (total - last) * p * 1.05 + 1024)))
        pos = rng.geometric(p, size=size)
        np.cumsum(pos, out=pos)
        pos += last
        done = pos[-1] >= total
        if done:
            pos = pos[: np.searchsorted(pos, total)]
        if pos.size:
            last = int(pos[-1])
            runs = pos // width  # = row * per_row + column // width
            counts += np.bincount(runs, minlength=counts.size)
            m = pos.size
            if filled + m > out.size:  # beyond 8 sd: grow (practically never)
                out = np.concatenate([out[:filled], np.empty(filled + m - out.size + cap // 8, dtype=np.int32)])
            if seg is None:
                out[filled : filled + m] = pos - runs * n_cols
            else:
                out[filled : filled + m] = pos - (runs // per_row) * n_cols
            filled += m
        if done:
            break
    counts = counts.reshape(n_rows, per_row)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts.sum(axis=1), out=indptr[1:])
    indices = out[:filled].copy() if filled < out.size // 2 else out[:filled]
    return indptr, indices, (counts if seg is not None else None)


def bernoulli_csr(n_rows: int, n_cols: int, p: float, rng: np.random.Generator, dtype=np.float32) -> sp.csr_array:
    """:func:`bernoulli_pairs` as a ``scipy.sparse.csr_array`` with all weights 1."""
    indptr, indices = bernoulli_pairs(n_rows, n_cols, p, rng)
    data = np.ones(indices.size, dtype=dtype)
    return sp.csr_array((data, indices, indptr), shape=(int(n_rows), int(n_cols)), copy=False)


def row_entries(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions (into ``indices``/``data``) of all entries of ``rows`` of a CSR matrix."""
    rows = np.asarray(rows, dtype=np.int64)
    return _ranges(indptr[rows], indptr[rows + 1])


def _ranges(starts: np.ndarray, ends: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Concatenation of ``arange(s, e)`` for every pair, vectorised (one cumsum).

    ``out``: an int64 array of exactly the total length to write into.
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    nz = ends > starts
    if not nz.all():
        starts, ends = starts[nz], ends[nz]
    lens = ends - starts
    total = int(lens.sum())
    if out is None:
        out = np.empty(total, dtype=np.int64)
    elif out.shape != (total,) or out.dtype != np.int64:
        raise ValueError("out must be an int64 array of the total length")
    if total == 0:
        return out
    out.fill(1)
    first = np.cumsum(lens) - lens  # where each range begins in ``out``
    # at the start of range m the step is starts[m] - (ends[m-1] - 1)
    out[first[1:]] = starts[1:] - ends[:-1] + 1
    out[0] = starts[0]
    np.cumsum(out, out=out)
    return out


def k_cap(
    inputs: np.ndarray,
    k: int,
    *,
    priority: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    floor: float | None = None,
) -> np.ndarray:
    """The ``k`` neurons with the largest input, sorted by index.

    Tie rule: among neurons whose input equals the ``k``-th largest, the ones
    with the smallest ``priority`` win when ``priority`` (a permutation, or any
    array of distinct values) is given; otherwise, when ``rng`` is given, the
    winners among the tied are drawn uniformly at random from ``rng``;
    otherwise the lowest indices win. Exactly ``min(k, len(inputs))`` indices
    are returned when ``floor`` is ``None``.

    ``floor``: the input floor. A neuron whose input is below ``floor`` never
    wins: the winners are the top ``k`` of the neurons with input ``>= floor``,
    so fewer than ``k`` (none at all when no input reaches it) when fewer reach
    it. ``None`` (the default) is the plain k-cap.
    """
    x = np.asarray(inputs)
    n = x.shape[0]
    k = int(k)
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if floor is not None:
        eligible = np.flatnonzero(x >= floor)
        if eligible.size <= k:  # every neuron at or above the floor wins (already sorted)
            return eligible.astype(np.int64, copy=False)
        # more than k reach the floor: the k-th largest is >= floor, the plain k-cap below applies
    if k >= n:
        return np.arange(n, dtype=np.int64)
    top = np.argpartition(x, n - k)[n - k :]
    thr = x[top].min()
    above = np.flatnonzero(x > thr)
    need = k - above.size
    tied = np.flatnonzero(x == thr)
    if need < tied.size:
        if priority is not None:
            keys = np.asarray(priority)[tied]
        elif rng is not None:
            keys = rng.random(tied.size)
        else:
            keys = None
        if keys is None:
            tied = tied[:need]
        else:
            tied = tied[np.argpartition(keys, need - 1)[:need]] if need > 0 else tied[:0]
    win = np.concatenate([above, tied])
    win.sort()
    return win
