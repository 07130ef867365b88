"""The rate-based engine: the Assembly Calculus (NEMO) model in NumPy/SciPy.

Model (Papadimitriou et al., PNAS 2020; docs/direct-method.md section 1)
-------------------------------------------------------------------------
Time is discrete (rounds). A brain area holds ``n`` neurons; synapses are
independent Bernoulli(``p``) draws per ordered pair of cells, weight 1 at the
start. In a round every neuron of a firing area sums the weights of its
synapses from the cells that fired in the previous round (stimulus cells and
winners of source areas), and exactly ``k`` neurons with the largest input
fire: the **k-cap**. Plasticity is multiplicative Hebbian: if ``i`` fired in
round ``t`` and ``j`` fires in round ``t + 1``, ``W[i, j] *= 1 + beta``, with
``beta`` a property of the fibre (the (source, target) connection), so that
plasticity can be turned up and down per connection.

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

Inputs are compared as computed (float64 sums of float32 weights); equal means
bit-for-bit equal.

All randomness of a run (connectivity, priorities, stimulus subsets, random
tie keys) comes from one ``numpy.random.Generator(seed)``. Connectivity is
sampled *exactly* (independent Bernoulli per pair, no duplicate synapses) by
drawing geometric gaps between consecutive synapses in row-major order, which
yields sorted CSR arrays directly, in chunks (memory ~8 bytes per synapse plus
a few tens of MB).

Primitives
----------
:func:`bernoulli_pairs` / :func:`bernoulli_csr`, :func:`k_cap`,
:func:`row_entries`, :class:`Fibre` (a plastic CSR fibre with ``input`` and
``hebbian``), :class:`Area`, :class:`Stimulus`, :class:`Brain` (``step`` = one
synchronous round of the NEMO ``project`` operation, which covers projection,
reciprocal projection and association/co-activation), and :func:`project`
(the literature projection experiment, every synapse explicit).

:func:`project_nemo_lazy` re-implements the *sparse simulation* of the
reference NEMO code for comparison. It differs from the model above in one
respect: the inputs of neurons that have never fired are drawn afresh every
round (they keep no synapses until they first win). With every synapse kept,
the neurons that narrowly lost keep their advantage, fewer new winners appear,
and the support is smaller and more seed-dependent (at ``n = 1e5, k = 317,
p = 0.01``: about 6% lower at ``beta = 0.05`` and 8% lower at ``beta = 0.1``,
see ``benchmarks/rate_projection.py``).

The DIRECT engine
-----------------
:class:`RateParams` and :func:`run_rate` turn a
:class:`~spiking_direct.protocol.Protocol` into a
:class:`~spiking_direct.recording.Recording`. How a window maps onto rounds:

* The distinct clock offsets of the *active* areas of the window, sorted,
  define the rounds: the areas with the smallest offset fire in round 0, the
  next offset in round 1, and so on (only the order of offsets matters, not
  their size). With the DIRECT protocol there are one (identify, zero-lead
  control) or two (couple, probe) rounds.
* An area firing in round ``r`` receives input from its stimulus (the cells of
  input set ``stim_set[w, a]``; a fraction ``stim_strength[w, a]`` of them,
  at least one cell when the strength is > 0, chosen with the generator;
  with ``stimulus="graded"`` every cell of the set, its input scaled by the
  strength) and
  from the winners of every area ``pre`` that fired in an earlier round of
  the window and whose fibre into it is on (``fiber[w, pre, a]``); with two
  offset levels (couple, probe) that is the round ``r - 1`` winners, in the
  depth-staggered intervene windows an area hears every area upstream. An active area with no input source at all
  (no stimulus cell and no transmitting fibre from the previous round) stays
  silent; every other active area fires exactly ``k`` winners (a probe target
  without a stimulus takes the top ``k`` of the fibre input: the readout).
* ``extra_rounds`` (default 0) further rounds follow, in which every area that
  fired repeats from its stimulus and its own previous winners through
  recurrent synapses (``p_rec``, plastic with ``beta_rec``). Note that the
  inter-area rule applies in these rounds too, so they strengthen the reverse
  direction as well; they are off by default.
* Plasticity, for every pair of consecutive rounds ``r, r + 1`` and every
  ordered pair of distinct areas with ``gain[w, pre, post] > 0``:
  ``W[i, j] *= 1 + gain`` for ``i`` in the round ``r`` winners of ``pre`` and
  ``j`` in the round ``r + 1`` winners of ``post`` (whether or not the fibre
  transmits). A leading area's fibre into the lagging one is strengthened, the
  reverse is not; with equal offsets (control ``zero_lead``) neither is.
* Input -> area weights stay at 1 (``beta_in = 0``, the default): assemblies
  are then the deterministic top ``k`` of a fixed input (up to the tie rule)
  and do not drift during coupling. With ``beta_in > 0`` the fired input cells'
  synapses onto the winners of the same round are multiplied by
  ``1 + beta_in`` in every window (NEMO's stimulus plasticity).
* Spikes: ``spike_time = round * 1e-3`` s (round counted from 0 in the
  window), neurons numbered ``area * n + local``.
* Inter-area weights are one CSR matrix over all ``A * n`` neurons whose
  diagonal blocks are empty; a per-row block pointer gives the entries of any
  (pre area, post area) block without scanning. ``connectivity="linked"``
  (:class:`RateParams`) keeps only the blocks of the ordered pairs of areas
  the protocol couples, both directions (:func:`linked_pairs`); the fibre of
  any other pair does not exist: it neither transmits nor learns.
  ``info["n_synapses_inter"]`` counts the inter-area synapses,
  ``info["memory_inter_bytes"]`` is their memory (weights, column indices,
  row and block pointers).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp

from ..encoding import Encoding
from ..protocol import Protocol
from ..recording import Recording

__all__ = [
    "TIE_BREAKS",
    "CONNECTIVITIES",
    "linked_pairs",
    "bernoulli_pairs",
    "bernoulli_csr",
    "row_entries",
    "k_cap",
    "Fibre",
    "Stimulus",
    "Area",
    "Brain",
    "project",
    "project_nemo_lazy",
    "RateParams",
    "run_rate",
]

TIE_BREAKS = ("priority", "random", "index")
CONNECTIVITIES = ("all", "linked")
STIMULI = ("sampled", "graded")
RULES = ("multiplicative", "outstar")

#: Synapses drawn per chunk when sampling connectivity.
_CHUNK = 1 << 23


# --------------------------------------------------------------------------
# Connectivity
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# The k-cap
# --------------------------------------------------------------------------
def k_cap(
    inputs: np.ndarray, k: int, *, priority: np.ndarray | None = None, rng: np.random.Generator | None = None
) -> np.ndarray:
    """The ``k`` neurons with the largest input, sorted by index.

    Tie rule: among neurons whose input equals the ``k``-th largest, the ones
    with the smallest ``priority`` win when ``priority`` (a permutation, or any
    array of distinct values) is given; otherwise, when ``rng`` is given, the
    winners among the tied are drawn uniformly at random from ``rng``;
    otherwise the lowest indices win. Exactly ``min(k, len(inputs))`` indices
    are returned.
    """
    x = np.asarray(inputs)
    n = x.shape[0]
    k = int(k)
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if k == 0:
        return np.zeros(0, dtype=np.int64)
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


# --------------------------------------------------------------------------
# NEMO primitives: fibres, areas, stimuli, the brain
# --------------------------------------------------------------------------
class Fibre:
    """Plastic synapses from a population of ``n_pre`` cells to one of ``n_post``.

    Stored as CSR (rows = pre cells, float32 weights). ``beta`` is the fibre's
    plasticity (``W[i, j] *= 1 + beta`` for the Hebbian pairs).

    When every pre cell fires (a full stimulus volley, ``pre=None``) the input
    is cached and kept up to date by :meth:`hebbian` through a column index, so
    a repeatedly fired stimulus costs nothing per round; the cached values are
    bit-for-bit those of a fresh computation. Gathering rows uses reusable work
    arrays, so a round at large ``n`` does not fault in fresh memory pages.
    """

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_post: int, beta: float = 0.0):
        self.indptr = indptr
        self.indices = indices
        self.data = data
        self.n_pre = int(indptr.shape[0] - 1)
        self.n_post = int(n_post)
        self.beta = float(beta)
        self._full: np.ndarray | None = None  # cached input of a full volley
        self._col: tuple | None = None  # (entry order by column, column pointer)
        self._last: tuple | None = None  # (pre, entries, columns) of the last input()
        self._bufs: dict[str, np.ndarray] = {}

    @classmethod
    def random(cls, n_pre: int, n_post: int, p: float, rng: np.random.Generator, beta: float = 0.0) -> "Fibre":
        indptr, indices = bernoulli_pairs(n_pre, n_post, p, rng)
        return cls(indptr, indices, np.ones(indices.size, dtype=np.float32), n_post, beta)

    @property
    def nnz(self) -> int:
        return int(self.indices.size)

    @property
    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.indices.nbytes + self.data.nbytes)

    def matrix(self) -> sp.csr_array:
        """The weights as a ``scipy.sparse.csr_array`` (shares memory; after
        changing ``data`` in place call :meth:`invalidate`)."""
        return sp.csr_array((self.data, self.indices, self.indptr), shape=(self.n_pre, self.n_post), copy=False)

    def invalidate(self) -> None:
        """Forget the cached full-volley input (after editing ``data`` directly)."""
        self._full = None

    def entries(self, pre: np.ndarray | None) -> np.ndarray | None:
        """Entry positions of the rows ``pre`` (``None`` = every row); a new array."""
        return None if pre is None else row_entries(self.indptr, pre)

    def _buf(self, name: str, size: int, dtype) -> np.ndarray:
        """A reusable work array (avoids fresh pages every round at large n)."""
        b = self._bufs.get(name)
        if b is None or b.size < size:
            b = np.empty(int(size * 1.25) + 64, dtype=dtype)
            self._bufs[name] = b
        return b[:size]

    def input(self, pre: np.ndarray | None) -> np.ndarray:
        """Summed weight onto every post cell from the firing pre cells ``pre``
        (``None``: every pre cell fires). A new float64 array of shape ``(n_post,)``.

        The entries gathered here are kept until the next call, so that a
        :meth:`hebbian` on the *same* ``pre`` array object reuses them.
        """
        if pre is None:
            if self._full is None:
                self._full = np.bincount(self.indices, weights=self.data, minlength=self.n_post)
            return self._full.copy()
        pre = np.asarray(pre)
        rows = pre.astype(np.int64, copy=False)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        total = int((ends - starts).sum())
        e = _ranges(starts, ends, out=self._buf("e", total, np.int64))
        cols = self._buf("c", total, np.intp)
        cols[...] = np.take(self.indices, e, out=self._buf("c_raw", total, self.indices.dtype))
        w = self._buf("w", total, np.float64)
        w[...] = np.take(self.data, e, out=self._buf("w_raw", total, self.data.dtype))
        self._last = (pre, e, cols)
        return np.bincount(cols, weights=w, minlength=self.n_post)

    def _column_entries(self, post: np.ndarray) -> np.ndarray:
        if self._col is None:
            order = np.argsort(self.indices, kind="stable")
            ptr = np.zeros(self.n_post + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.indices, minlength=self.n_post), out=ptr[1:])
            self._col = (order, ptr)
        order, ptr = self._col
        post = np.asarray(post, dtype=np.int64)
        hit = order[_ranges(ptr[post], ptr[post + 1])]
        hit.sort()
        return hit

    def hebbian(self, pre: np.ndarray | None, post: np.ndarray, beta: float | None = None) -> int:
        """``W[i, j] *= 1 + beta`` for every existing synapse with ``i`` in ``pre``
        (``None`` = all) and ``j`` in ``post`` (default ``beta``: the fibre's);
        returns the number of synapses changed."""
        beta = self.beta if beta is None else float(beta)
        post = np.unique(np.asarray(post, dtype=np.int64))
        if beta == 0.0 or post.size == 0:
            return 0
        if pre is None:
            hit = self._column_entries(post)
        else:
            mask = np.zeros(self.n_post, dtype=bool)
            mask[post] = True
            last = self._last
            if last is not None and last[0] is pre:
                e, cols = last[1], last[2]
            else:
                e = self.entries(pre)
                cols = self.indices[e]
            hit = e[mask[cols]]
        self._last = None
        self.data[hit] *= np.float32(1.0 + beta)
        if self._full is not None:
            if pre is None:  # every entry of the post columns changed: recompute those sums
                sums = np.bincount(self.indices[hit], weights=self.data[hit], minlength=self.n_post)
                self._full[post] = sums[post]
            elif hit.size:
                self._full = None
        return int(hit.size)


@dataclass
class Stimulus:
    """A set of ``size`` input cells; all of them fire when the stimulus fires."""

    name: str
    size: int


class Area:
    """A brain area of ``n`` neurons with cap ``k``.

    ``winners`` holds the current winners (sorted local indices), ``ever`` marks
    the neurons that have ever won; ``support`` counts them. ``priority`` is the
    area's tie-break order (``"priority"`` rule), drawn once when created.
    """

    def __init__(self, name: str, n: int, k: int, beta: float, priority: np.ndarray | None):
        if n < 1 or not 1 <= k <= n:
            raise ValueError(f"area {name!r}: need 1 <= k <= n, got n={n}, k={k}")
        self.name = name
        self.n = int(n)
        self.k = int(k)
        self.beta = float(beta)
        self.priority = priority
        self.winners = np.zeros(0, dtype=np.int64)
        self.ever = np.zeros(self.n, dtype=bool)

    @property
    def support(self) -> int:
        return int(self.ever.sum())


class Brain:
    """Areas, stimuli and the fibres between them; one generator for everything.

    ``step(stim_to_area, area_to_area)`` is one synchronous round of NEMO's
    ``project``: every target area sums the input from the named stimuli (all
    their cells fire) and from the *current* winners of the named source areas,
    takes its k-cap, the fibres that carried input are updated by the Hebbian
    rule with their own ``beta``, and then all targets' winners are replaced
    at once. Projection, reciprocal projection and association (two sources
    co-firing into one area) are sequences of steps.
    """

    def __init__(self, seed: int | np.random.Generator | None = 0, tie_break: str = "priority"):
        if tie_break not in TIE_BREAKS:
            raise ValueError(f"unknown tie_break {tie_break!r}; choose from {list(TIE_BREAKS)}")
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.tie_break = tie_break
        self.areas: dict[str, Area] = {}
        self.stimuli: dict[str, Stimulus] = {}
        self.fibres: dict[tuple[str, str], Fibre] = {}
        self.plasticity = True

    # -- building --------------------------------------------------------------
    def add_stimulus(self, name: str, size: int) -> Stimulus:
        if name in self.stimuli or name in self.areas:
            raise ValueError(f"name {name!r} already used")
        if int(size) < 1:
            raise ValueError("a stimulus needs at least one cell")
        self.stimuli[name] = Stimulus(name, int(size))
        return self.stimuli[name]

    def add_area(self, name: str, n: int, k: int, beta: float = 0.05) -> Area:
        if name in self.stimuli or name in self.areas:
            raise ValueError(f"name {name!r} already used")
        prio = self.rng.permutation(int(n)) if self.tie_break == "priority" else None
        self.areas[name] = Area(name, n, k, beta, prio)
        return self.areas[name]

    def _size(self, name: str) -> int:
        if name in self.stimuli:
            return self.stimuli[name].size
        if name in self.areas:
            return self.areas[name].n
        raise KeyError(f"no stimulus or area named {name!r}")

    def connect(self, src: str, dst: str, p: float, beta: float | None = None) -> Fibre:
        """Random fibre ``src -> dst`` (``src`` a stimulus or an area), weight 1,
        plasticity ``beta`` (default: the target area's ``beta``)."""
        if dst not in self.areas:
            raise KeyError(f"no area named {dst!r}")
        p = _check_prob("p", p)
        beta = self.areas[dst].beta if beta is None else float(beta)
        f = Fibre.random(self._size(src), self.areas[dst].n, p, self.rng, beta)
        self.fibres[(src, dst)] = f
        return f

    def set_beta(self, src: str, dst: str, beta: float) -> None:
        """Local plasticity control: the ``beta`` of one fibre."""
        self.fibres[(src, dst)].beta = float(beta)

    # -- dynamics --------------------------------------------------------------
    def cap(self, area: Area, x: np.ndarray) -> np.ndarray:
        if self.tie_break == "priority":
            return k_cap(x, area.k, priority=area.priority)
        if self.tie_break == "random":
            return k_cap(x, area.k, rng=self.rng)
        return k_cap(x, area.k)

    def step(self, stim_to_area: dict | None = None, area_to_area: dict | None = None) -> dict[str, np.ndarray]:
        """One round; returns the new winners of every target area."""
        sources: dict[str, list[str]] = {}
        for src, dsts in (stim_to_area or {}).items():
            if src not in self.stimuli:
                raise KeyError(f"no stimulus named {src!r}")
            for d in dsts:
                sources.setdefault(d, []).append(src)
        for src, dsts in (area_to_area or {}).items():
            if src not in self.areas:
                raise KeyError(f"no area named {src!r}")
            if self.areas[src].winners.size == 0:
                raise ValueError(f"area {src!r} has no winners to project")
            for d in dsts:
                sources.setdefault(d, []).append(src)
        new: dict[str, np.ndarray] = {}
        for dst, srcs in sources.items():
            area = self.areas[dst]
            x = np.zeros(area.n)
            pending = []
            for src in srcs:
                if (src, dst) not in self.fibres:
                    raise KeyError(f"no fibre {src!r} -> {dst!r}; call connect() first")
                f = self.fibres[(src, dst)]
                pre = None if src in self.stimuli else self.areas[src].winners
                x += f.input(pre)
                if self.plasticity and f.beta != 0.0:
                    # the Hebbian update right away reuses the entries input() gathered;
                    # it changes only synapses of this fibre, whose input is already summed
                    pending.append((f, pre, dst))
            new[dst] = self.cap(area, x)
            for f, pre, _ in pending:
                f.hebbian(pre, new[dst])
        for dst, win in new.items():
            self.areas[dst].winners = win
            self.areas[dst].ever[win] = True
        return new


def project(
    n: int = 100_000,
    k: int = 317,
    p: float = 0.01,
    beta: float = 0.05,
    rounds: int = 40,
    seed: int = 0,
    tie_break: str = "priority",
) -> dict:
    """The projection experiment: a stimulus of ``k`` cells fires into an area
    of ``n`` neurons for ``rounds`` rounds; stimulus -> area and the recurrent
    area -> area synapses (both Bernoulli ``p``, both plastic with ``beta``).

    As in NEMO, round 1 has the stimulus only; recurrent input enters from
    round 2.

    Returns a dict: ``support`` (cumulative support after each round),
    ``winners`` (list of the winners of each round), ``new_winners`` (number of
    first-time winners per round), ``last_new_round`` (the last round, 1-based,
    that added a winner), ``round_ms`` (wall time of each round),
    ``build_s`` and ``synapses``.
    """
    if rounds < 1:
        raise ValueError("rounds must be >= 1")
    t0 = time.perf_counter()
    brain = Brain(seed, tie_break)
    brain.add_stimulus("stim", k)
    brain.add_area("A", n, k, beta)
    brain.connect("stim", "A", p)
    brain.connect("A", "A", p)
    build_s = time.perf_counter() - t0
    area = brain.areas["A"]
    support, winners, round_ms, new_w = [], [], [], []
    for r in range(rounds):
        before = area.support
        t = time.perf_counter()
        brain.step({"stim": ["A"]}, {"A": ["A"]} if r > 0 else {})
        round_ms.append((time.perf_counter() - t) * 1e3)
        winners.append(area.winners.copy())
        support.append(area.support)
        new_w.append(area.support - before)
    new_w = np.asarray(new_w)
    last = int(np.flatnonzero(new_w > 0).max()) + 1
    return {
        "support": np.asarray(support),
        "winners": winners,
        "new_winners": new_w,
        "last_new_round": last,
        "round_ms": np.asarray(round_ms),
        "build_s": build_s,
        "synapses": sum(f.nnz for f in brain.fibres.values()),
    }


def project_nemo_lazy(
    n: int = 100_000,
    k: int = 317,
    p: float = 0.01,
    beta: float = 0.05,
    rounds: int = 40,
    seed: int = 0,
    candidates: str = "exact",
) -> dict:
    """NEMO's *sparse* simulation of the projection experiment, for comparison.

    The reference NEMO code (``brain.py``, non-explicit areas) materialises a
    neuron only when it first wins. Every round it draws the inputs of the
    ``n - w`` never-fired neurons afresh, as independent
    ``Binomial(k_stim + k_winners, p)`` values (``candidates="exact"``: the top
    ``k`` of them, exactly, from a multinomial histogram; ``"truncnorm"``: as
    NEMO, ``k`` rounded truncated-normal draws above the ``(n-w-k)/(n-w)``
    binomial quantile), and a new winner's synapses from the firing cells are
    then drawn to match its sampled input. So a never-fired neuron keeps no
    memory of its stimulus synapses between rounds: a neuron that narrowly
    lost is as likely as any other to be a strong candidate next round. In the
    explicit model (:func:`project`) every neuron keeps its synapses, so the
    never-fired population is depleted of strongly driven neurons and fewer new
    winners appear: the support is smaller and converges sooner.

    Ties follow NEMO (``heapq.nlargest``): earlier-materialised neurons win,
    candidates come last. Returns the same keys as :func:`project` (winners are
    in materialisation order, not neuron ids).
    """
    from scipy.stats import binom, truncnorm

    if candidates not in ("exact", "truncnorm"):
        raise ValueError("candidates must be 'exact' or 'truncnorm'")
    rng = np.random.default_rng(seed)
    cap = 4 * k
    R = np.zeros((cap, cap), dtype=np.float64)  # R[i, j]: synapse i -> j among materialised neurons
    stim_in = np.zeros(cap)  # total stimulus weight onto each materialised neuron
    w = 0
    winners = np.zeros(0, dtype=np.int64)
    support, new_w, all_w, round_ms = [], [], [], []
    for r in range(rounds):
        t = time.perf_counter()
        k_src = k if r > 0 else 0  # firing winners (recurrence from round 2)
        total = k + k_src
        old = stim_in[:w].copy()
        if k_src:
            old += R[winners, :w].sum(axis=0)
        N = n - w
        if candidates == "exact":
            pmf = binom.pmf(np.arange(total + 1), total, p)
            hist = rng.multinomial(N, pmf / pmf.sum())
            vals = np.repeat(np.arange(total + 1)[::-1], hist[::-1])[:k].astype(float)
        else:
            alpha = binom.ppf((N - k) / N, total, p)
            mu, sd = total * p, math.sqrt(total * p * (1 - p))
            a, b = (alpha - mu) / sd, (total - mu) / sd
            vals = np.round(truncnorm.rvs(a, b, scale=sd, size=k, random_state=rng) + mu)
        allx = np.concatenate([old, vals])
        order = np.lexsort((np.arange(allx.size), -allx))[:k]  # larger first, lower index on ties
        win_old = np.sort(order[order < w])
        first = vals[order[order >= w] - w]
        m = first.size
        if w + m > cap:  # grow the materialised store
            new_cap = max(2 * cap, w + m)
            R2 = np.zeros((new_cap, new_cap))
            R2[:cap, :cap] = R
            s2 = np.zeros(new_cap)
            s2[:cap] = stim_in
            R, stim_in, cap = R2, s2, new_cap
        new_ids = np.arange(w, w + m)
        if m:
            # split each new winner's input between the stimulus and the firing winners
            from_stim = rng.hypergeometric(k, k_src, first.astype(np.int64)) if k_src else first.astype(np.int64)
            from_win = first.astype(np.int64) - from_stim
            stim_in[new_ids] = from_stim
            # synapses onto the new neurons from all materialised ones: Bernoulli(p) ...
            R[: w + m, new_ids] = rng.random((w + m, m)) < p
            # ... except from the firing winners: exactly from_win of them, chosen at random
            if k_src:
                R[winners[:, None], new_ids[None, :]] = 0.0
                keys = rng.random((k_src, m))
                rank = np.argsort(np.argsort(keys, axis=0), axis=0)
                R[winners[:, None], new_ids[None, :]] = (rank < from_win[None, :]).astype(float)
            # synapses from the new neurons onto the old ones: Bernoulli(p)
            R[np.ix_(new_ids, np.arange(w))] = rng.random((m, w)) < p
        new_winners = np.concatenate([win_old, new_ids])
        stim_in[new_winners] *= 1.0 + beta
        if k_src:
            R[np.ix_(winners, new_winners)] *= 1.0 + beta
        w += m
        winners = new_winners
        round_ms.append((time.perf_counter() - t) * 1e3)
        support.append(w)
        new_w.append(m)
        all_w.append(winners.copy())
    new_w = np.asarray(new_w)
    return {
        "support": np.asarray(support),
        "winners": all_w,
        "new_winners": new_w,
        "last_new_round": int(np.flatnonzero(new_w > 0).max()) + 1,
        "round_ms": np.asarray(round_ms),
        "build_s": 0.0,
        "synapses": None,
    }


# --------------------------------------------------------------------------
# The DIRECT engine
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class RateParams:
    """Parameters of the rate (Assembly Calculus) engine.

    n : neurons per area (>= 2)
    k : cap (assembly size); ``None`` = ``round(sqrt(n))``
    p_inter : connectivity of the fibre between every ordered pair of distinct areas, in (0, 1]
    n_in : input cells per input set; ``None`` = ``k``
    p_in : input cell -> area connectivity, in (0, 1]
    p_rec : recurrent connectivity inside an area, in [0, 1] (0 = none; used by extra rounds)
    beta_rec : plasticity of the recurrent synapses (>= 0)
    beta_in : plasticity of the input -> area synapses (>= 0; 0 keeps them at weight 1)
    extra_rounds : rounds per window after the offset rounds (>= 0)
    tie_break : k-cap tie rule, one of :data:`TIE_BREAKS`
    connectivity : inter-area synapses, one of :data:`CONNECTIVITIES`: ``"all"``
        (a fibre for every ordered pair of distinct areas) or ``"linked"``
        (only the ordered pairs the protocol couples, both directions:
        :func:`linked_pairs`; the same meaning as the spiking engine's
        ``SpikingParams.connectivity``). With ``"linked"`` the weights cost
        ``2 L n^2 p_inter`` synapses for ``L`` links instead of
        ``A (A - 1) n^2 p_inter``; a probe of a pair without a fibre leaves
        the target silent, and the readouts of such pairs carry no learning
        (their ``delta`` is 0 by construction).
    stimulus : how a stimulus weaker than full strength (the rate code's
        other values) is presented, one of :data:`STIMULI`. ``"sampled"``
        (default): that fraction of the set's cells fires, drawn anew each
        window: a spike count, as in the spiking engine, whose input cells
        fire with that probability. ``"graded"``: every cell fires at that
        fraction of the full rate, so the input is the full input scaled. A
        k-cap is invariant to the scale of its input, so under ``"graded"``
        every value of a rate-coded variable elects the same assembly and
        the separation has no effect on what is learned.
    rule : plasticity of the inter-area fibres in coupling windows, one of
        :data:`RULES`. ``"multiplicative"`` (default, the NEMO rule):
        ``W[i, j] *= 1 + beta`` for a winner ``i`` and a winner ``j`` of the
        next round. ``"outstar"`` (Grossberg's outstar, presynaptically
        gated): for every synapse of a winner ``i`` into the next round's
        area, ``W[i, j] += beta * (1 + outstar_gain * [j wins] - W[i, j])``:
        the weight moves a fraction ``beta`` of the way towards what ``j``
        did, so it tends to ``1 + outstar_gain * P(j wins | i fired)``. With
        the ``harmonic`` gain schedule (``beta = 1/m`` at the ``m``-th
        presentation of ``i``'s value) it is exactly that running mean; the
        multiplicative rule instead counts the co-activations, so the
        weights encode how often two values occur *together* (a joint
        frequency, which grows without bound with exposure).
    outstar_gain : weight above 1 that a synapse tends to when its target
        always fires after its source (``rule="outstar"``; > 0)
    """

    n: int = 1000
    k: int | None = None
    p_inter: float = 0.2
    n_in: int | None = None
    p_in: float = 0.1
    p_rec: float = 0.0
    beta_rec: float = 0.0
    beta_in: float = 0.0
    extra_rounds: int = 0
    tie_break: str = "priority"
    connectivity: str = "all"
    stimulus: str = "sampled"
    rule: str = "multiplicative"
    outstar_gain: float = 30.0

    def __post_init__(self):
        if int(self.n) != self.n or self.n < 2:
            raise ValueError(f"n must be an integer >= 2, got {self.n}")
        if self.k is not None and (int(self.k) != self.k or not 1 <= self.k <= self.n):
            raise ValueError(f"k must be an integer in [1, n={self.n}], got {self.k}")
        if self.n_in is not None and (int(self.n_in) != self.n_in or self.n_in < 1):
            raise ValueError(f"n_in must be an integer >= 1, got {self.n_in}")
        _check_prob("p_inter", self.p_inter)
        _check_prob("p_in", self.p_in)
        _check_prob("p_rec", self.p_rec, allow_zero=True)
        for name in ("beta_rec", "beta_in"):
            v = float(getattr(self, name))
            if not v >= 0.0:
                raise ValueError(f"{name} must be >= 0, got {v}")
        if int(self.extra_rounds) != self.extra_rounds or self.extra_rounds < 0:
            raise ValueError(f"extra_rounds must be an integer >= 0, got {self.extra_rounds}")
        if self.tie_break not in TIE_BREAKS:
            raise ValueError(f"unknown tie_break {self.tie_break!r}; choose from {list(TIE_BREAKS)}")
        if self.stimulus not in STIMULI:
            raise ValueError(f"stimulus must be one of {list(STIMULI)}, got {self.stimulus!r}")
        if self.connectivity not in CONNECTIVITIES:
            raise ValueError(f"connectivity must be one of {list(CONNECTIVITIES)}, got {self.connectivity!r}")
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {list(RULES)}, got {self.rule!r}")
        if not float(self.outstar_gain) > 0:
            raise ValueError(f"outstar_gain must be > 0, got {self.outstar_gain}")

    @property
    def k_eff(self) -> int:
        return int(self.k) if self.k is not None else max(1, int(round(math.sqrt(self.n))))

    @property
    def n_in_eff(self) -> int:
        return int(self.n_in) if self.n_in is not None else self.k_eff

    def to_dict(self) -> dict:
        return {**asdict(self), "k_eff": self.k_eff, "n_in_eff": self.n_in_eff}


def linked_pairs(protocol: Protocol) -> np.ndarray:
    """(A, A) bool: the ordered pairs of areas the protocol couples, in both
    directions (the same as ``spiking_direct.engines.spiking.linked_pairs``,
    without importing Brian2)."""
    A = int(protocol.n_areas)
    allowed = np.zeros((A, A), dtype=bool)
    for u, v in protocol.coupled_links:
        allowed[u, v] = allowed[v, u] = True
    return allowed


class _InterArea:
    """All inter-area synapses as one CSR over ``A * n`` neurons (empty diagonal
    blocks), with ``block[i, b]`` = first entry of row ``i`` in post area ``b``.

    ``allowed`` (A x A bool, default: every ordered pair of distinct areas)
    says which (pre area, post area) blocks get synapses; the others stay
    empty (no synapse, so the fibre does not exist). With every pair allowed
    the draws are those of the all-pairs network."""

    def __init__(self, A: int, n: int, p: float, rng: np.random.Generator, allowed: np.ndarray | None = None):
        self.A, self.n = A, n
        if allowed is None:
            allowed = ~np.eye(A, dtype=bool)
        allowed = np.asarray(allowed, dtype=bool).copy()
        if allowed.shape != (A, A):
            raise ValueError(f"allowed must have shape ({A}, {A}), got {allowed.shape}")
        np.fill_diagonal(allowed, False)
        self.allowed = allowed
        self.block = np.zeros((A * n, A + 1), dtype=np.int64)
        idx = []
        start = 0
        for a in range(A):  # rows of area a: the columns of its allowed post areas, sorted
            targets = np.flatnonzero(allowed[a])
            rows = slice(a * n, (a + 1) * n)
            self.block[rows, :] = start
            if targets.size == 0:
                continue
            indptr, cols, per = _bernoulli(n, targets.size * n, p, rng, seg=n)
            seg = cols // np.int32(n)  # which allowed target, 0..len-1
            cols += ((targets.astype(np.int32) - np.arange(targets.size, dtype=np.int32)) * np.int32(n))[seg]
            full = np.zeros((n, A), dtype=np.int64)  # synapses per post area
            full[:, targets] = per
            self.block[rows, 0] = start + indptr[:-1]
            np.cumsum(full, axis=1, out=self.block[rows, 1:])
            self.block[rows, 1:] += self.block[rows, :1]
            start += int(indptr[-1])
            idx.append(cols)
        self.indptr = np.concatenate([self.block[:, 0], [start]])
        self.indices = np.concatenate(idx) if idx else np.zeros(0, np.int32)
        self.data = np.ones(self.indices.size, dtype=np.float32)

    def connected(self, pre_area: int, post_area: int) -> bool:
        """Whether the fibre ``pre_area -> post_area`` exists (its block may still be empty by chance)."""
        return bool(self.allowed[pre_area, post_area])

    @property
    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.indices.nbytes + self.data.nbytes + self.block.nbytes)

    def entries(self, pre_area: int, pre_local: np.ndarray, post_area: int) -> np.ndarray:
        rows = pre_area * self.n + np.asarray(pre_local, dtype=np.int64)
        return _ranges(self.block[rows, post_area], self.block[rows, post_area + 1])

    def input(self, e: np.ndarray, post_area: int) -> np.ndarray:
        cols = self.indices[e].astype(np.int64) - post_area * self.n
        return np.bincount(cols, weights=self.data[e], minlength=self.n)

    def _hits_post(self, e: np.ndarray, post_area: int, post_local: np.ndarray) -> np.ndarray:
        """For each synapse of ``e``: does it end on one of the cells ``post_local`` of ``post_area``?"""
        mask = np.zeros(self.A * self.n, dtype=bool)
        mask[post_area * self.n + post_local] = True
        return mask[self.indices[e]]

    def hebbian(self, e: np.ndarray, post_area: int, post_local: np.ndarray, gain: float) -> int:
        hit = e[self._hits_post(e, post_area, post_local)]
        self.data[hit] *= np.float32(1.0 + gain)
        return int(hit.size)

    def outstar(self, e: np.ndarray, post_area: int, post_local: np.ndarray, gain: float, c: float) -> int:
        """``W += gain * (1 + c [post wins] - W)`` on the synapses ``e`` (of the
        presynaptic winners into ``post_area``); returns how many were updated."""
        target = np.where(self._hits_post(e, post_area, post_local), np.float32(1.0 + c), np.float32(1.0))
        self.data[e] += np.float32(gain) * (target - self.data[e])
        return int(e.size)


def run_rate(
    protocol: Protocol,
    encoding: Encoding,
    params: RateParams | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Recording:
    """Run ``protocol`` on the rate engine (see the module docstring for the
    window -> rounds mapping) and return the :class:`Recording`."""
    params = RateParams() if params is None else params
    t_build = time.perf_counter()
    rng = np.random.default_rng(seed)
    A, n, k, n_in = int(protocol.n_areas), int(params.n), params.k_eff, params.n_in_eff
    set_area = encoding.set_area()
    if len(encoding.cardinalities) != A:
        raise ValueError(f"encoding has {len(encoding.cardinalities)} variables, protocol {A} areas")
    ss = protocol.stim_set
    used = ss >= 0
    if used.any():
        if ss.max() >= encoding.n_sets:
            raise ValueError(f"protocol stimulates input set {int(ss.max())}, encoding has {encoding.n_sets}")
        wa = np.nonzero(used)
        if np.any(set_area[ss[wa]] != wa[1]):
            raise ValueError("protocol stimulates an input set in an area it does not belong to")

    # randomness, in a fixed order: priorities, input fibres, inter-area, recurrent
    priority = rng.permutation(A * n) if params.tie_break == "priority" else None
    inputs = [Fibre.random(n_in, n, params.p_in, rng, params.beta_in) for _ in range(encoding.n_sets)]
    allowed = linked_pairs(protocol) if params.connectivity == "linked" else None
    inter = _InterArea(A, n, params.p_inter, rng, allowed)
    recurrent = [Fibre.random(n, n, params.p_rec, rng, params.beta_rec) for _ in range(A)] if params.p_rec > 0 else None
    w_initial = inter.data.copy()
    build_s = time.perf_counter() - t_build

    def cap(a: int, x: np.ndarray) -> np.ndarray:
        if params.tie_break == "priority":
            return k_cap(x, k, priority=priority[a * n : (a + 1) * n])
        if params.tie_break == "random":
            return k_cap(x, k, rng=rng)
        return k_cap(x, k)

    t_sim = time.perf_counter()
    sp_w, sp_n, sp_r = [], [], []
    W = protocol.n_windows
    report_every = max(1, W // 10)
    n_updates = 0
    for w in range(W):
        act = np.flatnonzero(protocol.active[w])
        if act.size == 0:
            continue
        levels = np.unique(protocol.offset[w, act])
        round_of = np.searchsorted(levels, protocol.offset[w, act])
        # stimulus cells of this window (drawn once per window, area order)
        # (fibre, firing cells or None for all, input scale)
        stim: dict[int, tuple[Fibre, np.ndarray | None, float]] = {}
        for a in act:
            s = int(protocol.stim_set[w, a])
            strength = float(protocol.stim_strength[w, a])
            if s < 0 or strength <= 0:
                continue
            if strength >= 1.0:
                stim[int(a)] = (inputs[s], None, 1.0)
            elif params.stimulus == "graded":  # every cell fires, at this fraction of the full rate
                stim[int(a)] = (inputs[s], None, strength)
            else:
                m = max(1, int(round(strength * n_in)))
                stim[int(a)] = (inputs[s], np.sort(rng.choice(n_in, size=m, replace=False)), 1.0)
        prev: dict[int, np.ndarray] = {}  # winners of the previous round
        last: dict[int, np.ndarray] = {}  # latest winners of every area in this window
        n_rounds = len(levels) + params.extra_rounds
        for r in range(n_rounds):
            if r < len(levels):
                firing = act[round_of == r]
            else:
                firing = np.asarray(sorted(last), dtype=np.int64)
            cur: dict[int, np.ndarray] = {}
            hebb_in = []
            for a in firing:
                a = int(a)
                x = np.zeros(n)
                has_input = False
                if a in stim:
                    f, cells, scale = stim[a]
                    x += scale * f.input(cells)
                    has_input = True
                    hebb_in.append((a, f, cells))
                if r < len(levels):
                    for pre, pw in last.items():  # every earlier round of this window
                        if protocol.fiber[w, pre, a] and pre != a and inter.connected(pre, a):
                            x += inter.input(inter.entries(pre, pw, a), a)
                            has_input = True
                elif recurrent is not None and a in last:
                    f = recurrent[a]
                    x += f.input(last[a])
                    has_input = True
                    hebb_in.append((a, f, last[a]))
                if has_input:
                    cur[a] = cap(a, x)
            # plasticity: inter-area (round r-1 -> r), input and recurrent fibres
            for pre, pw in prev.items():
                for post, cw in cur.items():
                    g = float(protocol.gain[w, pre, post])
                    if pre != post and g > 0 and inter.connected(pre, post):
                        e = inter.entries(pre, pw, post)
                        n_updates += (
                            inter.outstar(e, post, cw, g, params.outstar_gain)
                            if params.rule == "outstar"
                            else inter.hebbian(e, post, cw, g)
                        )
            for a, f, pre_cells in hebb_in:
                if f.beta > 0:
                    f.hebbian(pre_cells, cur[a])
            for a, win in cur.items():
                sp_w.append(np.full(win.size, w, dtype=np.int32))
                sp_n.append((a * n + win).astype(np.int32))
                sp_r.append(np.full(win.size, r, dtype=np.int16))
            prev = cur
            last.update(cur)
        if progress is not None and ((w + 1) % report_every == 0 or w + 1 == W):
            progress(f"rate engine: window {w + 1}/{W}")
    simulate_s = time.perf_counter() - t_sim

    cat = lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt)
    syn_pre = np.repeat(np.arange(A * n, dtype=np.int32), np.diff(inter.indptr))
    info = {
        "engine": "rate",
        "seed": int(seed) if np.isscalar(seed) else None,
        "params": params.to_dict(),
        "n_areas": A,
        "n_sets": int(encoding.n_sets),
        "connectivity": params.connectivity,
        "n_inter_pairs": int(inter.allowed.sum()),
        "n_inter_synapses": int(inter.indices.size),
        "n_synapses_inter": int(inter.indices.size),
        "n_input_synapses": int(sum(f.nnz for f in inputs)),
        "n_recurrent_synapses": int(sum(f.nnz for f in recurrent)) if recurrent else 0,
        "weight_bytes": {
            "inter": inter.nbytes,
            "input": int(sum(f.nbytes for f in inputs)),
            "recurrent": int(sum(f.nbytes for f in recurrent)) if recurrent else 0,
        },
        # the inter-area weights alone (float32 values) and with their CSR structure
        "weights_inter_bytes": int(inter.data.nbytes),
        "memory_inter_bytes": inter.nbytes,
        "n_hebbian_updates": int(n_updates),
        "tie_break": params.tie_break,
        "rounds": "offset levels of the active areas (0 = smallest offset), then extra_rounds",
    }
    return Recording(
        protocol=protocol,
        n=n,
        k=k,
        spike_window=cat(sp_w, np.int32),
        spike_neuron=cat(sp_n, np.int32),
        spike_time=cat(sp_r, np.int16).astype(np.float64) * 1e-3,
        syn_pre=syn_pre,
        syn_post=inter.indices.copy(),
        w_initial=w_initial,
        w_final=inter.data.copy(),
        weight_unit="1",
        timing={"build_s": build_s, "simulate_s": simulate_s},
        info=info,
    )


class RateEngine:
    """The rate engine (:class:`~spiking_direct.engines.Engine`): NumPy, no backend, no Brian2."""

    name = "rate"
    uses_backend = False

    def validate(self, config) -> None:
        """Nothing across parameters: :class:`RateParams` checks itself when it is made."""

    def monitors(self, config, record: dict, dt_ms: float) -> dict:
        from ..errors import ConfigError

        raise ConfigError("record= needs the spiking engine (the rate engine has no membrane state)")

    def check(self, config) -> None:
        """Nothing to check: NumPy and SciPy are all it needs."""

    def params_dict(self, config) -> dict:
        from ..results import jsonable

        return jsonable(asdict(config.rate))

    def run(self, protocol, encoding, config, progress=None, monitors=None) -> Recording:
        if monitors:
            from ..errors import ConfigError

            raise ConfigError("recording state variables (record=) needs the spiking engine")
        return run_rate(protocol, encoding, config.rate, int(config.seed), progress=progress)


ENGINE = RateEngine()
