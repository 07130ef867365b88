"""Engine-neutral DIRECT protocols: what fires when, and how plastic each connection is.

A :class:`Protocol` is a sequence of *windows* (one activation cycle each: a
k-cap round in the rate engine, one theta-like clock cycle of the spiking
network). Every window says, per area, which input set is stimulated and how
strongly, whether the area may fire at all (areas not named are inhibited, as
in the Assembly Calculus), the clock offset of the area (the lead), and, per
ordered pair of areas, whether the fibre transmits and how plastic it is (the
gain, i.e. ``beta``). Both engines read the same arrays; the spiking engine
turns them into named ``TimedArray`` objects, so the whole protocol is one
compiled schedule.

The DIRECT protocol (:func:`direct_protocol`) has four phases:

``identify``
    every input set is presented to its area, all areas in parallel (fibres
    off, plasticity off). Assemblies are read from the winners afterwards.
``couple``
    for each link ``u -> v`` the assemblies of ``u`` and ``v`` are co-activated
    with ``u``'s clock leading by ``lead``; the plasticity gain of the pair
    (both directions) follows a gain schedule. Value pairs come from rows of a
    data table sampled from the causal model, so assemblies of values that
    occur together are coupled. Links that share no area are coupled in the
    same windows (a proper edge colouring of the link graph); plasticity is
    per ordered pair of areas, so no cross-talk is written between them.
``probe``
    each input set of each variable is presented to its area with plasticity
    off; every other area is active (its clock lags by ``probe_lag``) and
    receives only the probed area's fibres. The responders in each target area
    give the propagation readout for every ordered pair at once. Given the
    ordered pairs to read out (``probe_pairs``: a run beyond
    :data:`~spiking_direct.memory.ALL_PAIRS_LIMIT` reads only a selection,
    :func:`selected_pairs`), several areas are probed in one window instead
    (:func:`probe_batches`): each listening area hears exactly one of them
    (the fibres given pair by pair), no probed area listens, and every
    selected pair ``(u, v)`` is heard ``probe_reps`` times per input set of
    ``u``; :attr:`Protocol.probe_of` says which source each area hears.
``intervene``
    ``do(X = x)`` queries on the trained network, plasticity off, one block
    of ``intervene_reps`` windows for every variable ``X`` and every value
    ``x``. ``X``'s area is clamped to the assembly of ``x`` (its input set
    fires) and every fibre into it is off (the graph surgery); the other
    *roots* (areas without an incoming link in the specification the network
    was trained on) fire the values of a row drawn from the data table, so
    they follow its frequencies; every other area is active and listens to
    the fibres of every area, its clock lagging by ``intervene_lag`` times
    its depth in the trained specification (the longest chain of links from
    a root), so that an area fires after the areas upstream of it; where the
    deepest area would lag by more than ``intervene_span``, the lag per level
    is ``intervene_span / depth`` instead (the spiking engine refuses clock
    offsets that leave an area no time to fire within its window). The
    default lag, 8 ms, lets an area's cap close before the areas downstream
    start their excitability ramp (4 ms, the previous default, let them
    start while it was still firing, and effects two links away came out
    about half as large: Alzheimer, spiking, seed 1, ACE(APOE4 ->
    CognitiveDecline) 0.049 at 4 ms, 0.073 at 8 ms, true 0.209). The same rows are
    used for every value of ``X`` (common random numbers: the contrast
    between two values of ``X`` is not blurred by different root draws).
    Activity then spreads through the learned synapses within the window, one
    depth level after the other. Only for the ``index`` encoding (each value
    has its own assembly).

The data table: coupling draws its value pairs (and the intervene phase its
root values) from rows of a table, given by the caller (``table=``, e.g. a
CSV checked by :func:`spiking_direct.truth.load_table`) or sampled from the
model with the run's generator (``data_rows`` rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Callable

import networkx as nx
import numpy as np

from .causal import CausalModel
from .encoding import Encoding
from .errors import ProtocolError

if TYPE_CHECKING:
    from brian2 import Quantity

PHASES = ("identify", "couple", "probe", "intervene")

#: negative controls. ``reversed_links`` trains every link in the reverse
#: direction (target leads, and the specification's roots are the true sinks):
#: "the same network trained with every link reversed".
CONTROLS = ("none", "no_plasticity", "zero_lead", "reversed_lead", "shuffled_links", "reversed_links")


# --------------------------------------------------------------------------
# Gain schedules: beta as a function of the coupling step s = 1, 2, ...
# --------------------------------------------------------------------------
def adaptive_soft(s: np.ndarray, warm_beta: float, max_beta: float, ramp_steps: int) -> np.ndarray:
    """Warm ramp of the DIRECT paper: ``warm_beta`` rising linearly to ``max_beta``
    over ``ramp_steps`` coupling steps, then held."""
    s = np.asarray(s, dtype=float)
    if ramp_steps <= 1:
        return np.full_like(s, max_beta)
    frac = np.clip((s - 1.0) / (ramp_steps - 1.0), 0.0, 1.0)
    return warm_beta + frac * (max_beta - warm_beta)


def constant(s: np.ndarray, warm_beta: float, max_beta: float, ramp_steps: int) -> np.ndarray:
    """The same gain (``max_beta``) at every step."""
    return np.full(np.shape(s), float(max_beta))


def step(s: np.ndarray, warm_beta: float, max_beta: float, ramp_steps: int) -> np.ndarray:
    """``warm_beta`` for the first ``ramp_steps`` steps, then ``max_beta``."""
    s = np.asarray(s, dtype=float)
    return np.where(s <= ramp_steps, warm_beta, max_beta)


SCHEDULES: dict[str, Callable] = {"adaptive_soft": adaptive_soft, "constant": constant, "step": step}

#: Schedules that depend on what a window presents, not on the step alone.
#: ``harmonic``: the gain of the connection ``a -> b`` in a coupling window is
#: ``1 / m``, with ``m`` the number of coupling windows of the link so far (this
#: one included) in which area ``a`` presented the input set it presents now.
#: Under a rule that moves each weight a fraction ``gain`` of the way towards
#: what the postsynaptic cell did (the rate engine's ``outstar``, or STDP with the
#: van Rossum weight dependence and a presynaptic term), each value's assembly then averages,
#: with equal weight, what its target did over all of its presentations: a
#: running mean, i.e. an estimate of ``P(target value | source value)``
#: instead of a count. ``warm_beta``, ``max_beta`` and ``ramp_steps`` do not apply.
VALUE_SCHEDULES = ("harmonic",)


#: the protocol's times: given and read as Brian2 times, held in seconds (:class:`ProtocolParams`)
TIMES = ("lead", "probe_lag", "intervene_lag", "intervene_span")


def _seconds(name: str, value) -> float:
    """``value``, a Brian2 time, in float seconds; :class:`ProtocolError` for anything else."""
    if getattr(value, "dim", None) is None or np.ndim(value) != 0:
        raise ProtocolError(f"{name} must be a time such as 5*ms, got {value!r}")
    from brian2 import second  # imported already: value is a Brian2 quantity

    if value.dim != second.dim:
        raise ProtocolError(f"{name} must be a time such as 5*ms, got {value!r}")
    return float(value / second)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:g} ms"


class _Time:
    """A time field of :class:`ProtocolParams`: given and read as a Brian2 quantity (``5*ms``),
    held in float seconds, so that a protocol for the rate engine is built without Brian2."""

    def __init__(self, default_s: float):
        self.default_s = default_s

    def __set_name__(self, owner, name):
        self.name, self.slot = name, f"_{name}_s"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self  # the dataclass default: __set__ turns it into default_s
        from brian2 import second

        return getattr(obj, self.slot) * second

    def __set__(self, obj, value):
        object.__setattr__(obj, self.slot, self.default_s if value is self else _seconds(self.name, value))


@dataclass(frozen=True)
class ProtocolParams:
    """Engine-neutral protocol parameters. The times (:data:`TIMES`) are Brian2 quantities
    (``lead=5*ms``), held in seconds: :meth:`seconds` reads them as floats, and
    :func:`direct_protocol` writes them into the protocol's arrays in seconds."""

    identify_reps: int = 4  # presentations of each input set in the identify phase
    couple_steps: int = 20  # coupling windows per link
    probe_reps: int = 2  # probe windows per input set
    lead: Quantity = _Time(0.005)  # clock lead of the source over the target while coupling (>= 0)
    probe_lag: Quantity = _Time(0.010)  # clock lag of target areas behind the probed area
    schedule: str = "adaptive_soft"  # gain schedule name (SCHEDULES)
    warm_beta: float = 0.09  # first gain of the schedule
    max_beta: float = 0.16  # last gain of the schedule
    ramp_steps: int = 20  # steps over which the gain ramps
    couple_transmit: bool = False  # does the coupled fibre u->v transmit while coupling?
    parallel_coupling: bool = True  # couple links that share no area in the same windows
    data_rows: int = 1000  # rows of the sampled table that coupling draws value pairs from
    control: str = "none"  # negative control (CONTROLS)
    intervene_reps: int = 0  # do() windows per (variable, value) query (60: experiments/interventions.py); 0: none
    intervene_lag: Quantity = _Time(0.008)  # clock lag per depth level of the specification in do() windows
    intervene_span: Quantity = _Time(0.024)  # longest clock lag in a do() window: deeper specifications share it

    def seconds(self, name: str) -> float:
        """The time ``name`` (one of :data:`TIMES`) in seconds, a float (no Brian2 needed)."""
        if name not in TIMES:
            raise ProtocolError(f"{name!r} is not a protocol time; choose from {list(TIMES)}")
        return getattr(self, f"_{name}_s")

    def _key(self) -> tuple:
        return tuple(self.seconds(f.name) if f.name in TIMES else getattr(self, f.name) for f in fields(self))

    def __eq__(self, other):
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def to_dict(self) -> dict:
        """The parameters as plain values, the times in seconds (as ``result.json`` records them)."""
        return {f.name: v for f, v in zip(fields(self), self._key())}

    @classmethod
    def from_dict(cls, values: dict) -> "ProtocolParams":
        """Inverse of :meth:`to_dict` (times in seconds)."""
        params = cls(**{k: v for k, v in values.items() if k not in TIMES})
        for name in TIMES:
            if name in values:
                value = values[name]
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ProtocolError(f"{name} must be a number of seconds here, got {value!r}")
                object.__setattr__(params, f"_{name}_s", float(value))
        return params

    def validate(self) -> None:
        """Check every field; one :class:`~spiking_direct.errors.ProtocolError` line naming the field and its allowed
        values."""
        for name in ("identify_reps", "couple_steps", "probe_reps", "ramp_steps", "data_rows"):
            if int(getattr(self, name)) < 1:
                raise ProtocolError(f"{name} must be >= 1, got {getattr(self, name)}")
        if int(self.intervene_reps) < 0:
            raise ProtocolError(f"intervene_reps must be >= 0, got {self.intervene_reps}")
        for name in ("intervene_lag", "intervene_span"):
            if not self.seconds(name) > 0:
                raise ProtocolError(f"{name} must be > 0 ms, got {_ms(self.seconds(name))}")
        if self.seconds("lead") < 0:
            raise ProtocolError(
                f"lead must be >= 0 ms, got {_ms(self.seconds('lead'))}; to let the target lead use "
                "control='reversed_lead'"
            )
        if self.seconds("probe_lag") < 0:
            raise ProtocolError(f"probe_lag must be >= 0 ms, got {_ms(self.seconds('probe_lag'))}")
        if self.schedule not in SCHEDULES and self.schedule not in VALUE_SCHEDULES:
            raise ProtocolError(
                f"unknown gain schedule {self.schedule!r}; choose from {sorted(SCHEDULES) + list(VALUE_SCHEDULES)}"
            )
        if self.control not in CONTROLS:
            raise ProtocolError(f"unknown control {self.control!r}; choose from {list(CONTROLS)}")
        if not (0 <= self.warm_beta and 0 <= self.max_beta):
            raise ProtocolError("warm_beta and max_beta must be >= 0")

    def gains(self, steps: np.ndarray) -> np.ndarray:
        """The gain of coupling step ``steps`` (``harmonic``: of a set presented for the ``steps``-th time)."""
        if self.schedule == "harmonic":
            return 1.0 / np.asarray(steps, dtype=float)
        return SCHEDULES[self.schedule](steps, self.warm_beta, self.max_beta, self.ramp_steps)


