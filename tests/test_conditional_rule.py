"""The conditional learning rule: with the ``harmonic`` gain schedule, the rate
engine's ``outstar`` rule and STDP with a presynaptic term (``A_pre``, van
Rossum weight dependence) make each synapse the running mean of what its
target did after its source, i.e. an estimate of P(target value | source
value), where the multiplicative rule counts co-activations."""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest
from brian2 import Equations, ms, mV

from spiking_direct.causal import alzheimer
from spiking_direct.encoding import Encoding
from spiking_direct.engines.rate import RateParams, _InterArea
from spiking_direct.models import STDPParams, stdp_model
from spiking_direct.models.synapses import ModelError, stdp_traces
from spiking_direct.protocol import ProtocolParams, direct_protocol


def test_harmonic_gain_is_one_over_the_presentations_of_the_presynaptic_value():
    model = alzheimer()
    enc = Encoding.for_model(model)
    p = direct_protocol(model, enc, ProtocolParams(schedule="harmonic", couple_steps=30), np.random.default_rng(1))
    for u, v in p.coupled_links:
        wins = [w for w in p.windows("couple") if (u, v) in p.coupled[w]]
        assert len(wins) == 30
        for a, b in ((u, v), (v, u)):
            sets = p.stim_set[wins, a]
            assert np.unique(sets).size == model.cardinality(model.variables[a])  # both values shown
            for i, w in enumerate(wins):
                m = int(np.sum(sets[: i + 1] == sets[i]))
                assert p.gain[w, a, b] == pytest.approx(1.0 / m)
    # the control turns it off, and an unknown schedule is refused by name
    off = direct_protocol(
        model, enc, ProtocolParams(schedule="harmonic", control="no_plasticity"), np.random.default_rng(1)
    )
    assert not off.gain.any()
    with pytest.raises(ValueError, match="unknown gain schedule 'harmonik'"):
        ProtocolParams(schedule="harmonik").validate()


def _coupled(rule: str, post_sequence, gains, c=30.0):
    """Two areas of 20 cells, every synapse present; pre cells 0-4 fire in every
    window, the post winners of window ``i`` are ``post_sequence[i]``."""
    inter = _InterArea(2, 20, 1.0, np.random.default_rng(0))
    pre = np.arange(5)
    for post, g in zip(post_sequence, gains):
        e = inter.entries(0, pre, 1)
        if rule == "outstar":
            inter.outstar(e, 1, np.asarray(post), g, c)
        else:
            inter.hebbian(e, 1, np.asarray(post), g)
    W = np.zeros((40, 40))
    rows = np.repeat(np.arange(40), np.diff(inter.indptr))
    W[rows, inter.indices] = inter.data
    return W[:5, 20:]


def test_outstar_with_harmonic_gains_is_the_running_mean_and_the_counting_rule_is_not():
    rng = np.random.default_rng(2)
    M = 60
    fired = rng.random((M, 20)) < np.linspace(0.05, 0.95, 20)  # post cell j wins with its own probability
    seq = [np.flatnonzero(f) for f in fired]
    W = _coupled("outstar", seq, 1.0 / np.arange(1, M + 1))
    np.testing.assert_allclose(W, np.broadcast_to(1 + 30 * fired.mean(0), W.shape), rtol=1e-5)
    # the same frequency of co-activation, shown twice as often: the running mean is unchanged ...
    seq2 = seq + seq
    W2 = _coupled("outstar", seq2, 1.0 / np.arange(1, 2 * M + 1))
    np.testing.assert_allclose(W2, W, rtol=1e-5)
    # ... while the multiplicative rule counts: its weights grow with the exposure
    H = _coupled("multiplicative", seq, np.full(M, 0.05))
    H2 = _coupled("multiplicative", seq2, np.full(2 * M, 0.05))
    assert np.all(H2[:, fired.mean(0) > 0.2] > 1.5 * H[:, fired.mean(0) > 0.2])


