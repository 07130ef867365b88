"""STDP traces: with equal time constants one trace serves as both ``apre`` and
``apost`` (models.synapses.stdp_traces) and gives the weights of the two-trace form."""

from __future__ import annotations

import brian2 as b2
import numpy as np
from brian2 import Equations, ms, mV

from spiking_direct.models import STDPParams, stdp_model
from spiking_direct.models.synapses import stdp_traces


def _run(shared: bool, stdp: STDPParams):
    b2.start_scope()
    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.seed(3)
    b2.defaultclock.dt = 0.1 * ms
    tr_eqs, tr_spike, _ = stdp_traces(stdp if shared else None)
    ones = lambda *shape: b2.TimedArray(np.ones(shape), dt=1 * b2.second)  # noqa: E731
    ns = {
        **stdp.namespace(),
        "n_areas": 2,
        "plasticity_gain": ones(1, 4),
        "fiber_on": ones(1, 4),
        "area_active": ones(1, 2),
    }
    G = b2.NeuronGroup(
        40,
        tr_eqs + Equations("area : integer (constant)\nge : volt"),
        threshold="rand() < 0.02",
        reset=tr_spike,
        namespace=ns,
    )
    G.area = np.repeat([0, 1], 20)
    eqs, on_pre, on_post = stdp_model(stdp)
    S = b2.Synapses(G, G, eqs, on_pre=on_pre, on_post=on_post, delay={"pre": stdp.delay, "post": 0 * ms}, namespace=ns)
    S.connect(condition="area_pre != area_post")
    S.w = "0.5 * w_max"
    mon = b2.StateMonitor(G, ["apre", "apost"], record=True)
    spikes = b2.SpikeMonitor(G)
    b2.run(100 * ms)
    return np.asarray(S.w[:] / mV), np.asarray(mon.apre), np.asarray(mon.apost), spikes.num_spikes


def test_one_shared_trace_gives_the_two_trace_weights():
    stdp = STDPParams()
    assert "da/dt" in str(stdp_traces(stdp)[0]) and "dapre/dt" in str(stdp_traces()[0])
    w1, apre1, apost1, n1 = _run(True, stdp)
    w2, apre2, apost2, n2 = _run(False, stdp)
    assert n1 == n2 > 20
    np.testing.assert_array_equal(apre1, apost1)
    np.testing.assert_allclose(apre1, apre2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(apost1, apost2, rtol=1e-12, atol=1e-12)
    assert np.abs(w2 - 5.0).max() > 0.5  # the weights did change
    np.testing.assert_allclose(w1, w2, rtol=1e-9, atol=1e-9)


def test_different_time_constants_keep_two_traces():
    stdp = STDPParams(tau_post=30 * ms)
    eqs = str(stdp_traces(stdp)[0])
    assert "dapre/dt" in eqs and "dapost/dt" in eqs
