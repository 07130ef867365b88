"""The projection experiment of the Assembly Calculus literature: :func:`project` (every
synapse explicit, on a :class:`~.nemo.Brain`) and :func:`project_nemo_lazy`, NEMO's sparse
simulation, for comparison.

:func:`project_nemo_lazy` re-implements the *sparse simulation* of the
reference NEMO code. It differs from the model (:mod:`spiking_direct.engines.rate`) in one
respect: the inputs of neurons that have never fired are drawn afresh every
round (they keep no synapses until they first win). With every synapse kept,
the neurons that narrowly lost keep their advantage, fewer new winners appear,
and the support is smaller and more seed-dependent (at ``n = 1e5, k = 317,
p = 0.01``: about 6% lower at ``beta = 0.05`` and 8% lower at ``beta = 0.1``,
see ``benchmarks/rate_projection.py``).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .nemo import Brain


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
