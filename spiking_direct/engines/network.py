"""The spiking network: its parameters and its Brian2 objects, one monolithic network per shape.

One excitatory ``NeuronGroup`` holds every area (areas are index ranges), one
inhibitory group holds every area's interneurons, one group holds every
input cell, and four ``Synapses`` objects connect them: input -> E, E -> I
and I -> E inside each area, and one plastic E -> E object for every ordered
pair of distinct areas. The protocol enters as five named two-dimensional
``TimedArray`` objects (one value per window and area or pair of areas; a
sixth, ``area_learns``, is derived from the gains), so
the compiled network runs any protocol with the same number of windows and
areas: seeds, leads, gain schedules and stimuli change through
``run_args`` without recompiling.

Randomness: the protocol (data table, value pairs) comes from a NumPy
``Generator`` seeded with the run's seed; everything drawn inside the network
(connectivity, initial and input weights, membrane noise, input-cell
sampling) comes from Brian2's generator, seeded with the same seed (``seed()``
on the runtime backend; on standalone backends the binary reseeds its
generators at start from the ``SPIKING_DIRECT_SEED`` environment variable).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..brian_state import detach_from_magic
from ..errors import SpikingError, suggest
from ..models import (
    CorticalParams,
    ExcitatoryParams,
    InhibitoryParams,
    InputParams,
    NeuronModel,
    StaticParams,
    STDPParams,
    WindowClock,
    area_clock_model,
    excitatory_model,
    inhibitory_model,
    input_model,
    static_model,
    stdp_model,
)
from ..models.neurons import (
    EI_ON_PRE,
    INHIBITORY_WINDOW_RESET,
    INPUT_STIMULI,
    LEARN_EVENT,
    NOISE_UPDATE,
    excitatory_window_reset,
)
from ..models.synapses import stdp_traces
from ..protocol import Protocol
from ..recording import Recording
from ..results import jsonable as _jsonable
from ..settings import SEED_VARIABLE
from . import parts

SEED_ENV = SEED_VARIABLE  # read by an exported standalone binary, not by the package

#: the circuits an area can be built with: ``clocked``, the window clock with a counting cap
#: (this module), and ``cortical``, conductance-based cells with delayed feedback inhibition and
#: assemblies formed by plasticity (:mod:`spiking_direct.engines.cortical`)
NETWORKS = ("clocked", "cortical")


#: the step at which the cap is measured to hold for ``N_REF_DT`` cells per area
DT_REF_MS = 0.1
N_REF_DT = 1000


def cap_dt(n: int):
    """The largest time step (0.1, 0.05, 0.025 ... ms) at which an area of ``n``
    cells holds its cap: ``0.1 ms * sqrt(1000 / n)``, at most 0.1 ms.

    Why: the cap's inhibition lands one step after the spike that completes
    the count, so every cell that crosses threshold in that step fires on top
    of ``k``. When a second input pushes many cells over together (own input
    plus an upstream assembly), the number crossing per step grows with the
    cells near threshold (with ``n``, times ``dt``) while the tolerance (``k/4``)
    grows with ``sqrt(n)``: ``dt`` must shrink as ``1/sqrt(n)`` for the overshoot's
    share of ``k`` to stay put. Measured (``experiments/cap_drive.py``, own +
    upstream with the volley landing during the sweep (lag 5 ms), n = 2000,
    k = 45): 53.1 +- 7.1 winners (62 % of windows within +-25 %) at
    0.1 ms, 45.8 +- 3.4 (100 %) at 0.05 ms; at n = 1000, 0.1 ms gives 0.92.
    """
    import brian2 as b2

    if n < 1:
        raise SpikingError(f"area size n must be >= 1, got {n}")
    dt = DT_REF_MS
    while dt > DT_REF_MS * np.sqrt(N_REF_DT / n) * (1 + 1e-9):
        dt /= 2
    return dt * b2.ms


@dataclass(frozen=True)
class SpikingParams:
    """Parameters of the spiking network (all fixed at build time)."""

    n: int = 1000  # excitatory neurons per area
    k: int | None = None  # target cap; None: round(sqrt(n)), the Assembly Calculus rule
    inh_ratio: float = 0.1  # inhibitory neurons per excitatory neuron
    clock: WindowClock = field(default_factory=WindowClock)
    exc: ExcitatoryParams = field(default_factory=ExcitatoryParams)
    inh: InhibitoryParams = field(default_factory=InhibitoryParams)
    inp: InputParams = field(default_factory=InputParams)
    static: StaticParams = field(default_factory=StaticParams)
    stdp: STDPParams = field(default_factory=STDPParams)
    connectivity: str = "all"  # inter-area synapses: "all" ordered pairs, or "linked" (pairs the protocol couples)
    neuron: NeuronModel | None = None  # the excitatory cells' own model (models.NeuronModel); None: the built-in LIF
    network: str = "clocked"  # the areas' circuit: "clocked" (window clock, counting cap) or "cortical" (NETWORKS)
    cortical: CorticalParams = field(default_factory=CorticalParams)  # the cortical network's parameters

    @property
    def k_eff(self) -> int:
        return int(self.k) if self.k is not None else int(round(np.sqrt(self.n)))

    @property
    def n_inh(self) -> int:
        if self.network == "cortical":
            return self.cortical.n_inh(self.n)
        return max(1, int(round(self.inh_ratio * self.n)))

    @classmethod
    def for_size(cls, n: int, **kwargs) -> "SpikingParams":
        """Parameters for ``n`` cells per area with the size rules applied:
        ``k = round(sqrt(n))`` (unless ``k`` is given) and the clock step
        :func:`cap_dt` (unless ``clock`` is given)."""
        if "clock" not in kwargs:
            kwargs["clock"] = replace(WindowClock(), dt=cap_dt(n))
        return cls(n=n, **kwargs)

    def with_network(self, network: str) -> "SpikingParams":
        """These parameters on ``network``, with that network's default window clock when the
        clock is the other network's default (a clock set by hand is kept)."""
        from ..models.cortical import cortical_clock

        defaults = {"clocked": WindowClock(), "cortical": cortical_clock()}
        clock = self.clock
        if network in defaults and any(clock == d for d in defaults.values()):
            clock = replace(defaults[network], dt=clock.dt)
        return replace(self, network=network, clock=clock)

    def validate(self) -> None:
        """Check the parameters across fields; one :class:`~spiking_direct.errors.SpikingError` line naming the problem
        and the allowed values."""
        if self.n < 2:
            raise SpikingError(f"area size n must be >= 2, got {self.n}")
        if self.network == "clocked" and float(self.clock.dt) > float(cap_dt(self.n)) * (1 + 1e-9):
            warnings.warn(
                f"time step {self.clock.dt} is coarser than {cap_dt(self.n)}, the step at which an "
                f"area of n = {self.n} holds its cap under combined drive (see cap_dt); "
                f"set spiking.clock.dt or use SpikingParams.for_size(n)",
                stacklevel=3,
            )
        if not 1 <= self.k_eff <= self.n:
            raise SpikingError(f"k must be between 1 and n = {self.n}, got k = {self.k_eff}")
        if self.network not in NETWORKS:
            raise SpikingError(
                f"unknown network {self.network!r}{suggest(self.network, NETWORKS)}; choose from {list(NETWORKS)}"
            )
        if self.network == "cortical":
            if self.neuron is not None:
                raise SpikingError("a custom neuron model (neuron=) runs on the clocked network only")
            self.cortical.validate()
            if self.inp.stimulus != "volley":
                raise SpikingError(
                    f"inp.stimulus={self.inp.stimulus!r} runs on the clocked network only; "
                    "the cortical network takes inp.stimulus='volley'"
                )
        if self.inp.stimulus not in INPUT_STIMULI:
            raise SpikingError(f"inp.stimulus must be one of {list(INPUT_STIMULI)}, got {self.inp.stimulus!r}")
        if not float(self.inp.poisson_rate) > 0:
            raise SpikingError(f"inp.poisson_rate must be > 0, got {self.inp.poisson_rate}")
        if self.connectivity not in ("all", "linked"):
            raise SpikingError(f"connectivity must be 'all' or 'linked', got {self.connectivity!r}")
        try:
            self.exc.validate()
        except ValueError as exc:
            raise SpikingError(str(exc)) from None
        self.stdp.validate()
        if self.neuron is not None:
            if not isinstance(self.neuron, NeuronModel):
                raise SpikingError(f"neuron must be a spiking_direct.NeuronModel, got {type(self.neuron).__name__}")
            self.neuron.validate()

    def to_dict(self) -> dict:
        """The parameters as JSON-ready values: those of the selected network only."""
        d = _jsonable(asdict(self)) | {"k": self.k_eff, "n_inh": self.n_inh}
        if self.network == "clocked":
            d.pop("network")
            d.pop("cortical")
        else:
            for key in ("exc", "inh", "static", "inh_ratio", "neuron"):
                d.pop(key)
        return d


