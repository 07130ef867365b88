"""Tests of the rate (Assembly Calculus) engine: primitives, projection, DIRECT runs."""

from __future__ import annotations

import time

import numpy as np
import pytest

from spiking_direct.encoding import Encoding
from spiking_direct.engines.rate import (
    Brain,
    Fibre,
    RateParams,
    _ranges,
    bernoulli_pairs,
    k_cap,
    project,
    project_nemo_lazy,
    row_entries,
    run_rate,
)
from spiking_direct.protocol import PHASES, Protocol, ProtocolParams
from spiking_direct.readout import identify_assemblies, propagation, synaptic_strength


# --------------------------------------------------------------------------
# k-cap and its tie rule
# --------------------------------------------------------------------------
def _tied_inputs():
    # 3 clear winners (9, 8, 7), then six neurons tied at 5, the rest lower
    x = np.array([1, 5, 9, 5, 0, 5, 8, 5, 2, 5, 7, 5, 3], dtype=float)
    return x, np.array([2, 6, 10]), np.flatnonzero(x == 5)


def test_k_cap_lowest_index_rule():
    x, top, tied = _tied_inputs()
    win = k_cap(x, 5)
    assert win.size == 5
    np.testing.assert_array_equal(win, np.sort(np.concatenate([top, tied[:2]])))


def test_k_cap_priority_rule():
    x, top, tied = _tied_inputs()
    priority = np.arange(x.size)[::-1].copy()  # higher index = higher priority
    win = k_cap(x, 5, priority=priority)
    np.testing.assert_array_equal(win, np.sort(np.concatenate([top, tied[-2:]])))
    # a permutation: the two tied neurons with the smallest priority values win
    perm = np.random.default_rng(3).permutation(x.size)
    win = k_cap(x, 5, priority=perm)
    expect = tied[np.argsort(perm[tied])[:2]]
    np.testing.assert_array_equal(win, np.sort(np.concatenate([top, expect])))


def test_k_cap_random_rule_is_uniform_and_reproducible():
    x, top, tied = _tied_inputs()
    a = k_cap(x, 5, rng=np.random.default_rng(7))
    b = k_cap(x, 5, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(0)
    hits = np.zeros(x.size)
    reps = 3000
    for _ in range(reps):
        w = k_cap(x, 5, rng=rng)
        assert w.size == 5 and np.isin(top, w).all()
        hits[w] += 1
    freq = hits[tied] / reps  # each tied neuron should win 2/6 of the time
    assert np.all(np.abs(freq - 2 / 6) < 0.05), freq
    assert hits[np.setdiff1d(np.arange(x.size), np.concatenate([top, tied]))].sum() == 0


def test_k_cap_edge_cases():
    x = np.zeros(10)
    assert k_cap(x, 0).size == 0
    np.testing.assert_array_equal(k_cap(x, 10), np.arange(10))
    np.testing.assert_array_equal(k_cap(x, 12), np.arange(10))
    np.testing.assert_array_equal(k_cap(x, 3), [0, 1, 2])  # all tied: lowest index
    rng = np.random.default_rng(1)
    y = rng.normal(size=1000)
    np.testing.assert_array_equal(k_cap(y, 17), np.sort(np.argsort(-y)[:17]))
    with pytest.raises(ValueError):
        k_cap(x, -1)


# --------------------------------------------------------------------------
# Connectivity and sparse helpers
# --------------------------------------------------------------------------
def test_bernoulli_pairs_exact_structure():
    rng = np.random.default_rng(0)
    indptr, idx = bernoulli_pairs(400, 300, 0.05, rng)
    assert indptr.shape == (401,) and indptr[-1] == idx.size
    for r in range(400):  # sorted, unique, in range
        row = idx[indptr[r] : indptr[r + 1]]
        assert np.all(np.diff(row) > 0) and (row.size == 0 or (row[0] >= 0 and row[-1] < 300))
    m = 400 * 300 * 0.05
    assert abs(idx.size - m) < 5 * np.sqrt(m)
    # columns uniform: every column's count close to 400 * 0.05
    col = np.bincount(idx, minlength=300)
    assert abs(col.mean() - 20) < 1.0
    # same generator state -> same draw
    i2, x2 = bernoulli_pairs(400, 300, 0.05, np.random.default_rng(0))
    np.testing.assert_array_equal(indptr, i2)
    np.testing.assert_array_equal(idx, x2)
    # p = 1: complete
    ip, ix = bernoulli_pairs(3, 4, 1.0, rng)
    np.testing.assert_array_equal(ix, np.tile(np.arange(4), 3))


def test_ranges_matches_naive():
    rng = np.random.default_rng(2)
    starts = rng.integers(0, 50, 30)
    ends = starts + rng.integers(0, 6, 30)
    naive = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)])
    np.testing.assert_array_equal(_ranges(starts, ends), naive)
    assert _ranges(np.array([3]), np.array([3])).size == 0
    indptr = np.array([0, 2, 2, 5])
    np.testing.assert_array_equal(row_entries(indptr, np.array([2, 0])), [2, 3, 4, 0, 1])


