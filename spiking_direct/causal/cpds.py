"""Conditional probability distributions (CPDs) as *vectorised* callables::

    cpd(parents: dict[str, np.ndarray]) -> np.ndarray

``parents`` maps each parent of the variable to an int array of value indices,
shape ``(N,)``; the result holds the probabilities of the variable's values,
shape ``(N, cardinality)``, rows summing to 1. A root's CPD receives an empty
dict and may return shape ``(cardinality,)``, which is broadcast to every row.
Value index 0 is the variable's "positive" value.

Builders: a binary root, a binary child of additive risk, and a CPD read from a table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

CPD = Callable[[dict[str, np.ndarray]], np.ndarray]


def _root_cpd(p_positive: float) -> CPD:
    """Binary root: P(value 0) = ``p_positive``."""
    table = np.array([p_positive, 1.0 - p_positive])

    def cpd(parents: dict[str, np.ndarray]) -> np.ndarray:
        return table

    return cpd


def _additive_risk_cpd(base: float, increments: Mapping[str, float], cap: float = 0.98) -> CPD:
    """Binary child: P(value 0) = min(cap, base + sum of increments of parents at value 0)."""
    increments = dict(increments)

    def cpd(parents: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(parents.values())))
        p = np.full(n, float(base))
        for parent, inc in increments.items():
            p += inc * (parents[parent] == 0)
        p = np.minimum(p, cap)
        return np.column_stack([p, 1.0 - p])

    return cpd


def _bif_cpd(table: np.ndarray, evidence: tuple[str, ...]) -> CPD:
    """Vectorised CPD from a table indexed ``[ev_1, ..., ev_m, value]``."""

    def cpd(parents: dict[str, np.ndarray]) -> np.ndarray:
        if not evidence:
            return table
        return table[tuple(parents[p] for p in evidence)]

    return cpd
