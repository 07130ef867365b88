"""The cortical network's Brian2 objects (``spiking.network = "cortical"``).

Same interface as the clocked network of :mod:`.network` (:func:`build_cortical_network`
returns a :class:`~spiking_direct.engines.network.Network`), so the protocol, the
backends, the builds and the read-back are shared. The models and their sources are
in :mod:`spiking_direct.models.cortical`.

Objects, all areas in one group per population (areas are index ranges):
``exc`` (``A * n`` excitatory cells), ``inh`` (``A * n_inh`` interneurons),
``theta_clock`` (one cell per area: its theta conductance and volley step),
``inputs`` (the input sets' cells), and the synapses ``syn_input`` (input -> E,
plastic during assembly formation), ``syn_input_inh`` (input -> I, static: the
feedforward inhibition, when ``w_in_i`` > 0), ``syn_rec`` (E -> E inside an area, plastic
during assembly formation), ``syn_ei``, ``syn_ie``, ``syn_ii`` (the local
circuit, static) and ``syn_ee`` (E -> E between areas: the protocol's STDP).
Every pathway has a synaptic delay; no state variable is set at a window
boundary.
"""

from __future__ import annotations

import numpy as np

from ..brian_state import detach_from_magic
from ..models import cortical as cx
from ..models.synapses import stdp_model, stdp_traces
from . import parts


def build_cortical_network(
    params,
    n_areas: int,
    n_windows: int,
    set_area: np.ndarray,
    values: dict,
    monitors: dict | None = None,
    allowed: np.ndarray | None = None,
    codeobj_class=None,
    timed_names: tuple[str, ...] = (),
) -> dict:
    """Create the cortical network's Brian2 objects on the current device (see the module doc);
    arguments as :func:`~spiking_direct.engines.network.build_network` (which wraps the returned
    fields into its ``Network``), whose ``values`` (the protocol's TimedArray values, with the
    derived ones) must be complete here; ``timed_names``: the protocol's TimedArrays."""
    import brian2 as b2

    timed, ns = _namespace(params, n_areas, values, allowed, timed_names)
    b2.defaultclock.dt = params.clock.dt
    C = _theta_clock(n_areas, ns)
    E, I = _cells(params, n_areas, ns, C, codeobj_class)
    Inp, S_in = _input(params, set_area, ns, C, E, codeobj_class)
    S_in_i = _input_inhibitory(params, Inp, I, ns)
    S_rec, S_ei, S_ie, S_ii = _local_synapses(params, E, I, ns)
    S_ee = _fibres(params, E, ns, allowed)
    spikes = b2.SpikeMonitor(E, record=True, name="exc_spikes")
    objects = [C, E, I, Inp, S_in, *S_in_i, S_rec, S_ei, S_ie, S_ii, S_ee, spikes]
    state = parts.state_monitor(E, monitors)
    if state is not None:
        objects.append(state)
    net = b2.Network(*objects, name="direct_network")
    detach_from_magic(net.objects)
    shape = parts.shape(n_areas, n_windows, set_area)
    return {"net": net, "timed": timed, "exc": E, "syn_ee": S_ee, "spikes": spikes, "shape": shape, "state": state}


def _namespace(params, A: int, values: dict, allowed, timed_names) -> tuple[dict, dict]:
    """The protocol's TimedArrays (with ``area_forms``) and the namespace of every object."""
    cp, clock = params.cortical, params.clock
    timed = parts.timed_arrays(values, tuple(timed_names) + ("area_forms",), clock.T_win)
    ns = {
        **cp.namespace(),
        **{k: v for k, v in params.stdp.namespace().items() if k not in ("w_max", "w_init")},
        **timed,
        "T_win": clock.T_win,
        "t_volley": clock.t_volley,
        "win_steps": clock.win_steps,
        "stim_steps": int(round(float(cp.T_stim / clock.dt))),
        "n_areas": A,
        "n_E": params.n,
        "n_I": cp.n_inh(params.n),
        "p_in": cp.p_in,
        "p_in_i": cp.p_in_i,
        "p_ee": cp.p_ee,
        "p_ei": cp.p_ei,
        "p_ie": cp.p_ie,
        "p_ii": cp.p_ii,
        "p_inter": params.stdp.p_inter,
    }
    if allowed is not None:
        ns["allowed_pair"] = parts.allowed_lookup(allowed, A, clock.T_win)
    return timed, ns