# --------------------------------------------------------------------------
# Hebbian plasticity
# --------------------------------------------------------------------------
def _dense(f: Fibre) -> np.ndarray:
    return f.matrix().toarray()


def test_hebbian_multiplies_exactly_the_winner_pairs():
    rng = np.random.default_rng(4)
    f = Fibre.random(60, 80, 0.2, rng, beta=0.25)
    f.data[:] = rng.uniform(0.5, 2.0, f.nnz).astype(np.float32)
    before = _dense(f)
    pre = np.array([1, 5, 7, 30])
    post = np.array([0, 3, 4, 79])
    changed = f.hebbian(pre, post)
    after = _dense(f)
    expect = before.copy()
    sel = np.ix_(pre, post)
    expect[sel] = before[sel].astype(np.float32) * np.float32(1.25)
    np.testing.assert_array_equal(after, expect)  # nothing else touched
    assert changed == int((before[sel] != 0).sum())  # only existing synapses
    assert np.array_equal(after != 0, before != 0)  # no synapse created


def test_hebbian_full_volley_and_cached_input_stay_exact():
    rng = np.random.default_rng(5)
    f = Fibre.random(40, 500, 0.1, rng, beta=0.1)
    x0 = f.input(None)
    np.testing.assert_array_equal(x0, _dense(f).sum(axis=0, dtype=np.float64))
    post = np.array([3, 9, 200, 499])
    before = _dense(f)
    f.hebbian(None, post)
    expect = before.copy()
    expect[:, post] = before[:, post].astype(np.float32) * np.float32(1.1)
    np.testing.assert_array_equal(_dense(f), expect)
    fresh = np.bincount(f.indices, weights=f.data, minlength=500)
    np.testing.assert_array_equal(f.input(None), fresh)  # cache updated bit-for-bit
    f.hebbian(np.array([0, 1]), np.array([5]))  # partial volley invalidates the cache
    np.testing.assert_array_equal(f.input(None), np.bincount(f.indices, weights=f.data, minlength=500))


def test_hebbian_gain_zero_changes_nothing():
    rng = np.random.default_rng(6)
    f = Fibre.random(30, 30, 0.3, rng, beta=0.0)
    before = f.data.copy()
    assert f.hebbian(np.arange(30), np.arange(30)) == 0
    assert f.hebbian(np.arange(30), np.arange(30), beta=0.0) == 0
    np.testing.assert_array_equal(f.data, before)


# --------------------------------------------------------------------------
# Brain / projection
# --------------------------------------------------------------------------
def test_brain_step_matches_dense_reference():
    # beta = 0.5 keeps every weight (1.5 ** m, m <= 12) and every input sum exact in
    # floating point, so exact ties are ties in both implementations
    n, k, p, beta = 300, 17, 0.1, 0.5
    brain = Brain(11, tie_break="priority")
    brain.add_stimulus("s", k)
    area = brain.add_area("A", n, k, beta)
    fs = brain.connect("s", "A", p)
    fr = brain.connect("A", "A", p)
    S, R = _dense(fs).astype(np.float64), _dense(fr).astype(np.float64)
    prev = None
    for r in range(12):
        x = S.sum(axis=0) + (R[prev].sum(axis=0) if prev is not None else 0.0)
        order = np.lexsort((area.priority, -x))  # input desc, then priority asc
        win = np.sort(order[:k])
        S[:, win] *= 1 + beta
        if prev is not None:
            R[np.ix_(prev, win)] *= 1 + beta
        got = brain.step({"s": ["A"]}, {"A": ["A"]} if r else {})["A"]
        np.testing.assert_array_equal(got, win)
        np.testing.assert_array_equal(_dense(fr), R)
        np.testing.assert_array_equal(_dense(fs), S)
        prev = win