# --------------------------------------------------------------------------
# Network construction (shared by every backend)
# --------------------------------------------------------------------------
TIMED_ARRAYS = ("stim_strength", "area_active", "area_offset", "plasticity_gain", "fiber_on")
#: TimedArrays computed from the five above (see :func:`with_derived`)
DERIVED_ARRAYS = ("area_learns",)


def with_derived(values: dict, n_areas: int) -> dict:
    """``values`` plus the TimedArray values derived from them: ``area_learns[w, b]``
    = 1 if any fibre into area ``b`` has a non-zero plasticity gain in window
    ``w``, else 0 (gates the potentiation pathway together with the source
    activity, see ``models.neurons.area_clock_model``; 2 opens it on every spike).
    A derived value that ``values`` already holds is kept (tests open the gate
    everywhere to check that it changes nothing)."""
    out = dict(values)
    if "area_forms" not in out:
        out["area_forms"] = np.zeros(np.shape(values["area_active"]))
    if "area_learns" in out:  # given, or derived with the pair form (parts.pair_values)
        return out
    gain = np.asarray(values["plasticity_gain"], dtype=float)
    W = gain.shape[0]
    out["area_learns"] = (gain.reshape(W, n_areas, n_areas) != 0).any(axis=1).astype(float)
    return out


