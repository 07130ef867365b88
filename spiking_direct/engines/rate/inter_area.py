"""The inter-area synapses of a DIRECT run: which ordered pairs of areas get a fibre
(:func:`linked_pairs`), and all of them as one CSR over ``A * n`` neurons (``_InterArea``) with
their input and the two learning rules of the coupling windows (multiplicative Hebbian,
``W *= 1 + gain``, and the outstar rule, ``W += gain * (1 + c [post wins] - W)``)."""

from __future__ import annotations

import numpy as np

from ...protocol import Protocol
from .kernel import _bernoulli, _ranges


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
        # per area: the block pointers of its rows, one column per allowed post area and one for the
        # row's end (n x (targets + 1), only the allowed pairs: linear in the links, not in A^2)
        self.column = np.full((A, A), -1, dtype=np.int32)  # (pre area, post area) -> its column, or -1
        self.blocks: list[np.ndarray] = []
        # one buffer for every column index, sized for the areas' expected synapses plus 8 sd each
        # (the Bernoulli draws' own bound): each area's columns are copied in as they are drawn, so
        # no per-area array outlives its area and no second full-size copy is made; the buffer's
        # unused tail is never written, so it takes no memory
        mean = allowed.sum(axis=1).astype(float) * n * n * p
        bound = int(np.sum(np.ceil(mean + 8.0 * np.sqrt(mean * (1.0 - p)) + 64)))
        buffer = np.empty(bound, dtype=np.int32)
        start = 0
        for a in range(A):  # rows of area a: the columns of its allowed post areas, sorted
            targets = np.flatnonzero(allowed[a])
            if targets.size == 0:
                self.blocks.append(np.full((n, 1), start, dtype=np.int64))
                continue
            self.column[a, targets] = np.arange(targets.size, dtype=np.int32)
            indptr, cols, per = _bernoulli(n, targets.size * n, p, rng, seg=n)
            seg = cols // np.int32(n)  # which allowed target, 0..len-1
            cols += ((targets.astype(np.int32) - np.arange(targets.size, dtype=np.int32)) * np.int32(n))[seg]
            blk = np.empty((n, targets.size + 1), dtype=np.int64)
            blk[:, 0] = start + indptr[:-1]
            np.cumsum(per, axis=1, out=blk[:, 1:])
            blk[:, 1:] += blk[:, :1]
            self.blocks.append(blk)
            if start + cols.size > buffer.size:  # beyond the bound (practically never): grow
                buffer = np.concatenate([buffer[:start], np.empty(start + cols.size - buffer.size, np.int32)])
            buffer[start : start + cols.size] = cols
            start += int(indptr[-1])
            del cols
        self.indptr = np.concatenate([blk[:, 0] for blk in self.blocks] + [[start]])
        self.indices = buffer[:start]
        self.data = np.ones(self.indices.size, dtype=np.float32)

    def connected(self, pre_area: int, post_area: int) -> bool:
        """Whether the fibre ``pre_area -> post_area`` exists (its block may still be empty by chance)."""
        return bool(self.allowed[pre_area, post_area])

    @property
    def nbytes(self) -> int:
        blocks = sum(blk.nbytes for blk in self.blocks) + self.column.nbytes
        return int(self.indptr.nbytes + self.indices.nbytes + self.data.nbytes + blocks)

    def entries(self, pre_area: int, pre_local: np.ndarray, post_area: int) -> np.ndarray:
        col = int(self.column[pre_area, post_area])
        if col < 0:
            return np.zeros(0, dtype=np.int64)
        blk = self.blocks[pre_area]
        rows = np.asarray(pre_local, dtype=np.int64)
        return _ranges(blk[rows, col], blk[rows, col + 1])

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