#: the largest dense ``(W, A * A)`` array of pair values a spiking network is given; beyond it the
#: pair form (:mod:`spiking_direct.engines.parts`)
DENSE_PAIRS_LIMIT = 1 << 24

#: the largest dense ``(W, A, A)`` gain or fibre array :attr:`Protocol.gain` and :attr:`Protocol.fiber`
#: build (elements); beyond it only the sparse forms exist
DENSE_LIMIT = 1 << 26


@dataclass
class PairValues:
    """Values of ordered pairs of areas in some windows, one entry per (window, pre, post) with a
    non-zero value, sorted by window: the sparse form of a ``(W, A, A)`` array. ``value``:
    float64 gains, or ones for the fibre entries."""

    window: np.ndarray  # (G,) int32, non-decreasing
    pre: np.ndarray  # (G,) int32
    post: np.ndarray  # (G,) int32
    value: np.ndarray  # (G,) float64

    @classmethod
    def from_dense(cls, dense: np.ndarray) -> "PairValues":
        w, a, b = np.nonzero(dense)
        return cls(w.astype(np.int32), a.astype(np.int32), b.astype(np.int32), dense[w, a, b].astype(np.float64))

    @classmethod
    def from_lists(cls, window: list, pre: list, post: list, value: list) -> "PairValues":
        order = np.argsort(np.asarray(window, dtype=np.int64), kind="stable")
        return cls(
            np.asarray(window, dtype=np.int32).reshape(-1)[order],
            np.asarray(pre, dtype=np.int32).reshape(-1)[order],
            np.asarray(post, dtype=np.int32).reshape(-1)[order],
            np.asarray(value, dtype=np.float64).reshape(-1)[order],
        )

    @property
    def size(self) -> int:
        return int(self.window.size)

    @property
    def nbytes(self) -> int:
        return int(self.window.nbytes + self.pre.nbytes + self.post.nbytes + self.value.nbytes)

    def pairs(self) -> np.ndarray:
        """(P, 2) the distinct ordered pairs with an entry, sorted (pre, then post)."""
        if not self.size:
            return np.zeros((0, 2), dtype=np.int32)
        return np.unique(np.stack([self.pre, self.post], axis=1), axis=0)

    def in_window(self, w: int) -> slice:
        """The entries of window ``w`` (a slice of the arrays)."""
        lo, hi = np.searchsorted(self.window, [w, w + 1])
        return slice(int(lo), int(hi))

    def dense_into(self, out: np.ndarray) -> np.ndarray:
        """Write the entries into the dense (windows, areas, areas) array ``out`` and return it."""
        out[self.window, self.pre, self.post] = self.value.astype(out.dtype)
        return out


