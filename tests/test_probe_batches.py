"""Batched probe windows: beyond ALL_PAIRS_LIMIT ordered pairs the run reads out a selection
(pipeline.probe_selection) and probes several areas per window, each listener hearing one source
(fast, a few seconds: the limit is lowered so that small models are batched)."""

from __future__ import annotations

import numpy as np
import pytest

from spiking_direct import pipeline, readout
from spiking_direct.causal import get_model
from spiking_direct.encoding import Encoding
from spiking_direct.engines import parts
from spiking_direct.engines.rate import RateParams, run_rate
from spiking_direct.protocol import Protocol, ProtocolParams, direct_protocol, heard_from, window_counts


@pytest.fixture
def low_limit(monkeypatch):
    monkeypatch.setattr(pipeline, "ALL_PAIRS_LIMIT", 10)


def _batched(name: str, seed: int = 1, **kw):
    model = get_model(name)
    enc = Encoding.for_model(model, "index", 15.0)
    pairs = pipeline.probe_pairs(model, seed)
    assert pairs is not None
    p = direct_protocol(model, enc, ProtocolParams(**kw), np.random.default_rng(seed), probe_pairs=pairs)
    return model, enc, pairs, p


def test_below_the_limit_nothing_is_batched():
    model = get_model("child")
    assert pipeline.probe_pairs(model, 1) is None
    enc = Encoding.for_model(model, "index", 15.0)
    p = direct_protocol(model, enc, ProtocolParams(), np.random.default_rng(1))
    assert not p.batched
    probe = p.windows("probe")
    assert np.array_equal(p.probe_of, heard_from(p.probe_source, model.n_variables))
    assert np.all(p.probe_source[probe] >= 0) and np.all(p.fibers.hears[probe])


@pytest.mark.parametrize("name, reps", [("child", 2), ("alarm", 3)])
def test_each_listener_hears_one_source_and_no_source_listens(low_limit, name, reps):
    model, enc, pairs, p = _batched(name, probe_reps=reps)
    assert p.batched
    probe = p.windows("probe")
    fiber = p.fiber  # (W, A, A) dense, small here
    for w in probe:
        f = fiber[w]
        assert f.sum(axis=0).max() <= 1  # each listener hears at most one source
        sources = np.flatnonzero(p.stim_set[w] >= 0)
        assert not f[:, sources].any() and np.all(p.probe_of[w, sources] == -1)  # no source listens
        src, lis = np.nonzero(f)
        assert set(src) <= set(sources)
        assert np.array_equal(np.flatnonzero(p.probe_of[w] >= 0), np.sort(lis))
        assert np.all(p.probe_of[w, lis] == src)  # probe_of names the fibre's source
        assert pairs[src, lis].all()  # only selected pairs transmit
    # the other phases keep their windows
    unbatched = window_counts(model, enc, ProtocolParams(probe_reps=reps))
    counts = window_counts(model, enc, ProtocolParams(probe_reps=reps), probe_pairs=pairs)
    assert counts["probe"] == len(probe) < unbatched["probe"]
    assert {k: v for k, v in counts.items() if k != "probe"} == {k: v for k, v in unbatched.items() if k != "probe"}


@pytest.mark.parametrize("name, reps", [("child", 2), ("alarm", 3)])
def test_every_selected_pair_is_heard_probe_reps_times_per_set(low_limit, name, reps):
    model, enc, pairs, p = _batched(name, probe_reps=reps)
    probe = p.windows("probe")
    heard = np.zeros(pairs.shape, dtype=np.int64)
    for u in range(model.n_variables):
        for v in range(model.n_variables):
            wins = probe[p.probe_of[probe, v] == u]
            heard[u, v] = wins.size
            if pairs[u, v]:
                sets, times = np.unique(p.stim_set[wins, u], return_counts=True)
                assert sets.tolist() == list(enc.sets_of(u)) and np.all(times == reps)
    assert np.all(heard[~pairs] == 0)
    # the unlinked sampled pairs are probed too
    truth = model.adjacency().astype(bool)
    assert (pairs & ~(truth | truth.T)).any()


