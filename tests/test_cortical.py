"""The cortical network: its parameters, its Brian2 objects (delays, no window reset, conductances),
its background noise, and (marker ``long``) assemblies, cap and DIRECT on a compiled network."""

from __future__ import annotations

import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")
from brian2 import ms, mV  # noqa: E402

import spiking_direct as sd  # noqa: E402
from spiking_direct.errors import ConfigError, SpikingDirectError  # noqa: E402


# ---------------------------------------------------------------- parameters
def test_network_is_chosen_by_name_and_sets_its_clock():
    cfg = sd.configure("alzheimer", network="cortical")
    assert cfg.spiking.network == "cortical"
    assert cfg.spiking.clock.T_win == 100 * ms
    assert sd.configure("alzheimer").spiking.clock.T_win == 40 * ms
    # a clock set by hand is kept
    cfg = sd.configure("alzheimer", network="cortical", T_win=80 * ms)
    assert cfg.spiking.clock.T_win == 80 * ms


def test_leaf_names_resolve_within_the_selected_network():
    cortical = sd.configure("alzheimer", network="cortical", sigma=3 * mV)
    assert cortical.spiking.cortical.sigma == 3 * mV
    assert cortical.spiking.exc.sigma == sd.configure("alzheimer").spiking.exc.sigma
    clocked = sd.configure("alzheimer", sigma=0.7 * mV)
    assert clocked.spiking.exc.sigma == 0.7 * mV
    assert clocked.spiking.cortical.sigma == 2 * mV  # the cortical default, untouched
    with pytest.raises(ConfigError, match="unknown parameter 'tau_m'"):
        sd.configure("alzheimer", network="cortical", tau_m=15 * ms)
    with pytest.raises(ConfigError, match="not a parameter of the cortical network"):
        sd.configure("alzheimer", network="cortical", w_max=10 * mV)


def test_bad_network_and_bad_values_are_refused():
    with pytest.raises(SpikingDirectError, match="did you mean 'cortical'"):
        sd.configure("alzheimer", network="cortica")
    with pytest.raises(ConfigError, match="delay_ei"):
        sd.configure("alzheimer", network="cortical", delay_ei=-1 * ms)
    with pytest.raises(ConfigError, match="needs a quantity"):
        sd.configure("alzheimer", network="cortical", theta_g=300)
    with pytest.raises(SpikingDirectError, match="E_i < E_L < E_e"):
        sd.configure("alzheimer", network="cortical", E_i=-50 * mV)


def test_clocked_parameters_record_no_cortical_fields():
    d = sd.configure("alzheimer").spiking.to_dict()
    assert "cortical" not in d and "network" not in d
    d = sd.configure("alzheimer", network="cortical").spiking.to_dict()
    assert d["network"] == "cortical" and "exc" not in d and "cortical" in d


# ---------------------------------------------------------------- the Brian2 objects
@pytest.fixture(scope="module")
def objects():
    """The cortical network's Brian2 objects for 3 areas (built on the runtime device, not run)."""
    from spiking_direct.brian_state import isolated
    from spiking_direct.engines.network import SpikingParams, build_network

    params = SpikingParams(n=80).with_network("cortical")
    with isolated():
        brian2.set_device("runtime")
        brian2.prefs.codegen.target = "numpy"
        network = build_network(params, 3, 4, np.array([0, 0, 1, 1, 2, 2]))
        objs = {obj.name: obj for obj in network.net.objects}
        delays = {
            name: np.asarray(objs[name].delay[:] / ms)
            for name in ("syn_rec", "syn_ei", "syn_ie", "syn_ii", "syn_ee", "syn_input")
        }
        info = {
            "delays": delays,
            "regular": {
                c.name: float(c.clock.dt / ms)
                for o in network.net.objects
                for c in getattr(o, "contained_objects", [])
                if not c.name.endswith(("_stateupdater", "_thresholder", "_resetter", "_pre", "_post", "_off"))
            },
            "methods": {name: objs[name].state_updater.method_choice for name in ("exc", "inh")},
            "exc_eqs": str(objs["exc"].equations),
            "params": params,
        }
    return info