def _theta_clock(A: int, ns: dict):
    """One cell per area: its theta conductance and volley step, updated every step."""
    import brian2 as b2

    clk_eqs, clk_update = cx.theta_clock_model()
    C = b2.NeuronGroup(A, clk_eqs, namespace=ns, name="theta_clock")
    C.area = np.arange(A)
    C.run_regularly(clk_update, when="before_groups", name="theta_clock_update")
    return C


def _cells(params, A: int, ns: dict, C, codeobj_class):
    """The excitatory cells (with the inter-area STDP traces and the theta drive) and the
    interneurons, each with its background conductances."""
    import brian2 as b2

    cp, n = params.cortical, params.n
    n_i = cp.n_inh(n)
    exc_eqs, exc_thr, exc_reset = cx.excitatory_model()
    tr_eqs, tr_spike, _ = stdp_traces(params.stdp)
    E = b2.NeuronGroup(
        A * n,
        exc_eqs + tr_eqs,
        threshold=exc_thr,
        reset=f"{exc_reset}; {tr_spike}",
        refractory="tau_ref",
        method="exponential_euler",
        namespace=ns,
        name="exc",
        codeobj_class=codeobj_class,
    )
    E.area = np.repeat(np.arange(A), n)
    E.v = "E_L + (v_th - E_L) * 0.5 * rand()"
    E.g_bg_e = "bg_ge"
    E.g_bg_i = "bg_gi"
    E.g_theta = b2.linked_var(C, "g_theta", index=np.repeat(np.arange(A), n))
    E.run_regularly(cx.BACKGROUND_UPDATE, dt=cp.bg_dt, when="start", name="exc_background")

    inh_eqs, inh_thr, inh_reset = cx.inhibitory_model(feedforward=_feedforward(cp))
    I = b2.NeuronGroup(
        A * n_i,
        inh_eqs,
        threshold=inh_thr,
        reset=inh_reset,
        refractory="tau_ref_I",
        method="exponential_euler",
        namespace=ns,
        name="inh",
        codeobj_class=codeobj_class,
    )
    I.area = np.repeat(np.arange(A), n_i)
    I.v = "E_L"
    I.g_bg_e = "bg_ge"
    I.g_bg_i = "bg_gi"
    I.run_regularly(cx.BACKGROUND_UPDATE, dt=cp.bg_dt, when="start", name="inh_background")
    return E, I


def _input(params, set_area, ns: dict, C, E, codeobj_class):
    """The input cells (one volley per window in which their set is presented, holding its drive
    ``T_stim``) and their plastic synapses onto the excitatory cells."""
    import brian2 as b2

    in_eqs, in_thr, in_events = cx.input_cell_model()
    n_in, n_sets = params.inp.n_per_set, len(set_area)
    Inp = b2.NeuronGroup(
        n_sets * n_in,
        in_eqs,
        threshold=in_thr,
        refractory="T_stim",
        events=in_events,
        namespace=ns,
        name="inputs",
        codeobj_class=codeobj_class,
    )
    Inp.inset = np.repeat(np.arange(n_sets), n_in)
    Inp.area = np.repeat(np.asarray(set_area), n_in)
    Inp.volley = b2.linked_var(C, "volley", index=np.repeat(np.asarray(set_area), n_in))

    in_syn, in_pre, in_post = cx.input_synapse_model()
    S_in = b2.Synapses(
        Inp,
        E,
        in_syn,
        on_pre=in_pre,
        on_post=in_post,
        on_event={"pre": "spike", "off": "off", "post": "spike"},
        namespace=ns,
        name="syn_input",
    )
    S_in.connect(j="k for k in sample(area_pre * n_E, (area_pre + 1) * n_E, p=p_in)")
    S_in.w = "clip(w_in * exp(w_in_spread * randn() - w_in_spread**2 / 2), 0*nS, w_in_max)"
    return Inp, S_in


