"""The source gate of potentiation (``models.neurons.area_clock_model``): an area's
spikes walk their incoming plastic synapses only once a cell of an area with a
plastic fibre into it has fired in the window. Checked on the learn events of a
small network (runtime backend): the gate is live (it skips learning-area
spikes), never opens before a plastic source has fired, and leaves every
weight as the ungated model has it (``area_learns = 2``)."""

from __future__ import annotations

import json

import brian2 as b2
import numpy as np
import pytest

from spiking_direct.config import RunConfig, apply_overrides
from spiking_direct.engines.spiking import build_network, timed_values, with_derived
from spiking_direct.pipeline import prepare

#: the weight dependences the gate must leave exact: counting (additive STDP), soft
#: bounds, and the conditional rule (van Rossum with a presynaptic depression term)
RULES = {
    "additive": [],
    "multiplicative": ["spiking.stdp.weight=multiplicative"],
    "conditional": ["spiking.stdp.weight=van_rossum", "spiking.stdp.A_pre=1", "schedule=harmonic"],
}


@pytest.fixture(scope="module", params=list(RULES))
def chain(request, tmp_path_factory):
    spec = tmp_path_factory.mktemp("gate") / "chain.json"
    spec.write_text(
        json.dumps(
            {
                "name": "chain3",
                "variables": ["A", "B", "C"],
                "values": {"A": ["a1", "a0"], "B": ["b1", "b0"], "C": ["c1", "c0"]},
                "links": [["A", "B"], ["B", "C"]],
            }
        )
    )
    cfg = apply_overrides(
        RunConfig(model=str(spec), backend="runtime", seed=2),
        [
            "n=200",
            "protocol.couple_steps=6",
            "protocol.probe_reps=1",
            "protocol.identify_reps=1",
            *RULES[request.param],
        ],
    )
    model, enc, protocol = prepare(cfg)
    return cfg, enc, protocol


def _run(cfg, enc, protocol, area_learns=None):
    b2.set_device("runtime")
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.seed(cfg.seed)
    values = timed_values(protocol, enc.n_sets, enc.set_area())
    if area_learns is not None:
        values["area_learns"] = area_learns
    net = build_network(cfg.spiking, protocol.n_areas, protocol.n_windows, enc.set_area(), values)
    learn = b2.EventMonitor(net.exc, "learn", name="learn_events")
    net.net.add(learn)
    net.net.run(protocol.n_windows * cfg.spiking.clock.T_win)
    T = float(cfg.spiking.clock.T_win)
    steps = lambda t: np.round(np.asarray(t) / float(cfg.spiking.clock.dt)).astype(np.int64)  # noqa: E731
    spikes = (steps(net.spikes.t[:]), np.asarray(net.spikes.i[:]) // cfg.spiking.n)
    events = (steps(learn.t[:]), np.asarray(learn.i[:]) // cfg.spiking.n)
    return np.asarray(net.syn_ee.w[:]).copy(), spikes, events, int(round(T / float(cfg.spiking.clock.dt)))


def test_source_gate_skips_spikes_before_a_plastic_source_fires_and_changes_no_weight(chain):
    cfg, enc, protocol = chain
    w_gated, (s_step, s_area), (l_step, l_area), win = _run(cfg, enc, protocol)
    gain = protocol.gain != 0  # (W, pre, post)
    learning = with_derived(timed_values(protocol, enc.n_sets, enc.set_area()), protocol.n_areas)["area_learns"]
    # every learn event comes after (a step later than) a spike of a plastic source in its window
    first = {}
    for st, a in zip(s_step, s_area):
        key = (st // win, a)
        first[key] = min(first.get(key, st), st)
    assert len(l_step) > 50
    for st, b in zip(l_step, l_area):
        w = st // win
        sources = np.flatnonzero(gain[w, :, b])
        assert any(first.get((w, a), np.inf) < st for a in sources), (w, b, st)
    # the gate is live: spikes of learning areas that do not learn (the leading area before its partner fires)
    spikes_learning = int(np.sum(learning[s_step // win, s_area] > 0.5))
    assert len(l_step) < 0.8 * spikes_learning
    # and changes no weight: the ungated model (potentiation on every spike of a learning area) agrees to the bit
    w_open, _, (o_step, _), _ = _run(cfg, enc, protocol, area_learns=2 * learning)
    assert len(o_step) == spikes_learning
    np.testing.assert_array_equal(w_gated, w_open)
    assert np.max(w_gated) > 2 * float(cfg.spiking.stdp.w_init)  # potentiation did happen


def test_the_gate_is_built_only_up_to_its_number_of_areas():
    """Every clock cell reads every area's flag in every step (``A^2`` loads), so beyond
    ``SOURCE_GATE_MAX_AREAS`` the clock is built without the gate (the same weights, above)."""
    from spiking_direct.engines.network import SOURCE_GATE_MAX_AREAS, _source_gate
    from spiking_direct.models.neurons import area_clock_model

    params = RunConfig().spiking
    assert _source_gate(params, SOURCE_GATE_MAX_AREAS)
    assert not _source_gate(params, SOURCE_GATE_MAX_AREAS + 1)
    no_ei = apply_overrides(RunConfig(), ["spiking.static.p_ei=0.5"]).spiking
    assert not _source_gate(no_ei, 10)  # the gate needs an interneuron that hears every spike
    gated, _ = area_clock_model(3)
    assert "fired_2" in gated.names and "fired_0" in gated.names
    plain, _ = area_clock_model(None)
    assert not any(name.startswith("fired_") for name in plain.names)