def timed_values(protocol: Protocol, n_sets: int, set_area: np.ndarray, stim: bool = True) -> dict:
    """The protocol as the TimedArray value arrays (window-major): the five of :data:`TIMED_ARRAYS`
    with ``area_forms``, or, for a protocol beyond :data:`~spiking_direct.protocol.DENSE_PAIRS_LIMIT`, the pair form
    (:func:`~.parts.pair_values`) in place of ``plasticity_gain`` and ``fiber_on``."""
    W, A = protocol.n_windows, protocol.n_areas
    strength = np.zeros((W, n_sets))
    rows, cols = np.nonzero(protocol.stim_set >= 0)
    strength[rows, protocol.stim_set[rows, cols]] = protocol.stim_strength[rows, cols]
    from ..protocol import PHASES

    # assembly formation (cortical network): plasticity of the input and recurrent synapses of
    # an area in the identify windows that stimulate it
    forms = (protocol.phase == PHASES.index("identify"))[:, None] & (protocol.stim_set >= 0)
    values = {
        "stim_strength": strength,
        "area_forms": forms.astype(float),
        "area_active": protocol.active.astype(float),
        "area_offset": protocol.offset.astype(float),
    }
    if parts.pair_form(W, A):
        return values | parts.pair_values(protocol)
    return values | {
        "plasticity_gain": protocol.gain.reshape(W, A * A),  # a new float64 array: not copied again
        "fiber_on": protocol.fiber.reshape(W, A * A).astype(float),
    }


@dataclass
class Network:
    """The Brian2 objects of one network and what is needed to run it again."""

    net: object
    timed: dict
    exc: object
    syn_ee: object
    spikes: object
    shape: dict
    params: SpikingParams
    state: object = None