def test_probe_of_survives_the_arrays(low_limit):
    _, _, _, p = _batched("child")
    q = Protocol.from_arrays(p.to_arrays(), p.params)
    assert np.array_equal(q.probe_of, p.probe_of) and q.batched
    arrays = {k: v for k, v in p.to_arrays().items() if k != "probe_of"}  # a file from before probe_of
    old = Protocol.from_arrays(arrays, p.params)
    assert np.array_equal(old.probe_of, heard_from(p.probe_source, p.n_areas))


def test_the_pair_form_gates_the_batched_fibres(low_limit):
    """The spiking engine's pair form (TimedArray values) gives every synapse the protocol's fibre."""
    _, _, _, p = _batched("child")
    W, A = p.n_windows, p.n_areas
    v = parts.pair_values(p)
    fiber = p.fiber
    rows = v["fiber_pairs"].shape[0]
    col = v["fiber_pair"][0].astype(int)
    for w in range(W):
        gate = np.outer(v["fiber_sends"][w], v["fiber_hears"][w]) * (1 - np.eye(A))
        gate = gate + v["fiber_pairs"][min(w, rows - 1)][col].reshape(A, A)
        assert np.array_equal(gate > 0, fiber[w])


@pytest.mark.parametrize("connectivity", ["linked", "all"])
def test_batched_readout_equals_the_unbatched_one(low_limit, connectivity):
    """Rate engine: the network draws and the identify and couple windows are the same, a probe
    window has no plasticity and no random draw (full-strength stimuli), and a listener's input
    comes from its one source only, so every selected pair reads the same in both protocols."""
    model, enc, pairs, batched = _batched("child", seed=2)
    unbatched = direct_protocol(model, enc, ProtocolParams(), np.random.default_rng(2))
    params = RateParams(n=100, connectivity=connectivity)
    rb, ru = run_rate(batched, enc, params, seed=2), run_rate(unbatched, enc, params, seed=2)
    np.testing.assert_array_equal(rb.w_final, ru.w_final)
    asm_b, asm_u = readout.identify_assemblies(rb), readout.identify_assemblies(ru)
    assert asm_b.members.keys() == asm_u.members.keys()
    assert all(np.array_equal(asm_b.members[s], asm_u.members[s]) for s in asm_b.members)
    pb = pipeline._propagation_of(rb, asm_b, pairs)
    pu = pipeline._propagation_of(ru, asm_u, pairs)
    full = readout.propagation(ru, asm_u)
    for name in ("overlap", "fired", "responders", "precision"):
        a, b = getattr(pb, name), getattr(pu, name)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(getattr(full, name)[pairs], a[pairs])
    if connectivity == "all":  # the unlinked sampled pairs respond: a real readout, not zeros
        truth = model.adjacency().astype(bool)
        assert (pb.fired[pairs & ~(truth | truth.T)] > 0).any()
    # readout.propagation on the batched run: the selected pairs as above, the rest unheard (NaN)
    part = readout.propagation(rb, asm_b)
    np.testing.assert_array_equal(part.overlap[pairs], pb.overlap[pairs])
    assert np.all(np.isnan(part.overlap[~pairs]))
    if connectivity == "all":  # the value-level readout (skipped beyond the limit) reads the same rows
        from spiking_direct import value_readout

        vb, vu = value_readout.analyse(rb, asm_b, model), value_readout.analyse(ru, asm_u, model)
        assert vb["rows"] and all(r in vu["rows"] for r in vb["rows"])
        assert vb["summary"]["value_overlap_cc_forward_mean"] == vu["summary"]["value_overlap_cc_forward_mean"]


def test_a_batched_run_end_to_end(low_limit, tmp_path):
    from spiking_direct.config import RunConfig, apply_overrides

    cfg = apply_overrides(RunConfig(model="child", engine="rate", seed=1), ["n=100"])
    res = pipeline.run(cfg, out=tmp_path, figures=False)
    assert res["probe_selection"]["rule"] == "linked"
    z = np.load(tmp_path / "recording.npz")
    assert "probe_of" in z.files and z["probe_of"].shape == (z["phase"].shape[0], 20)