def test_small_projection_plateaus():
    res = project(2000, 45, 0.05, 0.05, rounds=30, seed=0)
    sup = res["support"]
    assert sup[0] == 45 and np.all(np.diff(sup) >= 0)
    assert sup[-1] == sup[-6], sup  # last 5 rounds add no new winner
    assert res["last_new_round"] <= 25
    assert all(w.size == 45 for w in res["winners"])
    np.testing.assert_array_equal(res["winners"][-1], res["winners"][-2])  # converged assembly
    again = project(2000, 45, 0.05, 0.05, rounds=30, seed=0)
    np.testing.assert_array_equal(again["support"], sup)
    # more plasticity -> smaller support (the literature trend)
    assert project(2000, 45, 0.05, 0.2, rounds=30, seed=0)["support"][-1] < sup[-1]


def test_nemo_lazy_projection_converges():
    res = project_nemo_lazy(20000, 141, 0.02, 0.1, rounds=25, seed=1)
    assert res["support"][0] == 141 and res["support"][-1] == res["support"][-6]


def test_association_co_activation_increases_overlap():
    n, k, p, beta = 1000, 31, 0.1, 0.1
    brain = Brain(2)
    for s in ("a", "b"):
        brain.add_stimulus(s, k)
    for name in ("A", "B", "C"):
        brain.add_area(name, n, k, beta)
    brain.connect("a", "A", p)
    brain.connect("b", "B", p)
    for src in ("A", "B", "C"):
        brain.connect(src, "C", p)
    for _ in range(10):  # form the assemblies in A and B
        brain.step({"a": ["A"], "b": ["B"]})

    def project_alone(src):
        brain.step({"a": ["A"]} if src == "A" else {"b": ["B"]})
        brain.step({"a": ["A"]} if src == "A" else {"b": ["B"]}, {src: ["C"]})
        for _ in range(9):
            brain.step({"a": ["A"]} if src == "A" else {"b": ["B"]}, {src: ["C"], "C": ["C"]})
        return brain.areas["C"].winners.copy()

    ca, cb = project_alone("A"), project_alone("B")
    before = np.intersect1d(ca, cb).size
    for _ in range(10):  # association: A and B fire into C together
        brain.step({"a": ["A"], "b": ["B"]}, {"A": ["C"], "B": ["C"], "C": ["C"]})
    brain.plasticity = False
    ca2, cb2 = project_alone("A"), project_alone("B")
    assert np.intersect1d(ca2, cb2).size > before + 3


# --------------------------------------------------------------------------
# RateParams
# --------------------------------------------------------------------------
def test_rate_params_defaults_and_validation():
    p = RateParams()
    assert p.k_eff == 32 and p.n_in_eff == 32
    assert RateParams(n=100, k=7, n_in=3).n_in_eff == 3
    for bad in (
        dict(n=1),
        dict(n=10, k=11),
        dict(k=0),
        dict(p_inter=0.0),
        dict(p_inter=1.5),
        dict(p_in=0.0),
        dict(p_in=-0.1),
        dict(p_rec=1.1),
        dict(beta_in=-1.0),
        dict(extra_rounds=-1),
        dict(tie_break="coin"),
        dict(n_in=0),
    ):
        with pytest.raises(ValueError):
            RateParams(**bad)


# --------------------------------------------------------------------------
# DIRECT on a hand-built two-area protocol
# --------------------------------------------------------------------------
def _two_area_protocol(gain: float, lead: float = 0.005, couple: int = 12) -> Protocol:
    """Two areas, two input sets each (0, 1 -> area 0; 2, 3 -> area 1)."""
    ident = [(0, 2), (1, 3), (0, 2), (1, 3)]
    probes = [(0, 0), (0, 1), (1, 2), (1, 3)]  # (probed area, set)
    W = len(ident) + couple + len(probes)
    A = 2
    phase = np.zeros(W, np.int8)
    stim_set = np.full((W, A), -1, np.int32)
    strength = np.zeros((W, A))
    active = np.zeros((W, A), bool)
    offset = np.zeros((W, A))
    g = np.zeros((W, A, A))
    fiber = np.zeros((W, A, A), bool)
    probe_source = np.full(W, -1, np.int32)
    w = 0
    for s0, s1 in ident:
        stim_set[w] = (s0, s1)
        strength[w] = 1.0
        active[w] = True
        w += 1
    for i in range(couple):
        phase[w] = PHASES.index("couple")
        stim_set[w] = (0, 2) if i % 2 == 0 else (1, 3)
        strength[w] = 1.0
        active[w] = True
        offset[w] = (0.0, lead)
        g[w, 0, 1] = g[w, 1, 0] = gain
        w += 1
    for a, s in probes:
        phase[w] = PHASES.index("probe")
        stim_set[w, a] = s
        strength[w, a] = 1.0
        active[w] = True
        offset[w] = 0.01
        offset[w, a] = 0.0
        fiber[w, a, 1 - a] = True
        probe_source[w] = a
        w += 1
    return Protocol(
        A, phase, stim_set, strength, active, offset, g, fiber, probe_source, [[] for _ in range(W)], ProtocolParams()
    )


