"""The agreement statistics of the engine comparison, the rate engine's input floor and the
Poisson stimulus."""

from __future__ import annotations

import numpy as np
import pytest
from test_rate import ENC2, _two_area_protocol

from spiking_direct.comparison import agreement, bootstrap_ccc, ccc, split_half_reliability
from spiking_direct.engines.rate import RateParams, k_cap, run_rate
from spiking_direct.stimulus import poisson_counts


# --------------------------------------------------------------------------
# Agreement statistics
# --------------------------------------------------------------------------
def test_ccc_on_known_numbers():
    assert ccc([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    # shift by 1: var 2/3 each, cov 2/3, (mean difference)^2 = 1 -> (4/3) / (7/3)
    assert ccc([1, 2, 3], [2, 3, 4]) == pytest.approx(4 / 7)
    # scale by 2: var 1.25 and 5, cov 2.5, (mean difference)^2 = 6.25 -> 5 / 12.5
    assert ccc([1, 2, 3, 4], [2, 4, 6, 8]) == pytest.approx(0.4)
    assert ccc([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="same length"):
        ccc([1, 2, 3], [1, 2])


def _paired(S: int, L: int = 10, noise: float = 0.5, seed: int = 0):
    rng = np.random.default_rng(seed)
    base = np.random.default_rng(99).normal(size=L)
    return base + rng.normal(scale=noise, size=(S, L)), base + rng.normal(scale=noise, size=(S, L))


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_seeds():
    widths = []
    for S in (4, 32):
        a, b = _paired(S)
        point, (lo, hi) = bootstrap_ccc(a, b, n=500)
        assert lo <= point <= hi
        widths.append(hi - lo)
    assert widths[1] < widths[0] / 2


def test_split_half_reliability_of_identical_seeds_is_one_and_of_noise_about_zero():
    base = np.random.default_rng(1).normal(size=12)
    same = split_half_reliability(np.tile(base, (6, 1)))
    assert same["half"] == pytest.approx(1.0) and same["spearman_brown"] == pytest.approx(1.0)
    assert same["n_splits"] == 10  # every split of 6 seeds into 3 + 3
    noise = split_half_reliability(np.random.default_rng(2).normal(size=(200, 100)))
    assert abs(noise["half"]) < 0.1 and abs(noise["spearman_brown"]) < 0.2
    # Spearman-Brown: the full set is more reliable than a half
    a, _ = _paired(8)
    rel = split_half_reliability(a)
    assert 0 < rel["half"] < rel["spearman_brown"] < 1
    assert np.isnan(split_half_reliability(a[:1])["spearman_brown"])


def test_agreement_of_two_engines_that_agree_up_to_the_weight_unit():
    a, _ = _paired(6, noise=0.05)
    runs = {
        "rate": [{"links": [{"delta_prop": v, "delta": 1 + v} for v in row]} for row in a],
        "spiking": [{"links": [{"delta_prop": v, "delta": 6 * (1 + v)} for v in row]} for row in a],
    }
    ag = agreement(runs, [f"l{i}" for i in range(a.shape[1])])
    for key in ("delta_prop", "delta"):  # delta: each engine's scaled by its mean, so the unit drops out
        assert ag[key]["ccc"] == pytest.approx(1.0)
        assert ag[key]["ccc_corrected"] == pytest.approx(1.0 / ag[key]["ceiling"])
        assert ag[key]["reliability"]["rate"]["spearman_brown"] > 0.9
        np.testing.assert_allclose([p["z"] for p in ag[key]["per_link"]], 0.0, atol=1e-9)
    shift = [{"links": [{"delta_prop": v + 2.0, "delta": 1.0} for v in row]} for row in a]
    names = [f"l{i}" for i in range(a.shape[1])]
    assert agreement({"rate": runs["rate"], "spiking": shift}, names)["delta_prop"]["ccc"] < 0.5  # a shift disagrees


# --------------------------------------------------------------------------
# Input floor of the k-cap
# --------------------------------------------------------------------------
def test_floor_refuses_low_input_winners_and_zero_floor_is_the_plain_cap():
    rng = np.random.default_rng(3)
    for _ in range(50):
        x = rng.poisson(2.0, size=300).astype(float)
        prio = rng.permutation(300)
        plain = k_cap(x, 20, priority=prio)
        np.testing.assert_array_equal(k_cap(x, 20, priority=prio, floor=0.0), plain)
        for floor in (3.0, 5.0, 7.0):
            win = k_cap(x, 20, priority=prio, floor=floor)
            assert np.all(x[win] >= floor)  # a cell below the floor never wins
            assert win.size == min(20, int(np.sum(x >= floor)))
            if win.size == 20:
                np.testing.assert_array_equal(win, plain)
    assert k_cap(np.ones(10), 3, floor=2.0).size == 0  # nobody reaches it: silent


def test_floor_silences_a_weak_stimulus_in_a_run_and_is_off_by_default():
    prot = _two_area_protocol(0.1)
    prot.stim_strength[1:4:2] = 0.05  # 1 of 20 input cells: far below a floor of 0.7 of the full input
    default = run_rate(prot, ENC2, RateParams(n=400), seed=0)
    zero = run_rate(prot, ENC2, RateParams(n=400, cap_floor=0.0, cap_floor_max=0.0), seed=0)
    for name in ("spike_window", "spike_neuron", "spike_time", "w_final"):
        np.testing.assert_array_equal(getattr(default, name), getattr(zero, name))
    assert np.all(default.window_area_counts()[[1, 3]] == default.k)  # no floor: k winners anyway
    floored = run_rate(prot, ENC2, RateParams(n=400, cap_floor=0.7), seed=0)
    counts = floored.window_area_counts()
    assert np.all(counts[[1, 3]] == 0)  # the weak value's area stays silent
    assert np.all(counts[[0, 2]] > 0)  # full strength still fires
    with pytest.raises(ValueError, match="cap_floor_max must be in"):
        RateParams(cap_floor_max=1.5)
    with pytest.raises(ValueError, match="cap_floor must be >= 0"):
        RateParams(cap_floor=-1)


# --------------------------------------------------------------------------
# Poisson stimulus
# --------------------------------------------------------------------------
def test_poisson_counts_have_the_stated_means_and_repeat_with_the_seed():
    prot = _two_area_protocol(0.1, couple=400)
    w_weak = prot.windows("couple")[::2]
    prot.stim_strength[w_weak] = 1 / 4
    c = poisson_counts(prot, 50, 2.0, seed=7)
    assert c.shape == (prot.n_windows, 2, 50)
    assert c[w_weak].mean() == pytest.approx(0.5, rel=0.05)
    full = prot.windows("couple")[1::2]
    assert c[full].mean() == pytest.approx(2.0, rel=0.05)
    assert np.all(c[prot.stim_set < 0] == 0)
    np.testing.assert_array_equal(c, poisson_counts(prot, 50, 2.0, seed=7))
    assert not np.array_equal(c, poisson_counts(prot, 50, 2.0, seed=8))
    # drawn cell by cell: a smaller set gets the first cells' counts
    np.testing.assert_array_equal(poisson_counts(prot, 20, 2.0, seed=7), c[..., :20])


def test_poisson_stimulus_uses_the_counts_as_input_strengths():
    prot = _two_area_protocol(0.1)
    params = RateParams(n=400, stimulus="poisson", poisson_rate=1.5)
    a = run_rate(prot, ENC2, params, seed=4)
    b = run_rate(prot, ENC2, params, seed=4)
    for name in ("spike_window", "spike_neuron", "w_final"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    # window 0: area 0's winners are the top k of sum_i count_i * W_i over its input set 0
    from spiking_direct.engines.rate.runner import _build

    net = _build(prot, ENC2, params, 4)
    counts = poisson_counts(prot, net.n_in, 1.5, 4)[0, 0]
    x = counts.astype(float) @ net.inputs[0].matrix().toarray()
    expected = k_cap(x, net.k, priority=net.priority[: net.n])
    got = np.sort(a.spike_neuron[(a.spike_window == 0) & (a.spike_neuron < a.n)])
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="poisson_rate must be > 0"):
        RateParams(poisson_rate=0)


def test_defaults_unchanged():
    p = RateParams()
    assert (p.stimulus, p.cap_floor, p.cap_floor_max, p.poisson_rate) == ("sampled", 0.0, 0.0, 1.0)


def test_spiking_poisson_stimulus_hands_the_network_the_rate_engines_counts():
    from dataclasses import replace

    from spiking_direct.engines.spiking import SpikingError, SpikingParams, stimulus_values, timed_values

    prot = _two_area_protocol(0.1)
    prot.stim_strength[prot.windows("couple")[::2]] = 1 / 15
    set_area = ENC2.set_area()
    volley = SpikingParams()
    default = stimulus_values(prot, ENC2.n_sets, set_area, volley, 3)
    assert "stim_count" not in default
    for name, v in timed_values(prot, ENC2.n_sets, set_area).items():
        np.testing.assert_array_equal(default[name], v)  # the default stimulus is untouched
    poisson = SpikingParams(inp=replace(volley.inp, stimulus="poisson", poisson_rate=1.0))
    vals = stimulus_values(prot, ENC2.n_sets, set_area, poisson, 3)
    n_in = poisson.inp.n_per_set
    counts = poisson_counts(prot, n_in, 1.0, 3)  # (W, A, n_in): the counts the rate engine draws
    got = vals["stim_count"].reshape(prot.n_windows, ENC2.n_sets, n_in)
    for w in range(prot.n_windows):
        for s in range(ENC2.n_sets):
            areas = np.flatnonzero(prot.stim_set[w] == s)
            want = counts[w, areas[0]] if areas.size else np.zeros(n_in)
            np.testing.assert_array_equal(got[w, s], want)
    assert got.sum() > 0
    with pytest.raises(SpikingError, match="inp.stimulus must be one of"):
        SpikingParams(inp=replace(volley.inp, stimulus="burst")).validate()
    with pytest.raises(SpikingError, match="clocked network only"):
        SpikingParams(network="cortical", inp=poisson.inp).validate()


def test_spiking_poisson_input_cells_fire_their_counts_as_coincident_spikes():
    """An input cell fires in its volley iff its count is positive, and its synapses add count x w."""
    from dataclasses import replace

    import brian2 as b2

    from spiking_direct.brian_state import isolated
    from spiking_direct.engines.network import build_network
    from spiking_direct.engines.spiking import SpikingParams, stimulus_values

    prot = _two_area_protocol(0.1)
    set_area = ENC2.set_area()
    base = SpikingParams.for_size(200)
    params = replace(base, inp=replace(base.inp, stimulus="poisson", poisson_rate=1.5))
    vals = stimulus_values(prot, ENC2.n_sets, set_area, params, 5)
    W = 3
    with isolated():
        b2.set_device("runtime")
        b2.prefs.codegen.target = "numpy"
        b2.seed(5)
        net = build_network(params, prot.n_areas, prot.n_windows, set_area, vals)
        objs = {o.name: o for o in net.net.objects}
        inputs, s_in = objs["inputs"], objs["syn_input"]
        spikes = b2.SpikeMonitor(inputs, name="input_spikes")
        before = b2.StateMonitor(net.exc, "ge", record=True, when="before_synapses", name="ge_before")
        after = b2.StateMonitor(net.exc, "ge", record=True, when="after_synapses", name="ge_after")
        net.net.add(spikes, before, after)
        net.net.run(W * params.clock.T_win)
        win = np.asarray(spikes.t[:] / params.clock.T_win, dtype=int)
        cell = np.asarray(spikes.i[:])
        jump = np.asarray(after.ge[:] - before.ge[:])  # (cells, steps): what the synapses added
        steps = np.round(np.asarray(spikes.t[:]) / float(params.clock.dt)).astype(int)
        pre, post, w = np.asarray(s_in.i[:]), np.asarray(s_in.j[:]), np.asarray(s_in.w[:])
    count = vals["stim_count"][:W]
    fired = np.zeros(count.shape, bool)
    fired[win, cell] = True
    np.testing.assert_array_equal(fired, count > 0)  # one volley per window, only the cells with spikes
    assert np.bincount(win * count.shape[1] + cell).max() == 1
    assert (count > 1).any()
    for step in np.unique(steps[win == 0])[:2]:  # the volley steps of window 0 (one per area)
        sel = np.isin(pre, cell[(steps == step)])
        want = np.bincount(post[sel], weights=w[sel] * count[0, pre[sel]], minlength=jump.shape[0])
        assert want.max() > 0
        np.testing.assert_allclose(jump[:, step], want, rtol=1e-9, atol=1e-15)
