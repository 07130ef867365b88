"""The rate engine's protocol runner: :func:`run_rate` turns a
:class:`~spiking_direct.protocol.Protocol` into a
:class:`~spiking_direct.recording.Recording` with the parameters of a
:class:`~.params.RateParams`, in three phases: set-up (checks, then the network's
random draws, :func:`_build`), the windows one by one (:func:`_run_window`: stimuli,
rounds of firing, plasticity) and read-back (:func:`_read_back`). How a window maps
onto rounds:


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
  without a stimulus takes the top ``k`` of the fibre input: the readout),
  or, with an input floor (``cap_floor``, ``cap_floor_max``), only the cells
  of those ``k`` whose input reaches the floor (none: the area stays silent).
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

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ...encoding import Encoding
from ...protocol import Protocol
from ...recording import Recording
from ...stimulus import poisson_counts
from .inter_area import _InterArea, linked_pairs
from .kernel import k_cap
from .nemo import Fibre
from .params import RateParams


@dataclass
class _Network:
    """The network of one run, as drawn by :func:`_build`, and its random generator."""

    params: RateParams
    rng: np.random.Generator
    n_areas: int
    n: int
    k: int
    n_in: int
    priority: np.ndarray | None  # tie-break order of all n_areas * n neurons (tie_break "priority")
    inputs: list[Fibre]  # input set -> area fibres, one per input set
    inter: _InterArea
    recurrent: list[Fibre] | None  # one per area, when p_rec > 0
    w_initial: np.ndarray  # the inter-area weights before the first window
    counts: np.ndarray | None = None  # (W, A, n_in) Poisson spike counts of the stimulus (stimulus "poisson")

    def floor(self, x: np.ndarray) -> float | None:
        """The input floor of the cap for the input ``x`` (``None``: no floor)."""
        p = self.params
        if p.cap_floor <= 0 and p.cap_floor_max <= 0:
            return None
        return max(p.cap_floor * self.n_in * p.p_in, p.cap_floor_max * float(x.max()))

    def cap(self, a: int, x: np.ndarray) -> np.ndarray:
        """The winners of area ``a`` for the input ``x``, under the run's tie rule and input floor."""
        k, n, floor = self.k, self.n, self.floor(x)
        if self.params.tie_break == "priority":
            return k_cap(x, k, priority=self.priority[a * n : (a + 1) * n], floor=floor)
        if self.params.tie_break == "random":
            return k_cap(x, k, rng=self.rng, floor=floor)
        return k_cap(x, k, floor=floor)