def _feedforward(cp) -> bool:
    """Whether the input cells drive the interneurons (feedforward inhibition: ``w_in_i`` and
    ``p_in_i`` above 0)."""
    return float(np.asarray(cp.w_in_i)) > 0 and cp.p_in_i > 0


def _input_inhibitory(params, Inp, I, ns: dict) -> list:
    """The feedforward inhibition: static input -> interneuron synapses holding ``w_in_i`` on the
    interneurons of the input cell's area from ``delay_in_i`` after its volley for ``T_stim``
    (none when ``w_in_i`` is 0)."""
    import brian2 as b2

    cp = params.cortical
    if not _feedforward(cp):
        return []
    S = b2.Synapses(
        Inp,
        I,
        on_pre=cx.input_inhibitory_synapse_model(),
        on_event={"pre": "spike", "off": "off"},
        delay={"pre": cp.delay_in_i, "off": cp.delay_in_i},
        namespace=ns,
        name="syn_input_inh",
    )
    S.connect(j="k for k in sample(area_pre * n_I, (area_pre + 1) * n_I, p=p_in_i)")
    return [S]


def _local_synapses(params, E, I, ns: dict):
    """Inside each area: plastic recurrent E -> E, and the static E -> I, I -> E and I -> I
    synapses of the feedback inhibition, each with its delay."""
    import brian2 as b2

    cp = params.cortical
    rec_syn, rec_pre, rec_post = cx.recurrent_synapse_model()
    S_rec = b2.Synapses(
        E, E, rec_syn, on_pre=rec_pre, on_post=rec_post, delay=cp.delay_ee, namespace=ns, name="syn_rec"
    )
    S_rec.connect(j="k for k in sample(area_pre * n_E, (area_pre + 1) * n_E, p=p_ee) if k != i")
    S_rec.w = "rand() * w_ee_init"

    S_ei = b2.Synapses(
        E, I, on_pre=cx.EXCITATORY_ON_PRE.format(w="w_ei"), delay=cp.delay_ei, namespace=ns, name="syn_ei"
    )
    S_ei.connect(j="k for k in sample(area_pre * n_I, (area_pre + 1) * n_I, p=p_ei)")
    S_ie = b2.Synapses(I, E, on_pre="g_gaba_post += w_ie", delay=cp.delay_ie, namespace=ns, name="syn_ie")
    S_ie.connect(j="k for k in sample(area_pre * n_E, (area_pre + 1) * n_E, p=p_ie)")
    S_ii = b2.Synapses(I, I, on_pre="g_gaba_post += w_ii", delay=cp.delay_ii, namespace=ns, name="syn_ii")
    S_ii.connect(j="k for k in sample(area_pre * n_I, (area_pre + 1) * n_I, p=p_ii) if k != i")
    return S_rec, S_ei, S_ie, S_ii


def _fibres(params, E, ns: dict, allowed):
    """The inter-area fibres: the protocol's STDP on conductance weights."""
    import brian2 as b2

    ee_eqs, ee_pre, ee_post = parts.in_form(
        stdp_model(params.stdp, unit="siemens", w_max="w_inter_max", transmit=cx.EXCITATORY_ON_PRE), ns
    )
    S_ee = b2.Synapses(
        E,
        E,
        ee_eqs,
        on_pre=ee_pre,
        on_post=ee_post,
        delay={"pre": params.stdp.delay, "post": 0 * b2.ms},
        dtype={"w": np.float32},
        namespace=ns,
        name="syn_ee",
    )
    parts.connect_inter_area(S_ee, allowed)
    S_ee.w = "rand() * w_inter_init"
    return S_ee


#: the cortical network's excitatory variables that ``record=`` may name
def recordable(params) -> set[str]:
    """Names of the cortical excitatory cells' variables (for ``record=``): the membrane's and the
    inter-area STDP traces of ``params.stdp``."""
    return set(cx.excitatory_model()[0].names) | set(stdp_traces(params.stdp)[0].names)