@dataclass
class Fibers:
    """Which fibres transmit in each window, in two parts: the fibre ``pre -> post`` (``pre != post``)
    transmits where ``sends[w, pre]`` and ``hears[w, post]`` (a probed area into every listener, every
    area into the listeners of a do() window), or where :attr:`pairs` (a :class:`PairValues` of ones)
    holds an entry for it (the coupled fibres with ``couple_transmit``, schedules given pair by pair)."""

    sends: np.ndarray  # (W, A) bool
    hears: np.ndarray  # (W, A) bool
    pairs: PairValues

    @classmethod
    def from_dense(cls, dense: np.ndarray) -> "Fibers":
        """The two parts of a dense ``(W, A, A)`` bool array: per window, the areas that send and hear
        if the window's fibres are exactly their product (off the diagonal), the rest pair by pair."""
        dense = np.asarray(dense, dtype=bool)
        W, A, _ = dense.shape
        sends, hears = np.zeros((W, A), bool), np.zeros((W, A), bool)
        off = ~np.eye(A, dtype=bool)
        rest = np.zeros_like(dense)
        for w in range(W):
            f = dense[w]
            s, h = f.any(axis=1), f.any(axis=0)
            if np.array_equal(f, np.outer(s, h) & off):
                sends[w], hears[w] = s, h
            else:
                rest[w] = f
        return cls(sends, hears, PairValues.from_dense(rest))

    @property
    def nbytes(self) -> int:
        return int(self.sends.nbytes + self.hears.nbytes + self.pairs.nbytes)

    def on(self, w: int, pre: int, post: int) -> bool:
        """Whether the fibre ``pre -> post`` transmits in window ``w``."""
        if pre != post and self.sends[w, pre] and self.hears[w, post]:
            return True
        if not self.pairs.size:
            return False
        s = self.pairs.in_window(w)
        return bool(np.any((self.pairs.pre[s] == pre) & (self.pairs.post[s] == post)))

    def on_in(self, w: int):
        """``on(pre, post)``: :meth:`on` for window ``w``, its pairs looked up in a set made once."""
        sends, hears = self.sends[w], self.hears[w]
        s = self.pairs.in_window(w) if self.pairs.size else slice(0, 0)
        pairs = set(zip(self.pairs.pre[s].tolist(), self.pairs.post[s].tolist()))
        return lambda pre, post: pre != post and ((bool(sends[pre]) and bool(hears[post])) or (pre, post) in pairs)

    def dense_into(self, out: np.ndarray) -> np.ndarray:
        """Write the fibres into the dense (windows, areas, areas) boolean array ``out`` and return it."""
        A = out.shape[1]
        off = ~np.eye(A, dtype=bool)
        for w in np.flatnonzero(self.sends.any(axis=1) & self.hears.any(axis=1)):
            out[w] = np.outer(self.sends[w], self.hears[w]) & off
        out[self.pairs.window, self.pairs.pre, self.pairs.post] = True
        return out


