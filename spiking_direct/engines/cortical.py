"""The cortical network's Brian2 objects (``spiking.network = "cortical"``).

Same interface as the clocked network of :mod:`.network` (:func:`build_cortical_network`
returns a :class:`~spiking_direct.engines.network.Network`), so the protocol, the
backends, the builds and the read-back are shared. The models and their sources are
in :mod:`spiking_direct.models.cortical`.

Objects, all areas in one group per population (areas are index ranges):
``exc`` (``A * n`` excitatory cells), ``inh`` (``A * n_inh`` interneurons),
``theta_clock`` (one cell per area: its theta conductance and volley step),
``inputs`` (the input sets' cells), and the synapses ``syn_input`` (input -> E,
plastic during assembly formation), ``syn_rec`` (E -> E inside an area, plastic
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

    cp = params.cortical
    A, n = n_areas, params.n
    n_i = cp.n_inh(n)
    n_sets = len(set_area)
    clock = params.clock
    timed = {
        name: b2.TimedArray(values[name] * (b2.second if name == "area_offset" else 1), dt=clock.T_win, name=name)
        for name in tuple(timed_names) + ("area_forms",)
    }
    ns = {
        **cp.namespace(),
        **{k: v for k, v in params.stdp.namespace().items() if k not in ("w_max", "w_init")},
        **timed,
        "T_win": clock.T_win,
        "t_volley": clock.t_volley,
        "win_steps": clock.win_steps,
        "stim_steps": int(round(float(cp.T_stim / clock.dt))),
        "n_areas": A,
        "n_E": n,
        "n_I": n_i,
        "p_in": cp.p_in,
        "p_ee": cp.p_ee,
        "p_ei": cp.p_ei,
        "p_ie": cp.p_ie,
        "p_ii": cp.p_ii,
        "p_inter": params.stdp.p_inter,
    }
    if allowed is not None:
        ns["allowed_pair"] = b2.TimedArray(
            np.asarray(allowed, dtype=float).reshape(1, A * A), dt=clock.T_win, name="allowed_pair"
        )
    b2.defaultclock.dt = clock.dt

    # the theta clock: one cell per area
    clk_eqs, clk_update = cx.theta_clock_model()
    C = b2.NeuronGroup(A, clk_eqs, namespace=ns, name="theta_clock")
    C.area = np.arange(A)
    C.run_regularly(clk_update, when="before_groups", name="theta_clock_update")

    # excitatory cells, with the inter-area STDP traces
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

    # fast-spiking interneurons
    inh_eqs, inh_thr, inh_reset = cx.inhibitory_model()
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

    # input cells: one volley per window in which their set is presented, holding its drive T_stim
    in_eqs, in_thr, in_events = cx.input_cell_model()
    n_in = params.inp.n_per_set
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

    # inter-area fibres: the protocol's STDP on conductance weights
    ee_eqs, ee_pre, ee_post = stdp_model(
        params.stdp, unit="siemens", w_max="w_inter_max", transmit=cx.EXCITATORY_ON_PRE
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
    if allowed is None:
        S_ee.connect(j="k for k in sample(N_post, p=p_inter) if area_post != area_pre")
    else:
        S_ee.connect(
            j="k for k in sample(N_post, p=p_inter) if allowed_pair(0*second, area_pre * n_areas + area_post) > 0.5"
        )
    S_ee.w = "rand() * w_inter_init"

    spikes = b2.SpikeMonitor(E, record=True, name="exc_spikes")
    objects = [C, E, I, Inp, S_in, S_rec, S_ei, S_ie, S_ii, S_ee, spikes]
    state = None
    if monitors:
        cells = monitors.get("cells")
        if cells is None:
            lo, hi = monitors["neurons"]
            cells = np.arange(lo, hi)
        state = b2.StateMonitor(
            E,
            list(monitors["vars"]),
            record=np.asarray(cells, dtype=int),
            dt=monitors.get("dt_ms", 0.5) * b2.ms,
            name="exc_state",
        )
        objects.append(state)
    extra = monitors.get("inh_spikes") if monitors else None
    if extra:
        objects.append(b2.SpikeMonitor(I, record=True, name="inh_spikes"))
    net = b2.Network(*objects, name="direct_network")
    detach_from_magic(net.objects)
    shape = {"n_areas": A, "n_windows": n_windows, "n_sets": n_sets, "set_area": list(map(int, set_area))}
    return {"net": net, "timed": timed, "exc": E, "syn_ee": S_ee, "spikes": spikes, "shape": shape, "state": state}


#: the cortical network's excitatory variables that ``record=`` may name
def recordable() -> set[str]:
    """Names of the cortical excitatory cells' variables (for ``record=``)."""
    eqs, _, _ = cx.excitatory_model()
    return set(eqs.names) | {"a", "apre", "apost"}