ENC2 = Encoding("index", (2, 2))
SMALL = RateParams(n=400, p_inter=0.2)


def test_leading_area_strengthens_forward_only():
    rec = run_rate(_two_area_protocol(0.15), ENC2, SMALL, seed=1)
    asm = identify_assemblies(rec)
    S, count = synaptic_strength(rec, asm)
    assert count[0, 1] > 0 and count[1, 0] > 0
    assert S[0, 1] > S[1, 0]
    assert S[1, 0] == pytest.approx(1.0)  # reverse untouched (v fires after u)
    prop = propagation(rec, asm)
    assert prop.overlap[0, 1] > 0.5 > 0.25 > prop.overlap[1, 0]
    # the strengthened synapses are exactly assembly(0) -> assembly(1) pairs
    changed = rec.w_final != rec.w_initial
    assert changed.any()
    pre_a, post_a = rec.syn_pre[changed] // rec.n, rec.syn_post[changed] // rec.n
    assert np.all(pre_a == 0) and np.all(post_a == 1)
    assert np.isin(rec.syn_pre[changed], asm.union[0]).all()
    assert np.isin(rec.syn_post[changed] - rec.n, asm.union[1]).all()


def test_gain_zero_and_zero_lead_give_no_asymmetry():
    for prot in (_two_area_protocol(0.0), _two_area_protocol(0.15, lead=0.0)):
        rec = run_rate(prot, ENC2, SMALL, seed=1)
        np.testing.assert_array_equal(rec.w_final, rec.w_initial)
        S, _ = synaptic_strength(rec, identify_assemblies(rec))
        assert S[0, 1] - S[1, 0] == 0.0