def build_network(
    params: SpikingParams,
    n_areas: int,
    n_windows: int,
    set_area: np.ndarray,
    values: dict | None = None,
    monitors: dict | None = None,
    allowed: np.ndarray | None = None,
    codeobj_class=None,
    shapes: dict | None = None,
) -> Network:
    """Create the Brian2 objects (on the currently selected device): the clocked network here, the
    cortical one (``params.network == "cortical"``) in :mod:`spiking_direct.engines.cortical`.

    ``monitors`` optionally adds a ``StateMonitor`` of excitatory variables:
    ``{"vars": ("ge",), "neurons": (start, stop), "dt_ms": 0.5}`` (or ``"cells": [i, ...]``,
    excitatory cell indices, instead of ``"neurons"``); it is
    returned as ``Network.state``. ``allowed`` (A x A bool) restricts the
    inter-area synapses to those ordered pairs of areas (``connectivity="linked"``).
    ``codeobj_class`` (default: the device's) is given to the neuron groups; the
    ``cpp_standalone`` backend gives its block thresholder
    (:func:`~spiking_direct.engines.backends.block_threshold_codeobject`). ``shapes``
    (:func:`~.parts.layout`) builds the pair form without ``values``; with ``values`` their form is built.

    The clocked network is built in parts, in this order (the order fixes the random draws):
    the namespace and TimedArrays (:func:`_clocked_namespace`), the excitatory cells and the area
    clock (:func:`_excitatory_cells`), the interneurons (:func:`_interneurons`), the input cells
    (:func:`_input_cells`), the local synapses (:func:`_local_synapses`), the inter-area STDP
    synapses (:func:`_inter_area_synapses`) and the monitors.
    """
    import brian2 as b2

    params.validate()
    if values is None:
        values = parts.empty_values(n_windows, len(set_area), n_areas, shapes)
    values = with_derived(values, n_areas)
    names = (TIMED_ARRAYS[:3] + parts.PAIR_ARRAYS) if parts.is_pair_form(values) else TIMED_ARRAYS
    if params.network == "cortical":
        from .cortical import build_cortical_network

        fields = build_cortical_network(
            params,
            n_areas,
            n_windows,
            set_area,
            values,
            monitors=monitors,
            allowed=allowed,
            codeobj_class=codeobj_class,
            timed_names=names,
        )
        return Network(params=params, **fields)
    timed, ns = _clocked_namespace(params, n_areas, values, allowed, names)
    # every group runs on the default clock (brian2cuda's synapse templates assume it)
    b2.defaultclock.dt = params.clock.dt
    E, C = _excitatory_cells(params, n_areas, ns, codeobj_class)
    I = _interneurons(params, n_areas, ns, C, codeobj_class)
    Inp = _input_cells(params, set_area, ns, C, codeobj_class)
    S_in, S_ei, S_ie = _local_synapses(params, Inp, E, I, ns)
    S_ee = _inter_area_synapses(params, E, ns, allowed)
    spikes = b2.SpikeMonitor(E, record=True, name="exc_spikes")
    net = b2.Network(E, C, I, Inp, S_in, S_ei, S_ie, S_ee, spikes, name="direct_network")
    state = parts.state_monitor(E, monitors)
    if state is not None:
        net.add(state)
    detach_from_magic(net.objects)  # a user's later magic run() must never collect the package's objects
    return Network(net, timed, E, S_ee, spikes, parts.shape(n_areas, n_windows, set_area), params, state)


def _clocked_namespace(params: SpikingParams, A: int, values: dict, allowed, names) -> tuple[dict, dict]:
    """The protocol's TimedArrays (``names`` and the derived ones) and the namespace of every
    clocked-network object."""
    n_i, clock = params.n_inh, params.clock
    names = tuple(names) + DERIVED_ARRAYS
    if params.inp.stimulus == "poisson":  # the input cells read their counts, not stim_strength
        names = tuple(n for n in names if n != "stim_strength") + ("stim_count",)
        if "stim_count" not in values:  # a build without a protocol
            values = {
                **values,
                "stim_count": np.zeros(
                    (len(values["stim_strength"]), np.shape(values["stim_strength"])[1] * params.inp.n_per_set)
                ),
            }
    timed = parts.timed_arrays(values, names, clock.T_win)
    w_ei = (params.inh.v_th_I - params.inh.E_L_I) / (params.static.k_scale * params.k_eff * params.static.p_ei)
    ns = {
        **clock.namespace(),
        **params.exc.namespace(),
        **params.inh.namespace(),
        **params.stdp.namespace(),
        **timed,
        "n_areas": A,
        "n_E": params.n,
        "n_I": n_i,
        "w_ei": w_ei,
        "w_ie": params.static.W_ie / (params.static.p_ie * n_i),
        "w_in": params.inp.w_in,
        "p_in": params.inp.p_in,
        "p_ei": params.static.p_ei,
        "p_ie": params.static.p_ie,
        "p_inter": params.stdp.p_inter,
    }
    if allowed is not None:
        ns["allowed_pair"] = parts.allowed_lookup(allowed, A, clock.T_win)
    if params.neuron is not None:
        clash = set(params.neuron.namespace) & set(ns)
        if clash:
            raise SpikingError(f"neuron model: its namespace redefines the network's {sorted(clash)}")
        ns.update(params.neuron.namespace)
    return timed, ns