def _dense_guard(name: str, W: int, A: int) -> None:
    if W * A * A > DENSE_LIMIT:
        raise ProtocolError(
            f"the dense {name} array would hold {W} x {A} x {A} = {W * A * A:,} values (more than "
            f"{DENSE_LIMIT:,}); read the sparse form, protocol.{'gains' if name == 'gain' else 'fibers'}"
        )


@dataclass
class Protocol:
    """A timed schedule of windows; arrays are indexed ``[window, area]``, the values of ordered
    pairs of areas are held sparse (:attr:`gains`, :attr:`fibers`).

    Attributes
    ----------
    phase : (W,) int, index into :data:`PHASES`
    stim_set : (W, A) int, global input-set id stimulated in the area, or -1
    stim_strength : (W, A) float, volley strength of that set (1 = full)
    active : (W, A) bool, the area may fire in the window
    offset : (W, A) float, clock offset of the area in the window (s)
    gains : :class:`PairValues`, the non-zero plasticity gains (beta) of fibres pre -> post; given
        as a dense ``(W, A, A)`` array it is stored in this form. :attr:`gain` is the dense array.
    fibers : :class:`Fibers`, the fibres pre -> post that transmit; given as a dense ``(W, A, A)``
        bool array it is stored in this form. :attr:`fiber` is the dense array.
    probe_source : (W,) int, the probed area of a probe window with one source, else -1
    probe_of : (W, A) int, the probed area whose fibres area ``a`` hears in probe window ``w``,
        else -1 (the readouts read this); by default every area but ``probe_source[w]`` hears it
    coupled : list of lists of (u, v) area pairs coupled in each window
    query_var, query_value : (W,) int, the ``do(X = x)`` query of an intervene
        window (area of ``X``, value index ``x``), else -1
    couple_row : (W,) int, the row of ``table`` whose value pairs a coupling
        window presents, else -1
    """

    n_areas: int
    phase: np.ndarray
    stim_set: np.ndarray
    stim_strength: np.ndarray
    active: np.ndarray
    offset: np.ndarray
    gains: PairValues
    fibers: Fibers
    probe_source: np.ndarray
    coupled: list
    params: ProtocolParams = field(default_factory=ProtocolParams)
    coupled_links: tuple = ()  # the (u, v) pairs the coupling phase trained
    query_var: np.ndarray | None = None
    query_value: np.ndarray | None = None
    table: np.ndarray | None = None  # the data table (rows, A) the coupling and the roots drew from
    couple_row: np.ndarray | None = None
    probe_of: np.ndarray | None = None

    def __post_init__(self):
        W = int(np.asarray(self.phase).shape[0])
        for name in ("query_var", "query_value", "couple_row"):
            if getattr(self, name) is None:
                setattr(self, name, np.full(W, -1, dtype=np.int32))
        if self.probe_of is None:
            self.probe_of = heard_from(np.asarray(self.probe_source), self.n_areas)
        if not isinstance(self.gains, PairValues):
            self.gains = PairValues.from_dense(np.asarray(self.gains, dtype=float))
        if not isinstance(self.fibers, Fibers):
            self.fibers = Fibers.from_dense(np.asarray(self.fibers))

    @property
    def gain(self) -> np.ndarray:
        """(W, A, A) float64: the plasticity gains as a dense array (a new array; a
        :class:`ProtocolError` beyond :data:`DENSE_LIMIT` values). Assigning one stores its sparse form."""
        W, A = self.n_windows, self.n_areas
        _dense_guard("gain", W, A)
        return self.gains.dense_into(np.zeros((W, A, A)))

    @gain.setter
    def gain(self, dense) -> None:
        self.gains = PairValues.from_dense(np.asarray(dense, dtype=float))

    @property
    def fiber(self) -> np.ndarray:
        """(W, A, A) bool: the transmitting fibres as a dense array (a new array; a
        :class:`ProtocolError` beyond :data:`DENSE_LIMIT` values). Assigning one stores its sparse form."""
        W, A = self.n_windows, self.n_areas
        _dense_guard("fiber", W, A)
        return self.fibers.dense_into(np.zeros((W, A, A), dtype=bool))

    @fiber.setter
    def fiber(self, dense) -> None:
        self.fibers = Fibers.from_dense(np.asarray(dense))

    def window_gains(self, w: int) -> dict:
        """{(pre, post): gain} of the fibres with a non-zero gain in window ``w``."""
        g, s = self.gains, self.gains.in_window(w)
        return {(int(a), int(b)): float(v) for a, b, v in zip(g.pre[s], g.post[s], g.value[s])}

    def fiber_on(self, w: int, pre: int, post: int) -> bool:
        """Whether the fibre ``pre -> post`` transmits in window ``w``."""
        return self.fibers.on(w, pre, post)

    def gain_windows(self) -> np.ndarray:
        """The windows with any non-zero gain, sorted."""
        return np.unique(self.gains.window)

    def coupling_rows(self, link: tuple[int, int]) -> np.ndarray:
        """(m, A) value indices of the table rows that coupled ``link`` (a pair of
        :attr:`coupled_links`), in presentation order; empty without a table."""
        if self.table is None:
            return np.zeros((0, self.n_areas), dtype=np.int64)
        ws = [w for w in self.windows("couple") if tuple(link) in self.coupled[w] and self.couple_row[w] >= 0]
        return np.asarray(self.table)[self.couple_row[ws]].reshape(-1, self.n_areas)

    @property
    def n_windows(self) -> int:
        return int(self.phase.shape[0])

    @property
    def batched(self) -> bool:
        """Whether the probe phase is a batched one (:func:`probe_batches`): :attr:`probe_of` is not
        every other area hearing :attr:`probe_source`."""
        return not np.array_equal(self.probe_of, heard_from(self.probe_source, self.n_areas))

    def probe_heard(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(window, source, listener)``: one entry per probe window and area that hears a probed
        area there (:attr:`probe_of`), sorted by source, then listener, then window."""
        probe = self.windows("probe")
        i, v = np.nonzero(self.probe_of[probe] >= 0)
        w = probe[i]
        u = self.probe_of[w, v].astype(np.int64)
        order = np.lexsort((w, v, u))
        return w[order], u[order], v[order].astype(np.int64)

    def windows(self, phase: str) -> np.ndarray:
        """Indices of the windows of ``phase`` (one of :data:`PHASES`), in order."""
        return np.flatnonzero(self.phase == PHASES.index(phase))

    def shape_key(self) -> tuple:
        """What fixes the compiled network's schedule arrays (not their values)."""
        return (self.n_areas, self.n_windows)

    _ARRAYS = ("phase", "stim_set", "stim_strength", "active", "offset", "probe_source", "probe_of")

    def to_arrays(self) -> dict:
        """Plain arrays (for ``np.savez``); :meth:`from_arrays` inverts it."""
        coupled = np.array(
            [(w, u, v) for w, pairs in enumerate(self.coupled) for (u, v) in pairs], dtype=np.int64
        ).reshape(-1, 3)
        g, f = self.gains, self.fibers
        return {
            **{name: getattr(self, name) for name in self._ARRAYS},
            **{f"gain_{k}": getattr(g, k) for k in ("window", "pre", "post", "value")},
            "fiber_sends": f.sends,
            "fiber_hears": f.hears,
            **{f"fiber_{k}": getattr(f.pairs, k) for k in ("window", "pre", "post")},
            "coupled": coupled,
            "query_var": self.query_var,
            "query_value": self.query_value,
            "couple_row": self.couple_row,
            "coupled_links": np.array(self.coupled_links, dtype=np.int64).reshape(-1, 2),
            "n_areas": np.int64(self.n_areas),
            **({"table": np.asarray(self.table)} if self.table is not None else {}),
        }

    @classmethod
    def from_arrays(cls, arrays, params: "ProtocolParams | None" = None) -> "Protocol":
        W = int(np.asarray(arrays["phase"]).shape[0])
        coupled: list = [[] for _ in range(W)]
        for w, u, v in np.asarray(arrays["coupled"]).reshape(-1, 3):
            coupled[int(w)].append((int(u), int(v)))
        keys = set(arrays.keys()) if hasattr(arrays, "keys") else set(arrays)
        extra = {
            name: np.asarray(arrays[name])
            for name in ("query_var", "query_value", "couple_row", "table", "probe_of")
            if name in keys  # probe_of: absent from files written before batched probes (derived)
        }
        if "gain" in keys:  # the dense form
            gains, fibers = np.asarray(arrays["gain"]), np.asarray(arrays["fiber"])
        else:
            gains = PairValues(*(np.asarray(arrays[f"gain_{k}"]) for k in ("window", "pre", "post", "value")))
            fw, fp, fq = (np.asarray(arrays[f"fiber_{k}"]) for k in ("window", "pre", "post"))
            fibers = Fibers(
                np.asarray(arrays["fiber_sends"]),
                np.asarray(arrays["fiber_hears"]),
                PairValues(fw, fp, fq, np.ones(fw.size)),
            )
        phase, stim_set, strength, active, offset, probe_source = (np.asarray(arrays[n]) for n in cls._ARRAYS[:6])
        return cls(
            int(arrays["n_areas"]),
            phase,
            stim_set,
            strength,
            active,
            offset,
            gains,
            fibers,
            probe_source,
            coupled,
            params or ProtocolParams(),
            tuple((int(u), int(v)) for u, v in np.asarray(arrays["coupled_links"]).reshape(-1, 2)),
            **extra,
        )

    def summary(self) -> dict:
        """The protocol in brief: windows in all and per phase, its parameters and the coupled links."""
        return {
            "n_windows": self.n_windows,
            **{f"n_{p}": int(len(self.windows(p))) for p in PHASES},
            "params": self.params.to_dict(),
            "coupled_links": [list(map(int, l)) for l in self.coupled_links],
        }


def _edge_groups(links: list[tuple[int, int]], parallel: bool) -> list[list[tuple[int, int]]]:
    """Groups of links with pairwise disjoint areas (deterministic greedy edge colouring)."""
    if not parallel or len(links) <= 1:
        return [[l] for l in links]
    g = nx.Graph()
    g.add_nodes_from(range(len(links)))
    for a in range(len(links)):
        for b in range(a + 1, len(links)):
            if set(links[a]) & set(links[b]):
                g.add_edge(a, b)
    colour = nx.coloring.greedy_color(g, strategy="largest_first")
    groups: dict[int, list] = {}
    for idx in range(len(links)):
        groups.setdefault(colour[idx], []).append(links[idx])
    return [groups[c] for c in sorted(groups)]


@dataclass(frozen=True)
class _Plan:
    """What fixes the size of a DIRECT protocol, computed before any array is made."""

    links: list  # the (u, v) area pairs the coupling trains
    groups: list  # the links coupled together in each group of coupling windows
    card: np.ndarray  # number of values of every variable
    sets_of: list  # global input-set ids of every area
    reps: int  # do() windows per (variable, value) query (0: no intervene phase)
    counts: dict  # windows of every phase (keys: PHASES)
    probe_pairs: np.ndarray | None = None  # (A, A) bool, the pairs probed in batches (None: one area per window)
    batches: list | None = None  # the areas probed together (probe_batches), with probe_pairs

    @property
    def n_windows(self) -> int:
        return int(sum(self.counts.values()))


def selected_pairs(model: CausalModel, seed: int) -> np.ndarray:
    """(A, A) bool: every true link in both directions and a sample (as many, drawn with a generator
    seeded ``seed``) of the ordered pairs of unlinked variables: the pairs a run beyond
    :data:`~spiking_direct.memory.ALL_PAIRS_LIMIT` reads out (:func:`spiking_direct.pipeline.probe_selection`)."""
    A = model.n_variables
    truth = model.adjacency().astype(bool)
    linked = truth | truth.T
    unlinked = np.flatnonzero((~linked & ~np.eye(A, dtype=bool)).ravel())
    m = min(int(linked.sum()), unlinked.size)
    mask = linked.copy()
    mask.ravel()[np.random.default_rng(seed).choice(unlinked, size=m, replace=False)] = True
    return mask


def probe_batches(pairs: np.ndarray, n_sets) -> list[list[int]]:
    """The areas probed together: a greedy colouring of the areas with a pair in ``pairs`` ((A, A)
    bool, source -> listener) in which two areas conflict where they share a listener or one is a
    listener of the other, so that in a batch every listener hears one source and no source
    listens. Areas are coloured in order of their number of input sets ``n_sets`` (most first; a
    batch lasts as long as its area with the most sets), then of their conflicts, then of index."""
    pairs = np.asarray(pairs, dtype=bool)
    A = pairs.shape[0]
    sources = [int(u) for u in np.flatnonzero(pairs.any(axis=1))]
    g = nx.Graph()
    g.add_nodes_from(sources)
    for v in range(A):
        heard = np.flatnonzero(pairs[:, v])
        for i, a in enumerate(heard):
            for b in heard[i + 1 :]:
                g.add_edge(int(a), int(b))
    for u in sources:
        for v in np.flatnonzero(pairs[u]):
            if int(v) in g:
                g.add_edge(u, int(v))
    n_sets = np.asarray(n_sets)
    order = sorted(sources, key=lambda u: (-int(n_sets[u]), -g.degree(u), u))
    colour = nx.coloring.greedy_color(g, strategy=lambda graph, colors: iter(order))
    batches: dict[int, list] = {}
    for u in sources:
        batches.setdefault(colour[u], []).append(u)
    return [batches[c] for c in sorted(batches)]


def heard_from(probe_source: np.ndarray, n_areas: int) -> np.ndarray:
    """(W, A) int32: :attr:`Protocol.probe_of` of windows that probe one area each (``probe_source``,
    -1 elsewhere): every other area hears it."""
    src = np.asarray(probe_source).astype(np.int32).reshape(-1)
    out = np.repeat(src[:, None], n_areas, axis=1)
    rows = np.flatnonzero(src >= 0)
    out[rows, src[rows]] = -1
    return out


def _plan(
    model: CausalModel,
    encoding: Encoding,
    params: ProtocolParams,
    rng: np.random.Generator,
    probe_pairs: np.ndarray | None = None,
) -> _Plan:
    """The links, coupling groups and window counts of the DIRECT protocol
    (draws from ``rng`` only under the ``shuffled_links`` control, first); with ``probe_pairs``
    the batches of the probe phase (:func:`probe_batches`)."""
    params.validate()
    A = model.n_variables
    links = list(model.link_indices())
    if params.control == "shuffled_links":
        shuffled = model.shuffled(rng)
        links = list(shuffled.link_indices())
    elif params.control == "reversed_links":
        links = [(v, u) for (u, v) in links]
    groups = _edge_groups(links, params.parallel_coupling)
    card = np.array([model.cardinality(v) for v in model.variables])
    sets_of = [encoding.sets_of(a) for a in range(A)]
    # do() queries need one assembly per value: index encoding only
    reps = int(params.intervene_reps) if encoding.kind == "index" else 0
    batches = None
    if probe_pairs is None:
        probe = params.probe_reps * sum(len(s) for s in sets_of)
    else:
        probe_pairs = np.asarray(probe_pairs, dtype=bool) & ~np.eye(A, dtype=bool)
        if probe_pairs.shape != (A, A):
            raise ProtocolError(f"probe_pairs must have shape ({A}, {A}), got {probe_pairs.shape}")
        batches = probe_batches(probe_pairs, [len(s) for s in sets_of])
        probe = params.probe_reps * sum(max(len(sets_of[u]) for u in b) for b in batches)
    counts = {
        "identify": params.identify_reps * max(len(s) for s in sets_of),
        "couple": params.couple_steps * len(groups),
        "probe": probe,
        "intervene": reps * int(card.sum()),
    }
    return _Plan(links, groups, card, sets_of, reps, counts, probe_pairs, batches)


def window_counts(
    model: CausalModel,
    encoding: Encoding,
    params: ProtocolParams,
    rng: np.random.Generator | None = None,
    probe_pairs: np.ndarray | None = None,
) -> dict:
    """Windows of every phase of :func:`direct_protocol` (a dict keyed by
    :data:`PHASES`), without building the protocol's arrays or its data table.

    ``rng`` matters only under the ``shuffled_links`` control, whose random
    links decide how many coupling groups there are: pass a fresh generator
    seeded like the run's (``numpy.random.default_rng(seed)``) for the run's
    exact count; without one a generator seeded 0 stands in. ``probe_pairs``: as for
    :func:`direct_protocol`.
    """
    if rng is None:
        rng = np.random.default_rng(0)
    return dict(_plan(model, encoding, params, rng, probe_pairs).counts)


def count_windows(
    model: CausalModel,
    encoding: Encoding,
    params: ProtocolParams,
    rng: np.random.Generator | None = None,
    probe_pairs: np.ndarray | None = None,
) -> int:
    """Number of windows of :func:`direct_protocol` (see :func:`window_counts`)."""
    return int(sum(window_counts(model, encoding, params, rng, probe_pairs).values()))


class _Schedule:
    """The arrays of a protocol (see :class:`Protocol`), written one window after the other."""

    def __init__(self, n_windows: int, n_areas: int):
        W, A = n_windows, n_areas
        self.n_areas = A
        self.phase = np.zeros(W, dtype=np.int8)
        self.stim_set = np.full((W, A), -1, dtype=np.int32)
        self.stim_strength = np.zeros((W, A))
        self.active = np.zeros((W, A), dtype=bool)
        self.offset = np.zeros((W, A))
        self.gain: tuple[list, list, list, list] = ([], [], [], [])  # window, pre, post, value
        self.sends = np.zeros((W, A), dtype=bool)
        self.hears = np.zeros((W, A), dtype=bool)
        self.fiber: tuple[list, list, list] = ([], [], [])  # window, pre, post
        self.probe_source = np.full(W, -1, dtype=np.int32)
        self.probe_of = np.full((W, A), -1, dtype=np.int32)
        self.query_var = np.full(W, -1, dtype=np.int32)
        self.query_value = np.full(W, -1, dtype=np.int32)
        self.couple_row = np.full(W, -1, dtype=np.int32)
        self.coupled: list = [[] for _ in range(W)]
        self.w = 0  # the next window

    def open(self, phase: str) -> int:
        """The next window, as one of ``phase``."""
        w = self.w
        self.phase[w] = PHASES.index(phase)
        self.w += 1
        return w

    def stimulate(self, w: int, area: int, set_id: int, strength: float) -> None:
        self.stim_set[w, area] = set_id
        self.stim_strength[w, area] = strength

    def set_gain(self, w: int, pre: int, post: int, value: float) -> None:
        """The gain of the fibre ``pre -> post`` in window ``w`` (written once per window and pair)."""
        if value != 0:
            for part, x in zip(self.gain, (w, pre, post, value)):
                part.append(x)

    def transmit(self, w: int, pre: int, post: int) -> None:
        """The fibre ``pre -> post`` transmits in window ``w``."""
        for part, x in zip(self.fiber, (w, pre, post)):
            part.append(x)

    def gains(self) -> PairValues:
        return PairValues.from_lists(*self.gain)

    def fibers(self) -> Fibers:
        w, pre, post = self.fiber
        return Fibers(self.sends, self.hears, PairValues.from_lists(w, pre, post, [1.0] * len(w)))


def _data_table(
    model: CausalModel, plan: _Plan, params: ProtocolParams, rng: np.random.Generator, table: np.ndarray | None
) -> np.ndarray:
    """``table`` checked against the model, or ``data_rows`` rows drawn with ``rng``: sampled from
    the model, or (a model without conditional tables) every value pair equally often."""
    A = model.n_variables
    if table is not None:
        table = np.asarray(table)
        if table.ndim != 2 or table.shape[1] != A or table.shape[0] < 1:
            raise ProtocolError(f"the data table must have shape (rows >= 1, {A}), got {table.shape}")
        if table.min() < 0 or np.any(table.max(axis=0) >= plan.card):
            raise ProtocolError("the data table holds value indices outside the variables' values")
        return table
    if model.has_cpds:
        return model.sample_indices(params.data_rows, rng)
    return (rng.random((params.data_rows, A)) * plan.card).astype(int)


def _identify(sched: _Schedule, plan: _Plan, params: ProtocolParams) -> None:
    """Every area sees each of its sets ``identify_reps`` times, areas in parallel."""
    for rep in range(plan.counts["identify"]):
        w = sched.open("identify")
        for a, sets in enumerate(plan.sets_of):
            if rep < params.identify_reps * len(sets):
                sched.stimulate(w, a, sets[rep % len(sets)], 1.0)
                sched.active[w, a] = True


def _couple(
    sched: _Schedule,
    plan: _Plan,
    params: ProtocolParams,
    encoding: Encoding,
    table: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Each group of links, ``couple_steps`` windows, on value pairs from rows of ``table``
    (drawn with ``rng``, one draw per group): the source leads by ``lead``, the gain follows
    the schedule."""
    lead = 0.0 if params.control == "zero_lead" else params.seconds("lead")
    betas = params.gains(np.arange(1, params.couple_steps + 1))
    if params.control == "no_plasticity":
        betas = np.zeros_like(betas)
    harmonic = params.schedule == "harmonic"
    shown: dict = {}  # (pre area, post area, input set of the pre area) -> coupling windows so far
    for group in plan.groups:
        rows = rng.integers(0, table.shape[0], size=params.couple_steps)
        for s in range(params.couple_steps):
            w = sched.open("couple")
            row = table[rows[s]]
            sched.couple_row[w] = rows[s]
            for u, v in group:
                for area in (u, v):
                    sched.stimulate(w, area, *encoding.stimulus(area, int(row[area])))
                    sched.active[w, area] = True
                leader, lagger = (v, u) if params.control == "reversed_lead" else (u, v)
                sched.offset[w, leader] = 0.0
                sched.offset[w, lagger] = lead
                if harmonic:
                    for a, b in ((u, v), (v, u)):
                        key = (a, b, sched.stim_set[w, a])
                        m = shown[key] = shown.get(key, 0) + 1
                        sched.set_gain(w, a, b, betas[m - 1])  # m <= couple_steps
                else:
                    sched.set_gain(w, u, v, betas[s])
                    sched.set_gain(w, v, u, betas[s])
                if params.couple_transmit:
                    sched.transmit(w, leader, lagger)
                sched.coupled[w].append((u, v))


def _probe(sched: _Schedule, plan: _Plan, params: ProtocolParams) -> None:
    """Each set of each area, ``probe_reps`` times, plasticity off; every other area listens,
    its clock lagging by ``probe_lag``. With ``plan.batches``: the areas of a batch together."""
    if plan.batches is not None:
        _probe_batches(sched, plan, params)
        return
    lag = params.seconds("probe_lag")
    for a, sets in enumerate(plan.sets_of):
        for set_id in sets:
            for _ in range(params.probe_reps):
                w = sched.open("probe")
                sched.stimulate(w, a, set_id, 1.0)
                sched.active[w, :] = True
                sched.offset[w, :] = lag
                sched.offset[w, a] = 0.0
                sched.sends[w, a] = True  # into every other area
                sched.hears[w, :] = True
                sched.probe_source[w] = a
                sched.probe_of[w, :] = a
                sched.probe_of[w, a] = -1


def _probe_batches(sched: _Schedule, plan: _Plan, params: ProtocolParams) -> None:
    """The areas of each batch of ``plan.batches`` probed in the same windows, ``probe_reps`` per
    input set of each (set after set, as one area alone; an area with fewer sets than the batch's
    largest rests in its last windows); each source's fibres reach only its listeners in
    ``plan.probe_pairs``, whose clocks lag by ``probe_lag``; only sources and listeners are active."""
    lag, reps = params.seconds("probe_lag"), params.probe_reps
    for batch in plan.batches:
        for i in range(reps * max(len(plan.sets_of[u]) for u in batch)):
            w = sched.open("probe")
            sched.offset[w, :] = lag
            sources = [u for u in batch if i < reps * len(plan.sets_of[u])]
            for u in sources:
                sched.stimulate(w, u, plan.sets_of[u][i // reps], 1.0)
                sched.active[w, u] = True
                sched.offset[w, u] = 0.0
                for v in np.flatnonzero(plan.probe_pairs[u]):
                    sched.transmit(w, u, int(v))
                    sched.active[w, v] = True
                    sched.probe_of[w, v] = u
            if len(sources) == 1:
                sched.probe_source[w] = sources[0]


def _depths(links: list, n_areas: int) -> np.ndarray:
    """(A,) the longest chain of links from a root to each area."""
    spec = nx.DiGraph(links)
    spec.add_nodes_from(range(n_areas))
    depth = np.zeros(n_areas)
    for a in nx.topological_sort(spec):
        for b in spec.successors(a):
            depth[b] = max(depth[b], depth[a] + 1)
    return depth


def _intervene(
    sched: _Schedule,
    plan: _Plan,
    params: ProtocolParams,
    encoding: Encoding,
    table: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """``do(X = x)`` for every variable and value, ``plan.reps`` windows each: the roots of the
    trained specification follow rows of ``table`` (the same rows for every value of ``X``),
    listeners lag by their depth."""
    A = sched.n_areas
    if not plan.reps:
        return
    has_parent = np.zeros(A, dtype=bool)
    for _, v in plan.links:
        has_parent[v] = True
    roots = np.flatnonzero(~has_parent)
    depth = _depths(plan.links, A)
    lag = min(params.seconds("intervene_lag"), params.seconds("intervene_span") / max(depth.max(), 1.0))
    root_rows = rng.integers(0, table.shape[0], size=(A, plan.reps))  # shared by every value of X
    for x_area in range(A):
        for x in range(int(plan.card[x_area])):
            for r in range(plan.reps):
                w = sched.open("intervene")
                sched.query_var[w], sched.query_value[w] = x_area, x
                row = table[root_rows[x_area, r]]
                clamped = {int(a): int(row[a]) for a in roots if a != x_area}
                clamped[x_area] = x
                sched.active[w, :] = True
                sched.offset[w, :] = lag * depth
                listeners = np.ones(A, dtype=bool)
                for a, val in clamped.items():
                    sched.stimulate(w, a, *encoding.stimulus(a, val))
                    sched.offset[w, a] = 0.0
                    listeners[a] = False
                sched.sends[w, :] = True  # every area's fibres reach the listeners ...
                sched.hears[w] = listeners  # ... and no fibre reaches a clamped area


def direct_protocol(
    model: CausalModel,
    encoding: Encoding,
    params: ProtocolParams,
    rng: np.random.Generator,
    table: np.ndarray | None = None,
    probe_pairs: np.ndarray | None = None,
) -> Protocol:
    """Write the DIRECT protocol for ``model`` (see module docstring): the windows of the
    identify, couple, probe and intervene phases, one after the other. The times of
    ``params`` go into the arrays (``offset``) in seconds, as floats.

    ``table``: (rows, n_variables) value indices the coupling draws its value
    pairs from (default: ``data_rows`` rows sampled from the model with ``rng``).
    ``probe_pairs``: (A, A) bool, the ordered pairs to read out; given, the probe phase probes
    several areas per window (:func:`probe_batches`) and only these pairs (default: every area
    alone, heard by every other area).
    """
    plan = _plan(model, encoding, params, rng, probe_pairs)
    table = _data_table(model, plan, params, rng, table)
    sched = _Schedule(plan.n_windows, model.n_variables)
    _identify(sched, plan, params)
    _couple(sched, plan, params, encoding, table, rng)
    _probe(sched, plan, params)
    _intervene(sched, plan, params, encoding, table, rng)
    assert sched.w == plan.n_windows
    return Protocol(
        n_areas=model.n_variables,
        phase=sched.phase,
        stim_set=sched.stim_set,
        stim_strength=sched.stim_strength,
        active=sched.active,
        offset=sched.offset,
        gains=sched.gains(),
        fibers=sched.fibers(),
        probe_source=sched.probe_source,
        coupled=sched.coupled,
        params=params,
        coupled_links=tuple(plan.links),
        query_var=sched.query_var,
        query_value=sched.query_value,
        table=table,
        couple_row=sched.couple_row,
        probe_of=sched.probe_of,
    )


def protocol_from_values(values: dict, set_area) -> "Protocol":
    """The :class:`Protocol` record of a schedule given directly as the spiking network's TimedArray
    values (``stim_strength`` per input set, ``area_active``, ``area_offset``, ``plasticity_gain`` and
    ``fiber_on`` per ordered pair), as experiments that drive input sets by hand give it: every window
    in the identify phase, each area's stimulus its first stimulated input set (lowest index)."""
    set_area = np.asarray(set_area)
    stim = np.asarray(values["stim_strength"], dtype=float)
    active = np.asarray(values["area_active"], dtype=float)
    W, A = active.shape
    stim_set, strength = np.full((W, A), -1), np.zeros((W, A))
    for a in range(A):
        sets = np.flatnonzero(set_area == a)
        for w in range(W):
            on = sets[stim[w, sets] > 0]
            if on.size:
                stim_set[w, a], strength[w, a] = on[0], stim[w, on[0]]
    return Protocol(
        A,
        np.full(W, PHASES.index("identify"), dtype=np.int8),
        stim_set,
        strength,
        active.astype(bool),
        np.asarray(values["area_offset"], dtype=float),
        np.asarray(values["plasticity_gain"], dtype=float).reshape(W, A, A),
        np.asarray(values["fiber_on"]).reshape(W, A, A).astype(bool),
        np.full(W, -1),
        [[] for _ in range(W)],
    )
