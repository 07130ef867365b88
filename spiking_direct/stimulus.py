"""The Poisson stimulus of the rate code, drawn the same way for both engines.

In a window that presents input set ``s`` at strength ``x`` (1 for the positive
value, ``1 / separation`` for the others of a rate-coded variable, 1 for every
value of the index code), every cell of the set emits a Poisson number of
spikes with mean ``rate * x``. :func:`poisson_counts` draws these counts from a
generator of their own, seeded with ``(seed, STREAM)``, independent of every
other random draw of a run, so the same seed gives the same counts whichever
engine runs and whatever else the engine draws. The counts are drawn cell by
cell, so the first ``m`` cells of a set get the same counts whether the set has
``m`` cells or more.

The rate engine (``RateParams.stimulus="poisson"``) uses a cell's count as the
strength of its input (its synapses carry count times weight). The spiking
engine (``InputParams.stimulus="poisson"``), whose input cells fire at most
once per volley, delivers the set's total count ``C`` as the number of cells
that fire: each fires with probability ``min(1, C / n_per_set)``
(``spiking_direct.engines.spiking.stimulus_values``).

The two other stimulus models of the rate engine are its limits: ``"sampled"``
(a single volley, at most one spike per cell: the short-time limit) and
``"graded"`` (every cell at its mean, ``x`` of the full input: the long-time
limit, in which counts divided by time tend to their rates).
"""

from __future__ import annotations

import numpy as np

from .protocol import Protocol

#: the second entropy word of the stimulus generator (the first is the run's seed)
STREAM = 0x5071


def poisson_means(protocol: Protocol, rate: float) -> np.ndarray:
    """(W, A) mean spike count of an input cell of the set that each window presents in each area
    (0 where none is presented)."""
    if not float(rate) > 0:
        raise ValueError(f"poisson rate must be > 0, got {rate}")
    on = (protocol.stim_set >= 0) & (protocol.stim_strength > 0)
    return np.where(on, float(rate) * np.asarray(protocol.stim_strength, dtype=float), 0.0)


def poisson_counts(protocol: Protocol, n_cells: int, rate: float, seed: int) -> np.ndarray:
    """(W, A, n_cells) int32: the spike count of every cell of the input set presented in window
    ``w`` to area ``a`` (Poisson with mean ``rate * stim_strength[w, a]``; 0 where no set is
    presented), drawn from ``numpy.random.default_rng((seed, STREAM))``, cell by cell."""
    n_cells = int(n_cells)
    if n_cells < 1:
        raise ValueError(f"n_cells must be >= 1, got {n_cells}")
    lam = poisson_means(protocol, rate)
    rng = np.random.default_rng([int(seed), STREAM])
    out = np.empty(lam.shape + (n_cells,), dtype=np.int32)
    for c in range(n_cells):
        out[..., c] = rng.poisson(lam)
    return out