def _excitatory_cells(params: SpikingParams, A: int, ns: dict, codeobj_class):
    """The excitatory cells (with their STDP traces, window reset and noise) and the area clock."""
    import brian2 as b2

    n, clock, noise = params.n, params.clock, params.exc.noise
    exc_eqs, exc_thr, exc_reset = excitatory_model(noise, neuron=params.neuron)
    tr_eqs, tr_spike, tr_reset = stdp_traces(params.stdp)
    E = b2.NeuronGroup(
        A * n,
        exc_eqs + tr_eqs,
        threshold=exc_thr,
        reset=f"{exc_reset}; {tr_spike}",
        refractory="tau_ref",
        events={"learn": LEARN_EVENT},
        method="euler",
        namespace=ns,
        name="exc",
        codeobj_class=codeobj_class,
    )
    E.area = np.repeat(np.arange(A), n)
    E.v = params.exc.E_L
    # the area clock: window threshold, input volley and learning gate, once per area and step.
    # The source gate of potentiation reads whether each area has fired from its first interneuron,
    # which every excitatory spike of the area reaches only with p_ei = 1 (else the area gate alone)
    clk_eqs, clk_update = parts.in_form(area_clock_model(A if _source_gate(params, A) else None), ns)
    C = b2.NeuronGroup(A, clk_eqs, namespace=ns, name="area_clock")
    C.area = np.arange(A)
    C.run_regularly(clk_update, when="before_thresholds", name="area_clock_update")
    E.theta = b2.linked_var(C, "theta", index=np.repeat(np.arange(A), n))
    E.learns = b2.linked_var(C, "learns", index=np.repeat(np.arange(A), n))
    window_reset = excitatory_window_reset(noise) + (
        f"; {params.neuron.window_reset}" if params.neuron is not None and params.neuron.window_reset else ""
    )
    E.run_regularly(f"{window_reset}; {tr_reset}", dt=clock.T_win, when="start", order=0, name="exc_window_reset")
    if noise == "colored":
        E.run_regularly(NOISE_UPDATE, dt=params.exc.noise_dt, when="start", order=1, name="exc_noise")
    return E, C


#: the most areas for which the area clock gates potentiation by its sources' firing
#: (:func:`~models.neurons.area_clock_model`). The gate changes no weight, only the time: every
#: clock cell loads every area's ``fired`` flag in every step (Brian2 reads all of a statement's
#: variables before evaluating it), so it costs ``A^2`` loads per step against the potentiation
#: walks it skips. Measured (second-seed simulate time, gated / area gate only): alarm (37
#: areas, n = 250) 9.0 / 10.0 s, Alzheimer (10 areas) 3.8 / 4.3 s; 64 areas (n = 100) 5.0 / 4.6 s;
#: andes (223 areas, n = 250) spent 21 % of its loop in the clock cells' update
SOURCE_GATE_MAX_AREAS = 48


def _source_gate(params: SpikingParams, n_areas: int) -> bool:
    """Whether the area clock gates potentiation by its sources' firing: with ``p_ei = 1`` (one
    interneuron hears every excitatory spike of its area) and at most
    :data:`SOURCE_GATE_MAX_AREAS` areas."""
    return params.static.p_ei >= 1 and n_areas <= SOURCE_GATE_MAX_AREAS


def _interneurons(params: SpikingParams, A: int, ns: dict, C, codeobj_class):
    """The interneurons of the counting cap (and, with the source gate, their links to the area clock)."""
    import brian2 as b2

    n_i = params.n_inh
    inh_eqs, inh_thr, inh_reset = inhibitory_model()
    I = b2.NeuronGroup(
        A * n_i,
        inh_eqs,
        threshold=inh_thr,
        reset=inh_reset,
        refractory="tau_ref_I",
        method="exact",
        namespace=ns,
        name="inh",
        codeobj_class=codeobj_class,
    )
    I.area = np.repeat(np.arange(A), n_i)
    I.v = params.inh.E_L_I
    I.run_regularly(INHIBITORY_WINDOW_RESET, dt=params.clock.T_win, when="start", name="inh_window_reset")
    if _source_gate(params, A):
        for a in range(A):
            setattr(C, f"fired_{a}", b2.linked_var(I, "fired", index=np.full(A, a * n_i)))
    return I