def test_rate_rule_parameters_are_checked():
    with pytest.raises(ValueError, match="rule must be one of"):
        RateParams(rule="oja")
    with pytest.raises(ValueError, match="outstar_gain must be > 0"):
        RateParams(rule="outstar", outstar_gain=0)


def _stdp_windows(stdp: STDPParams, p_post, M: int = 80, T=40 * ms, seed=5):
    """One presynaptic cell (area 0) fires at 5 ms of every window; postsynaptic
    cell j (area 1) fires at 10 ms in a random fraction ``p_post[j]`` of the
    windows; the gain of window m is 1/m (harmonic). Returns the final weights
    and which windows each post cell fired in."""
    b2.start_scope()
    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = 0.1 * ms
    rng = np.random.default_rng(seed)
    J = len(p_post)
    fires = rng.random((M, J)) < np.asarray(p_post)
    steps = int(round(T / (1 * ms)))
    pattern = np.zeros((M * steps, 1 + J))
    pattern[np.arange(M) * steps + 5, 0] = 1
    for j in range(J):
        pattern[np.flatnonzero(fires[:, j]) * steps + 10, 1 + j] = 1
    tr_eqs, tr_spike, tr_reset = stdp_traces(stdp)
    one = b2.TimedArray(np.ones((1, 2)), dt=1 * b2.second)
    ns = {
        **stdp.namespace(),
        "n_areas": 2,
        "fiber_on": b2.TimedArray(np.ones((1, 4)), dt=1 * b2.second),
        "area_active": one,
        "fire": b2.TimedArray(pattern, dt=1 * ms),
        "plasticity_gain": b2.TimedArray(np.repeat(1.0 / np.arange(1, M + 1), 4).reshape(M, 4), dt=T),
    }
    G = b2.NeuronGroup(
        1 + J,
        tr_eqs + Equations("area : integer (constant)\nge : volt\nfired : 1"),
        threshold="fire(t, i) > 0.5 and fired == 0",
        reset=tr_spike + "\nfired = 1",
        namespace=ns,
    )
    G.run_regularly(tr_reset + "\nfired = 0", dt=T, when="start")  # traces start at 0; one spike per window
    G.area = [0] + [1] * J
    eqs, on_pre, on_post = stdp_model(stdp)
    S = b2.Synapses(G, G, eqs, on_pre=on_pre, on_post=on_post, delay={"pre": stdp.delay, "post": 0 * ms}, namespace=ns)
    S.connect(i=0, j=np.arange(1, 1 + J))
    S.w = "0.5 * w_max"
    b2.run(M * T)
    return np.asarray(S.w[:] / mV), fires


def test_stdp_presynaptic_term_makes_each_weight_the_running_mean_of_its_target():
    stdp = STDPParams(weight="van_rossum", A_plus=0.5, A_minus=0.0, A_pre=1.0)
    p_post = [0.1, 0.4, 0.7, 0.95]
    w, fires = _stdp_windows(stdp, p_post)
    # potentiation per post spike: A_plus * w_max * apre 5 ms after the pre spike
    a = 0.5 * 10.0 * np.exp(-5.0 / 20.0)
    np.testing.assert_allclose(w, a * fires.mean(0), rtol=0.02)
    # without the presynaptic term the same rule keeps potentiating: every pair seen often saturates
    w0, _ = _stdp_windows(STDPParams(weight="van_rossum", A_plus=0.5, A_minus=0.0, A_pre=0.0), p_post)
    assert np.all(w0[1:] == pytest.approx(10.0)) and w0[0] > 3 * w[0]


def test_stdp_rule_names_and_the_presynaptic_term_are_checked():
    with pytest.raises(ModelError, match="unsupported STDP weight rule 'oja'"):
        STDPParams(weight="oja").validate()
    with pytest.raises(ModelError, match="A_pre"):
        STDPParams(A_pre=-1).validate()
    # the presynaptic term enters the code only when it is on
    assert "A_pre" not in stdp_model(STDPParams(weight="van_rossum"))[1]
    assert "A_pre" in stdp_model(STDPParams(weight="van_rossum", A_pre=1.0))[1]