@dataclass
class _Spikes:
    """The winners of every round as spikes: window, neuron (``area * n + local``) and round."""

    window: list = field(default_factory=list)
    neuron: list = field(default_factory=list)
    round: list = field(default_factory=list)

    def add(self, w: int, a: int, r: int, win: np.ndarray, n: int) -> None:
        self.window.append(np.full(win.size, w, dtype=np.int32))
        self.neuron.append((a * n + win).astype(np.int32))
        self.round.append(np.full(win.size, r, dtype=np.int16))


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
    net = _build(protocol, encoding, params, seed)
    build_s = time.perf_counter() - t_build

    t_sim = time.perf_counter()
    spikes = _Spikes()
    W = protocol.n_windows
    report_every = max(1, W // 10)
    n_updates = 0
    for w in range(W):
        act = np.flatnonzero(protocol.active[w])
        if act.size == 0:
            continue
        n_updates += _run_window(net, protocol, w, act, spikes)
        if progress is not None and ((w + 1) % report_every == 0 or w + 1 == W):
            progress(f"rate engine: window {w + 1}/{W}")
    simulate_s = time.perf_counter() - t_sim
    return _read_back(protocol, encoding, net, spikes, seed, n_updates, build_s, simulate_s)


# --------------------------------------------------------------------------
# Set-up
# --------------------------------------------------------------------------
def _build(protocol: Protocol, encoding: Encoding, params: RateParams, seed: int) -> _Network:
    """Check that ``encoding`` fits ``protocol``, then draw the network from the run's
    generator, in a fixed order: priorities, input fibres, inter-area, recurrent."""
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

    priority = rng.permutation(A * n) if params.tie_break == "priority" else None
    inputs = [Fibre.random(n_in, n, params.p_in, rng, params.beta_in) for _ in range(encoding.n_sets)]
    allowed = linked_pairs(protocol) if params.connectivity == "linked" else None
    inter = _InterArea(A, n, params.p_inter, rng, allowed)
    recurrent = [Fibre.random(n, n, params.p_rec, rng, params.beta_rec) for _ in range(A)] if params.p_rec > 0 else None
    counts = poisson_counts(protocol, n_in, params.poisson_rate, seed) if params.stimulus == "poisson" else None
    # every inter-area weight starts at 1: a read-only view, no copy of the weights
    w_initial = np.broadcast_to(np.float32(1.0), inter.data.shape)
    return _Network(params, rng, A, n, k, n_in, priority, inputs, inter, recurrent, w_initial, counts)


# --------------------------------------------------------------------------
# One window
# --------------------------------------------------------------------------
def _run_window(net: _Network, protocol: Protocol, w: int, act: np.ndarray, spikes: _Spikes) -> int:
    """The rounds of window ``w`` (active areas ``act``): who fires, what they learn; the winners
    go to ``spikes``. Returns the number of inter-area synapses updated."""
    levels = np.unique(protocol.offset[w, act])
    round_of = np.searchsorted(levels, protocol.offset[w, act])
    stim = _window_stimuli(net, protocol, w, act)
    prev: dict[int, np.ndarray] = {}  # winners of the previous round
    last: dict[int, np.ndarray] = {}  # latest winners of every area in this window
    n_rounds = len(levels) + net.params.extra_rounds
    n_updates = 0
    for r in range(n_rounds):
        if r < len(levels):
            firing = act[round_of == r]
        else:
            firing = np.asarray(sorted(last), dtype=np.int64)
        cur, hebb_in = _fire(net, protocol, w, firing, stim, last, offset_round=r < len(levels))
        n_updates += _learn(net, protocol, w, prev, cur, hebb_in)
        for a, win in cur.items():
            spikes.add(w, a, r, win, net.n)
        prev = cur
        last.update(cur)
    return n_updates


def _window_stimuli(
    net: _Network, protocol: Protocol, w: int, act: np.ndarray
) -> dict[int, tuple[Fibre, np.ndarray | None, float]]:
    """The stimulus of every active area of window ``w`` that has one: (input fibre, firing
    input cells or None for all, input scale); sampled cells are drawn once per window, in
    area order; with ``stimulus="poisson"`` a cell appears as often as its spike count (an
    area whose set has no spike in the window gets no stimulus)."""
    stim: dict[int, tuple[Fibre, np.ndarray | None, float]] = {}
    for a in act:
        s = int(protocol.stim_set[w, a])
        strength = float(protocol.stim_strength[w, a])
        if s < 0 or strength <= 0:
            continue
        if net.counts is not None:  # Poisson counts: cell i appears counts[i] times
            c = net.counts[w, a]
            if c.any():
                stim[int(a)] = (net.inputs[s], np.repeat(np.arange(net.n_in), c), 1.0)
        elif strength >= 1.0:
            stim[int(a)] = (net.inputs[s], None, 1.0)
        elif net.params.stimulus == "graded":  # every cell fires, at this fraction of the full rate
            stim[int(a)] = (net.inputs[s], None, strength)
        else:
            m = max(1, int(round(strength * net.n_in)))
            stim[int(a)] = (net.inputs[s], np.sort(net.rng.choice(net.n_in, size=m, replace=False)), 1.0)
    return stim


def _fire(
    net: _Network,
    protocol: Protocol,
    w: int,
    firing: np.ndarray,
    stim: dict,
    last: dict[int, np.ndarray],
    offset_round: bool,
) -> tuple[dict[int, np.ndarray], list]:
    """One round of window ``w``: the winners of every area in ``firing`` that has input (its
    stimulus; in an offset round the fibres from the areas that fired earlier in the window,
    ``last``; in an extra round its recurrent synapses), and the (area, fibre, firing cells)
    of the input and recurrent fibres that carried input."""
    inter, n = net.inter, net.n
    cur: dict[int, np.ndarray] = {}
    hebb_in = []
    fiber_on = protocol.fibers.on_in(w)
    for a in firing:
        a = int(a)
        x = np.zeros(n)
        has_input = False
        if a in stim:
            f, cells, scale = stim[a]
            x += scale * f.input(cells)
            has_input = True
            hebb_in.append((a, f, cells if net.counts is None else np.unique(cells)))
        if offset_round:
            for pre, pw in last.items():  # every earlier round of this window
                if pre != a and fiber_on(pre, a) and inter.connected(pre, a):
                    x += inter.input(inter.entries(pre, pw, a), a)
                    has_input = True
        elif net.recurrent is not None and a in last:
            f = net.recurrent[a]
            x += f.input(last[a])
            has_input = True
            hebb_in.append((a, f, last[a]))
        if has_input:
            cur[a] = net.cap(a, x)
    return cur, hebb_in


def _learn(
    net: _Network,
    protocol: Protocol,
    w: int,
    prev: dict[int, np.ndarray],
    cur: dict[int, np.ndarray],
    hebb_in: list,
) -> int:
    """Plasticity after a round: inter-area (previous round -> this round, the engine's rule at
    ``protocol.gain``), then the input and recurrent fibres that carried input. Returns the
    number of inter-area synapses updated."""
    inter, params = net.inter, net.params
    n_updates = 0
    gains = protocol.window_gains(w) if prev and cur else {}
    for pre, pw in prev.items():
        for post, cw in cur.items():
            g = gains.get((pre, post), 0.0)
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
    return n_updates


# --------------------------------------------------------------------------
# Read-back
# --------------------------------------------------------------------------
def _read_back(
    protocol: Protocol,
    encoding: Encoding,
    net: _Network,
    spikes: _Spikes,
    seed: int,
    n_updates: int,
    build_s: float,
    simulate_s: float,
) -> Recording:
    """The :class:`Recording` of a finished run: spikes, inter-area synapses and weights, info."""
    params, inter, inputs, recurrent = net.params, net.inter, net.inputs, net.recurrent
    A, n = net.n_areas, net.n
    cat = lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt)
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
        k=net.k,
        spike_window=cat(spikes.window, np.int32),
        spike_neuron=cat(spikes.neuron, np.int32),
        spike_time=cat(spikes.round, np.int16).astype(np.float64) * 1e-3,
        syn_pre=None,  # made from syn_pre_ptr if read; the readout uses the pointers
        syn_post=inter.indices,  # the run is over: the network's own arrays, not copies
        w_initial=net.w_initial,
        w_final=inter.data,
        weight_unit="1",
        timing={"build_s": build_s, "simulate_s": simulate_s},
        info=info,
        syn_pre_ptr=inter.indptr,
    )