def _input_cells(params: SpikingParams, set_area, ns: dict, C, codeobj_class):
    """The input sets' cells: one volley per window in which their set is presented."""
    import brian2 as b2

    in_eqs, in_thr = input_model(params.inp.stimulus)
    n_in = params.inp.n_per_set
    # no reset: a cell fires once per volley by its threshold (stated as "" under the Poisson
    # stimulus, whose threshold reads a subexpression, for which Brian2 otherwise warns)
    reset = {"reset": ""} if params.inp.stimulus == "poisson" else {}
    Inp = b2.NeuronGroup(
        len(set_area) * n_in,
        in_eqs,
        threshold=in_thr,
        namespace=ns,
        name="inputs",
        codeobj_class=codeobj_class,
        **reset,
    )
    Inp.inset = np.repeat(np.arange(len(set_area)), n_in)
    Inp.area = np.repeat(np.asarray(set_area), n_in)
    Inp.volley = b2.linked_var(C, "volley", index=np.repeat(np.asarray(set_area), n_in))
    return Inp


def _local_synapses(params: SpikingParams, Inp, E, I, ns: dict):
    """Input -> E, E -> I and I -> E synapses (static); with ``delay_local = 0`` the cap's
    inhibition lands in the step of the spike that completes the count."""
    import brian2 as b2

    s_eqs, s_pre = static_model("ge", "count" if params.inp.stimulus == "poisson" else None)
    S_in = b2.Synapses(Inp, E, s_eqs, on_pre=s_pre, delay=0 * b2.ms, namespace=ns, name="syn_input")
    S_in.connect(j="k for k in sample(area_pre * n_E, (area_pre + 1) * n_E, p=p_in)")
    S_in.w = "w_in * (0.5 + rand())"

    delay_local = params.static.delay_local
    S_ei = b2.Synapses(E, I, on_pre=EI_ON_PRE, delay=delay_local, namespace=ns, name="syn_ei")
    if params.static.p_ei >= 1:
        S_ei.connect(j="k for k in range(area_pre * n_I, (area_pre + 1) * n_I)")
    else:
        S_ei.connect(j="k for k in sample(area_pre * n_I, (area_pre + 1) * n_I, p=p_ei)")
    S_ie = b2.Synapses(I, E, on_pre="gi_post += w_ie", delay=delay_local, namespace=ns, name="syn_ie")
    S_ie.connect(j="k for k in sample(area_pre * n_E, (area_pre + 1) * n_E, p=p_ie)")
    if float(delay_local) == 0:
        # zero-latency cap: an interneuron that reaches threshold through this step's
        # excitatory spikes fires in the same step, and its inhibition lands before
        # the next membrane update (one time step from the k-th spike to the shutdown)
        I.thresholder["spike"].when = "after_synapses"
        I.thresholder["spike"].order = 0
        S_ie.pre.when = "after_synapses"
        S_ie.pre.order = 1
    return S_in, S_ei, S_ie


def _inter_area_synapses(params: SpikingParams, E, ns: dict, allowed):
    """The plastic E -> E synapses between areas (every ordered pair, or the ``allowed`` ones)."""
    import brian2 as b2

    ee_eqs, ee_pre, ee_post = parts.in_form(stdp_model(params.stdp), ns)
    # both pathways' delays are scalars (a per-synapse delay array would double the memory of S_ee);
    # weights are stored as float32: S_ee holds most of the network's memory (18 M synapses for
    # the Alzheimer default) and float32 resolves 1e-7 of w_max, far below any STDP step
    # potentiation runs on the ``learn`` event (a spike in an area some fibre of which learns in
    # this window), not on every spike: identical weights, far fewer synapses walked
    S_ee = b2.Synapses(
        E,
        E,
        ee_eqs,
        on_pre=ee_pre,
        on_post=ee_post,
        on_event={"post": "learn"},
        delay={"pre": params.stdp.delay, "post": 0 * b2.ms},
        dtype={"w": np.float32},
        namespace=ns,
        name="syn_ee",
    )
    parts.connect_inter_area(S_ee, allowed)
    S_ee.w = "rand() * w_init"
    return S_ee