def test_recording_contents():
    prot = _two_area_protocol(0.1)
    rec = run_rate(prot, ENC2, SMALL, seed=3)
    n, k = rec.n, rec.k
    assert (n, k) == (400, 20) and rec.weight_unit == "1"
    counts = rec.window_area_counts()
    np.testing.assert_array_equal(counts[prot.active], k)  # every active area fires exactly k
    # offsets -> rounds: the lagging area fires in round 1 (t = 1 ms)
    cw = prot.windows("couple")[0]
    sel = rec.spike_window == cw
    t_area = {a: set(rec.spike_time[sel & (rec.spike_neuron // n == a)]) for a in (0, 1)}
    assert t_area == {0: {0.0}, 1: {1e-3}}
    # inter-area synapses only, p_inter
    assert np.all(rec.syn_pre // n != rec.syn_post // n)
    assert abs(rec.syn_pre.size / (2 * n * n) - 0.2) < 0.01
    assert rec.syn_pre.size == rec.syn_post.size == rec.w_initial.size == rec.w_final.size
    assert set(rec.timing) >= {"build_s", "simulate_s"}
    assert rec.info["weight_bytes"]["inter"] > 0 and rec.info["n_inter_synapses"] == rec.syn_pre.size


def test_same_seed_same_recording_different_seed_differs():
    prot = _two_area_protocol(0.1)
    for tb in ("priority", "random"):
        params = RateParams(n=300, tie_break=tb)
        a = run_rate(prot, ENC2, params, seed=5)
        b = run_rate(prot, ENC2, params, seed=5)
        c = run_rate(prot, ENC2, params, seed=6)
        for name in ("spike_window", "spike_neuron", "spike_time", "syn_pre", "syn_post", "w_initial", "w_final"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert not (np.array_equal(a.spike_neuron, c.spike_neuron) and np.array_equal(a.syn_post, c.syn_post))


def test_silent_area_and_partial_strength():
    prot = _two_area_protocol(0.1)
    w = prot.windows("probe")[0]
    fiber = prot.fiber
    fiber[w] = False  # probe target with no fibre and no stimulus: silent
    prot.fiber = fiber
    rec = run_rate(prot, ENC2, SMALL, seed=0)
    counts = rec.window_area_counts()
    assert counts[w, 0] == rec.k and counts[w, 1] == 0
    # a weaker volley fires fewer input cells: a different, still k-sized winner set
    prot2 = _two_area_protocol(0.1)
    prot2.stim_strength[1:4:2] = 0.2
    rec2 = run_rate(prot2, ENC2, SMALL, seed=0)
    c2 = rec2.window_area_counts()
    assert c2[1, 0] == rec2.k
    a = np.sort(rec.spike_neuron[rec.spike_window == 1])
    b = np.sort(rec2.spike_neuron[rec2.spike_window == 1])
    assert not np.array_equal(a, b)


def test_graded_stimulus_elects_the_full_strength_assembly():
    """``stimulus="graded"``: a weaker volley scales the whole set's input, and a k-cap is
    invariant to scale, so the winners are those of the full-strength volley (the
    sampled default draws a subset of cells and elects a different set, test above)."""
    full = run_rate(_two_area_protocol(0.1), ENC2, RateParams(n=400, stimulus="graded"), seed=0)
    prot = _two_area_protocol(0.1)
    prot.stim_strength[1:4:2] = 0.2
    weak = run_rate(prot, ENC2, RateParams(n=400, stimulus="graded"), seed=0)
    for w in (1, 3):
        a = np.sort(full.spike_neuron[full.spike_window == w])
        b = np.sort(weak.spike_neuron[weak.spike_window == w])
        assert a.size == 2 * weak.k  # both areas fire k
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="stimulus must be one of"):
        RateParams(stimulus="pulse")


def test_extra_rounds_strengthen_both_directions():
    prot = _two_area_protocol(0.1)
    rec = run_rate(prot, ENC2, RateParams(n=300, extra_rounds=1, p_rec=0.1, beta_rec=0.05), seed=2)
    asm = identify_assemblies(rec)
    S, _ = synaptic_strength(rec, asm)
    assert S[0, 1] > S[1, 0] > 1.0  # reverse now strengthened too, but less
    assert set(np.round(rec.spike_time / 1e-3).astype(int)) == {0, 1, 2}
    assert rec.info["n_recurrent_synapses"] > 0


def test_protocol_encoding_mismatch_raises():
    prot = _two_area_protocol(0.1)
    prot.stim_set[0, 0] = 2  # set 2 belongs to area 1
    with pytest.raises(ValueError):
        run_rate(prot, ENC2, SMALL, seed=0)


# --------------------------------------------------------------------------
# The full DIRECT protocol on the Alzheimer SCM
# --------------------------------------------------------------------------
def test_alzheimer_direct_recovers_structure():
    causal = pytest.importorskip("spiking_direct.causal")
    metrics = pytest.importorskip("spiking_direct.metrics")
    if not hasattr(causal, "get_model") or not hasattr(metrics, "structure_metrics"):
        pytest.skip("causal.get_model / metrics.structure_metrics not available yet")
    from spiking_direct.protocol import direct_protocol

    model = causal.get_model("alzheimer")
    enc = Encoding.for_model(model)
    t0 = time.perf_counter()
    prot = direct_protocol(model, enc, ProtocolParams(), np.random.default_rng(0))
    rec = run_rate(prot, enc, RateParams(), seed=0)
    asm = identify_assemblies(rec)
    S, _ = synaptic_strength(rec, asm)
    prop = propagation(rec, asm)
    elapsed = time.perf_counter() - t0
    truth = np.asarray(model.adjacency(), dtype=bool)
    m = metrics.structure_metrics(S - S.T, truth)
    assert m["precision_at_k"] == 1.0 and m["recall_at_k"] == 1.0
    mp = metrics.structure_metrics(prop.overlap - prop.overlap.T, truth)
    assert mp["precision_at_k"] == 1.0
    links = np.array(model.link_indices())
    fwd = prop.overlap[links[:, 0], links[:, 1]]
    rev = prop.overlap[links[:, 1], links[:, 0]]
    assert np.all(fwd > rev)
    assert np.all(S[links[:, 1], links[:, 0]] == 1.0)
    print(
        f"\nAlzheimer rate run {elapsed:.2f} s (build {rec.timing['build_s']:.2f} s, "
        f"simulate {rec.timing['simulate_s']:.3f} s); forward overlaps {np.round(fwd, 2)}, "
        f"reverse {np.round(rev, 2)}"
    )
    assert elapsed < 30.0
