"""The NEMO primitives of the Assembly Calculus: :class:`Fibre` (a plastic CSR fibre with
``input`` and ``hebbian``), :class:`Area`, :class:`Stimulus` and :class:`Brain` (``step`` = one
synchronous round of the NEMO ``project`` operation, which covers projection, reciprocal
projection and association/co-activation)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .kernel import TIE_BREAKS, _check_prob, _ranges, bernoulli_pairs, k_cap, row_entries


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
        """Add a stimulus of ``size`` cells named ``name`` (unique among stimuli and areas)."""
        if name in self.stimuli or name in self.areas:
            raise ValueError(f"name {name!r} already used")
        if int(size) < 1:
            raise ValueError("a stimulus needs at least one cell")
        self.stimuli[name] = Stimulus(name, int(size))
        return self.stimuli[name]

    def add_area(self, name: str, n: int, k: int, beta: float = 0.05) -> Area:
        """Add an area of ``n`` cells with cap ``k`` and plasticity ``beta``, named ``name`` (unique)."""
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
        """The winners of ``area`` for input ``x`` under the brain's tie rule."""
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