def standalone_reader(results_dir):
    """A reader for :func:`to_recording` on standalone devices: maps a variable's
    result file (``np.memmap``; read-only unless ``writable``) instead of copying
    it into new memory. A writable map writes through to this run's own result
    file, which the backend deletes after reading; :func:`to_recording` converts
    the weights to mV in it instead of allocating a second 72 MB array.

    The inter-area synapse arrays are most of what a run writes (3 x 72 MB for
    the Alzheimer default); a copy into freshly allocated memory costs its page
    faults (about 0.45 s of a 4 s run on the benchmark machine), a mapping of
    the page cache almost nothing. The mapping stays valid after the results
    folder is deleted (POSIX keeps an unlinked, mapped file until it is unmapped).
    """
    import brian2 as b2

    device = b2.get_device()

    def read(var, writable=False):
        path = Path(results_dir) / device.get_array_filename(var)
        if path.stat().st_size == 0:
            return np.zeros(0, dtype=var.dtype)
        return np.memmap(path, dtype=var.dtype, mode="r+" if writable else "r")

    return read


def to_recording(network: Network, protocol: Protocol, timing: dict, info: dict, read=None) -> Recording:
    """Read monitors and weights back (on any backend) into a Recording.

    ``read(variable, writable=False)`` returns a synapse variable's values as an
    array (the raw, unit-less values; default: through Brian2, which copies
    them); a ``writable`` array may be modified in place. See
    :func:`standalone_reader`."""
    import brian2 as b2

    params = network.params
    dt = float(params.clock.dt / b2.second)
    steps = np.round(np.asarray(network.spikes.t_[:]) / dt).astype(np.int64)  # t_: seconds, unitless
    win = steps // params.clock.win_steps
    keep = win < protocol.n_windows
    S = network.syn_ee
    if read is None:

        def read(var, writable=False):
            return np.array(var.get_value())  # a copy: the runtime device hands out its live array

    syn_pre = read(S.variables["_synaptic_pre"])
    syn_post = read(S.variables["_synaptic_post"])
    # weights in mV (clocked network: current-based) or nS (cortical network: conductances)
    cortical = params.network == "cortical"
    scale, unit = (1e9, "nS") if cortical else (1e3, "mV")
    w_init = params.cortical.w_inter_init / b2.nS if cortical else params.stdp.w_init / b2.mV
    w_mv = read(S.variables["w"], writable=True)
    if w_mv.dtype == np.float32 and w_mv.flags.writeable:
        np.multiply(w_mv, np.float32(scale), out=w_mv)  # SI -> mV or nS in place (no new memory)
    else:
        w_mv = np.multiply(w_mv, scale, dtype=np.float32)
    if syn_pre.dtype != np.int32:
        syn_pre, syn_post = syn_pre.astype(np.int32), syn_post.astype(np.int32)
    state = None
    if network.state is not None:
        mon = network.state
        state = {"t": np.asarray(mon.t / b2.second), "neurons": np.asarray(mon.record)}
        state["units"] = {}
        for var in mon.record_variables:
            values = getattr(mon, var)  # (neurons, samples)
            volts = getattr(values, "dim", None) == b2.volt.dim
            state[var] = np.asarray(values / b2.mV) if volts else np.asarray(values)
            state["units"][var] = "mV" if volts else str(b2.get_unit(values.dim)) if hasattr(values, "dim") else "1"
    return Recording(
        protocol=protocol,
        n=params.n,
        k=params.k_eff,
        spike_window=win[keep].astype(np.int32),
        spike_neuron=np.asarray(network.spikes.i[:])[keep].astype(np.int32),
        spike_time=((steps % params.clock.win_steps) * dt)[keep],
        syn_pre=syn_pre,
        syn_post=syn_post,
        # initial weights are drawn in the binary and not read back: their expectation (a read-only view)
        w_initial=np.broadcast_to(np.float32(float(w_init) / 2.0), syn_pre.shape),
        w_final=w_mv,
        weight_unit=unit,
        timing=timing,
        info=info,
        state=state,
    )


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------
def shape_key(
    params: SpikingParams, n_areas: int, n_windows: int, set_area, backend: str, allowed: np.ndarray | None = None
) -> str:
    """Hash of everything that fixes the generated code and array sizes."""
    blob = json.dumps(
        {
            "params": params.to_dict(),
            "n_areas": n_areas,
            "n_windows": n_windows,
            "allowed": None if allowed is None else np.asarray(allowed, bool).astype(int).tolist(),
            "set_area": list(map(int, set_area)),
            "backend": backend,
            "version": _versions_key(),
        },
        sort_keys=True,
    )
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def _versions_key() -> str:
    import brian2

    from .. import __version__

    return f"spiking_direct {__version__}, brian2 {brian2.__version__}"