def test_every_local_pathway_is_delayed_and_fibres_more(objects):
    d = objects["delays"]
    for name in ("syn_rec", "syn_ei", "syn_ie", "syn_ii"):
        assert d[name].size and d[name].min() >= 1.0, name
    assert d["syn_ee"].size and d["syn_ee"].min() >= 2.0


def test_feedforward_inhibition_is_off_by_default_and_delayed_when_on():
    """Input cells -> interneurons of their own area (``w_in_i`` > 0): static, both the onset
    (``pre``) and the end (``off``) of the held drive delayed by ``delay_in_i`` >= 1 ms; absent at
    the default ``w_in_i`` = 0."""
    from dataclasses import replace

    from brian2 import nS

    from spiking_direct.brian_state import isolated
    from spiking_direct.engines.network import SpikingParams, build_network

    base = SpikingParams(n=80).with_network("cortical")
    assert base.cortical.w_in_i == 0 * nS and base.cortical.delay_in_i >= 1 * ms
    on = replace(base, cortical=replace(base.cortical, w_in_i=0.05 * nS))
    set_area = np.array([0, 0, 1, 1])
    for params, expected in ((base, False), (on, True)):
        with isolated():
            brian2.set_device("runtime")
            brian2.prefs.codegen.target = "numpy"
            network = build_network(params, 2, 4, set_area)
            objs = {obj.name: obj for obj in network.net.objects}
            assert ("syn_input_inh" in objs) is expected
            if not expected:
                continue
            S = objs["syn_input_inh"]
            assert len(S) > 0
            for pathway in (S.pre, S.off):
                assert np.min(np.asarray(pathway.delay[:] / ms)) >= 1.0
            n_i, n_in = params.cortical.n_inh(params.n), params.inp.n_per_set
            area_in = set_area[np.asarray(S.i[:]) // n_in]
            assert np.array_equal(area_in, np.asarray(S.j[:]) // n_i)  # each input reaches its own area only
            assert "g_stim" in str(objs["inh"].equations)


@pytest.mark.parametrize("strength", [1.0, 2.0, 3.5])
def test_a_stronger_stimulus_drives_every_input_synapse_at_that_multiple(strength):
    """``stim_strength`` above 1: every input cell of the set fires at the volley and its synapses hold
    ``strength`` times their weights on the excitatory cells (at most 1: the weights as they are);
    the drive is taken back whole at its end."""
    from spiking_direct.brian_state import isolated
    from spiking_direct.engines import parts
    from spiking_direct.engines.network import SpikingParams, build_network

    params = SpikingParams(n=40).with_network("cortical")
    values = parts.empty_values(1, 2, 1)
    values["stim_strength"][0, 0] = strength
    values["area_active"][0, 0] = 1.0
    with isolated():
        brian2.set_device("runtime")
        brian2.prefs.codegen.target = "numpy"
        network = build_network(params, 1, 1, np.array([0, 0]), values=values)
        objs = {obj.name: obj for obj in network.net.objects}
        S, E = objs["syn_input"], objs["exc"]
        n_in = params.inp.n_per_set
        on = np.asarray(S.i[:]) < n_in  # the synapses of set 0, the one presented
        w = np.asarray(S.w[:])
        held = np.bincount(np.asarray(S.j[:])[on], weights=w[on], minlength=params.n)
        # the volley, and 1 ms more (before any target cell fires, so no plasticity yet)
        network.net.run(float(params.clock.t_volley / ms) * ms + 1 * ms)
        assert np.all(np.asarray(objs["inputs"].lastspike[:n_in] / ms) >= 0)  # every cell of the set fired
        assert np.allclose(np.asarray(E.g_stim[:]), max(1.0, strength) * held, rtol=1e-12, atol=0)
        network.net.run(float(params.cortical.T_stim / ms) * ms + 1 * ms)
        assert np.allclose(np.asarray(E.g_stim[:]), 0, atol=1e-18)


def test_nothing_is_reset_at_window_boundaries(objects):
    t_win = float(objects["params"].clock.T_win / ms)
    assert set(objects["regular"]) == {"theta_clock_update", "exc_background", "inh_background"}
    for name, dt in objects["regular"].items():
        assert dt < t_win, f"{name} runs once per window"
        assert "reset" not in name


def test_conductance_based_and_exponential_euler(objects):
    eqs = objects["exc_eqs"]
    for term in ("E_e - v", "E_i - v", "g_theta", "g_bg_e", "g_bg_i", "g_gaba", "g_nmda", "g_ampa"):
        assert term in eqs
    assert set(objects["methods"].values()) == {"exponential_euler"}


def test_background_gives_the_free_membrane_sd():
    """The OU conductances derived from ``sigma`` give that free-membrane sd (within 15 %), from a
    runtime simulation of cells without synaptic input or threshold."""
    from spiking_direct.brian_state import isolated
    from spiking_direct.models import CorticalParams
    from spiking_direct.models import cortical as cx

    for sigma in (2 * mV, 4 * mV):
        p = CorticalParams(sigma=sigma)
        ns = p.namespace()
        with isolated():
            brian2.set_device("runtime")
            brian2.prefs.codegen.target = "numpy"
            brian2.seed(3)
            model = cx.excitatory_model()[0]
            eqs = brian2.Equations([eq for name, eq in model.items() if name != "g_theta"])
            eqs += brian2.Equations("g_theta : siemens")
            G = brian2.NeuronGroup(200, eqs, method="exponential_euler", namespace=ns, dt=0.1 * ms)
            G.v, G.g_bg_e, G.g_bg_i = p.E_L, p.bg_ge, p.bg_gi
            G.run_regularly(cx.BACKGROUND_UPDATE, dt=p.bg_dt)
            mon = brian2.StateMonitor(G, "v", record=True, dt=1 * ms)
            net = brian2.Network(G, mon)
            net.run(1500 * ms)
            v = np.asarray(mon.v / mV)[:, 200:]
        measured = v.std(axis=1).mean()
        assert abs(measured - float(sigma / mV)) < 0.15 * float(sigma / mV), measured


# ---------------------------------------------------------------- compiled (long)
@pytest.mark.long
def test_assemblies_form_complete_and_cap_on_a_compiled_area():
    """The area experiment (``experiments/cortical.py``) at n = 1000, one seed: the support stops
    growing within 20 presentations, half the stimulus re-evokes >= 80 % of the assembly, the
    stimulus at double strength recruits the assembly and not more, and an area without stimulus,
    or held inhibited under upstream input, stays silent."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "cortical_experiment", Path(__file__).resolve().parents[1] / "experiments" / "cortical.py"
    )
    exp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exp)
    support, windows, _ = exp.run_assemblies((1000,), (1,), {"own": 1.0}, progress=lambda *_: None)
    for _, g in support.groupby("set"):
        curve = g.sort_values("presentation")["support"].to_numpy()
        assert curve[-1] == curve[9], "support still growing after 10 presentations"
    half = windows[windows.condition == "half"]["recall"].mean()
    assert half >= 0.8
    assert windows[windows.condition.isin(["none", "off"])]["winners"].max() == 0
    own = windows[windows.condition == "own"]["winners"]
    assert own.min() > 0
    # the own stimulus at double strength recruits the formed assembly, not more (E%-max)
    double = windows[windows.condition == "double"]
    assert len(double) and abs(double["winners"].mean() - own.mean()) <= 0.25 * own.mean()
    assert double["recall"].mean() >= 0.9


@pytest.mark.long
def test_direct_on_a_chain_with_the_cortical_network(tmp_path):
    """DIRECT on a 3-variable chain (cortical, n = 500): both rankings put the two links first; the
    no-plasticity control does not."""
    model = sd.model_from_tables(
        "chain3",
        {"A": ["1", "0"], "B": ["1", "0"], "C": ["1", "0"]},
        links=[("A", "B"), ("B", "C")],
        tables={"A": [0.5, 0.5], "B": [[0.9, 0.1], [0.1, 0.9]], "C": [[0.9, 0.1], [0.1, 0.9]]},
    )
    r = sd.run(model, network="cortical", n=500, seed=2, out=tmp_path / "run")
    assert r["metrics_delta"]["precision_at_k"] == 1.0
    assert r["metrics_delta_prop"]["precision_at_k"] == 1.0
    assert r["summary"]["overlap_forward_mean"] > 0.5
    assert r["summary"]["overlap_reverse_mean"] < 0.15
    c = sd.run(model, network="cortical", n=500, seed=2, control="no_plasticity", out=tmp_path / "ctrl")
    assert c["summary"]["overlap_forward_mean"] < 0.15
