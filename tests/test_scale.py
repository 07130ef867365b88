"""Scaling the rate engine: linked-only inter-area connectivity, multi-valued
networks, and a 50-variable random DAG at the default area size (fast, < 60 s)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from spiking_direct import pipeline
from spiking_direct.causal import get_model
from spiking_direct.config import RunConfig, apply_overrides
from spiking_direct.encoding import Encoding
from spiking_direct.engines.rate import RateParams, _InterArea, linked_pairs, run_rate
from spiking_direct.protocol import ProtocolParams, direct_protocol


def _protocol(name: str, seed: int = 0):
    model = get_model(name)
    enc = Encoding.for_model(model, "index", 15.0)
    return model, enc, direct_protocol(model, enc, ProtocolParams(), np.random.default_rng(seed))


def _blocks(rec, A: int) -> np.ndarray:
    """(A, A) synapse counts per (pre area, post area) block of a Recording."""
    counts = np.zeros((A, A), dtype=np.int64)
    np.add.at(counts, (rec.syn_pre // rec.n, rec.syn_post // rec.n), 1)
    return counts


def test_rate_module_does_not_import_brian2():
    code = "import sys, spiking_direct.engines.rate; print('brian2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_linked_pairs_match_spiking_engine():
    from spiking_direct.engines.spiking import linked_pairs as spiking_linked

    _, _, prot = _protocol("sachs")
    np.testing.assert_array_equal(linked_pairs(prot), spiking_linked(prot))


def test_inter_area_all_pairs_explicit_equals_default():
    """Giving every pair explicitly draws exactly the all-pairs network."""
    a = _InterArea(4, 50, 0.2, np.random.default_rng(3))
    b = _InterArea(4, 50, 0.2, np.random.default_rng(3), allowed=np.ones((4, 4), bool))
    for name in ("indptr", "indices", "column"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for x, y in zip(a.blocks, b.blocks):
        np.testing.assert_array_equal(x, y)


def test_rate_params_connectivity_validated():
    assert RateParams().connectivity == "all"
    with pytest.raises(ValueError, match="connectivity"):
        RateParams(connectivity="some")
    cfg = apply_overrides(RunConfig(engine="rate"), ["rate.connectivity=linked"])
    assert cfg.rate.connectivity == "linked"


def test_rate_linked_builds_only_linked_blocks_and_learns_alzheimer():
    model, enc, prot = _protocol("alzheimer")
    A, L = model.n_variables, model.n_links
    params = RateParams(connectivity="linked")
    rec = run_rate(prot, enc, params, seed=0)
    n, p = params.n, params.p_inter
    allowed = linked_pairs(prot)
    assert allowed.sum() == 2 * L  # every link, both directions; no other pair
    counts = _blocks(rec, A)
    assert np.all(counts[~allowed] == 0)  # nothing outside the linked blocks
    assert np.all(counts[allowed] > 0)
    # each block ~ Binomial(n^2, p)
    mean, sd = n * n * p, np.sqrt(n * n * p * (1 - p))
    assert np.all(np.abs(counts[allowed] - mean) < 6 * sd)
    info = rec.info
    assert info["connectivity"] == "linked" and info["n_inter_pairs"] == 2 * L
    assert info["n_synapses_inter"] == rec.syn_pre.size == counts.sum()
    assert abs(info["n_synapses_inter"] - 2 * L * mean) < 6 * np.sqrt(2 * L) * sd
    assert info["weights_inter_bytes"] == 4 * info["n_synapses_inter"]
    assert info["memory_inter_bytes"] >= 8 * info["n_synapses_inter"]
    # the all-pairs network of the same model: A (A - 1) blocks
    rec_all = run_rate(prot, enc, RateParams(), seed=0)
    assert rec_all.info["n_inter_pairs"] == A * (A - 1)
    assert rec_all.info["n_synapses_inter"] > 4 * info["n_synapses_inter"]

    res = pipeline.finish(
        apply_overrides(RunConfig(model="alzheimer", engine="rate"), ["rate.connectivity=linked"]),
        model,
        rec,
        0.0,
        figures=False,
    )
    assert res["metrics_delta"]["precision_at_k"] == 1.0
    assert res["metrics_delta_prop"]["precision_at_k"] == 1.0
    # non-coupled pairs: no synapse, so no asymmetry and no propagation
    truth = model.adjacency()
    delta = res["matrices"]["delta"]
    off = ~allowed & ~np.eye(A, dtype=bool)
    assert np.all(delta[off] == 0.0)
    assert np.all(res["matrices"]["fired"][off] == 0.0)
    assert np.all(delta[truth] > 0)


def test_rate_sachs_three_valued():
    """pgmpy's sachs network (11 variables, 17 links, 3 values each): every value
    is its own input set and assembly; the rate engine recovers every direction."""
    model = get_model("sachs")
    assert model.n_variables == 11 and model.n_links == 17
    enc = Encoding.for_model(model, "index", 15.0)
    assert list(enc.cardinalities) == [3] * 11 and enc.n_sets == 33
    res = pipeline.run(RunConfig(model="sachs", engine="rate", seed=0), figures=False)
    assert len(res["cap"]["assembly_size"]) == 33  # one assembly per value
    k = res["cap"]["k"]
    assert all(size > 0 for size in res["cap"]["assembly_size"].values())
    assert k == round(np.sqrt(RateParams().n))
    assert res["metrics_delta"]["precision_at_k"] == 1.0
    assert res["metrics_delta"]["auroc"] == 1.0


def test_rate_50_variable_random_dag_linked_fits(record_property):
    """A 50-variable random DAG at the default area size (n = 1000) with linked
    connectivity: ~2 L n^2 p synapses instead of A (A - 1) n^2 p (about 4e8,
    3 GB of weights). Run in a fresh process so that its peak RSS is its own."""
    code = textwrap.dedent("""
        import json, resource
        from spiking_direct import pipeline
        from spiking_direct.config import RunConfig, apply_overrides
        cfg = apply_overrides(RunConfig(model="random:50:2:0", engine="rate"), ["rate.connectivity=linked"])
        res = pipeline.run(cfg, figures=False)
        info = res["engine_info"]
        print(json.dumps({"precision_at_k": res["metrics_delta"]["precision_at_k"],
                          "auroc": res["metrics_delta"]["auroc"],
                          "n_links": res["summary"]["n_links"], "n": info["params"]["n"],
                          "n_synapses_inter": info["n_synapses_inter"],
                          "memory_inter_bytes": info["memory_inter_bytes"],
                          "total_s": res["timing"]["total_s"],
                          "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    for key, value in r.items():
        record_property(key, value)
    print(f"\n50-variable random DAG, rate engine, n = 1000, linked: {r}")
    assert r["n"] == 1000
    all_pairs = 50 * 49 * 1000**2 * RateParams().p_inter
    assert r["n_synapses_inter"] < 0.1 * all_pairs
    assert r["memory_inter_bytes"] < 400e6
    assert r["maxrss_mb"] < 2000
    assert r["precision_at_k"] >= 0.95


# --------------------------------------------------------------------------
# The protocol's sparse pair values (gains, fibres) and the spiking engine's pair form
# --------------------------------------------------------------------------
#: sha256 (first 32 hex digits) of the dense gain (float64) and fibre (bool) arrays that the dense
#: protocol writer produced for these protocols (seed 1): the sparse form must give them back
DENSE_HASHES = {
    "alzheimer": ("05d808b4b86f028d9cc06c535fa2a9f7", "3e753abc41022493e80eda893ac28fd4"),
    "asia_transmit_do": ("877129bc0bac70621ca7127f5d429e63", "5e9e08f650fc7ed832660dfcf1d08c99"),
    "sachs_harmonic_reversed": ("31f6433a5a549910779396695a4f0d2a", "0612cb0d902f9ad59636a157df2c7e7c"),
}
HASH_CASES = {
    "alzheimer": ("alzheimer", {}),
    "asia_transmit_do": ("asia", {"couple_transmit": True, "intervene_reps": 2}),
    "sachs_harmonic_reversed": ("sachs", {"schedule": "harmonic", "control": "reversed_lead", "couple_steps": 5}),
}


def _hashed(name: str):
    import hashlib

    model_name, kw = HASH_CASES[name]
    model = get_model(model_name)
    enc = Encoding.for_model(model, "index", 15.0)
    p = direct_protocol(model, enc, ProtocolParams(**kw), np.random.default_rng(1))
    digest = lambda a: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:32]  # noqa: E731
    return p, digest


@pytest.mark.parametrize("name", sorted(HASH_CASES))
def test_sparse_protocol_gives_back_the_dense_arrays(name):
    p, digest = _hashed(name)
    gain, fiber = p.gain, p.fiber
    assert gain.dtype == np.float64 and fiber.dtype == bool
    assert (digest(gain), digest(fiber)) == DENSE_HASHES[name]
    # the sparse forms hold only the non-zero entries
    assert p.gains.size == np.count_nonzero(gain)
    # and survive a round trip through the saved arrays
    from spiking_direct.protocol import Protocol

    q = Protocol.from_arrays(p.to_arrays(), p.params)
    np.testing.assert_array_equal(q.gain, gain)
    np.testing.assert_array_equal(q.fiber, fiber)
    # per-window accessors agree with the dense arrays
    for w in range(0, p.n_windows, 7):
        assert p.window_gains(w) == {(int(a), int(b)): float(gain[w, a, b]) for a, b in zip(*np.nonzero(gain[w]))}
        A = p.n_areas
        assert all(p.fiber_on(w, a, b) == fiber[w, a, b] for a in range(A) for b in range(A))


def test_fibers_from_any_dense_array():
    from spiking_direct.protocol import Fibers

    rng = np.random.default_rng(0)
    dense = rng.random((6, 5, 5)) < 0.3  # arbitrary: most windows are no product of areas
    dense[1] = False
    dense[2] = np.outer([1, 0, 0, 1, 0], np.ones(5)).astype(bool) & ~np.eye(5, dtype=bool)
    f = Fibers.from_dense(dense)
    assert f.sends[2].tolist() == [True, False, False, True, False] and not f.pairs.window.tolist().count(2)
    np.testing.assert_array_equal(f.dense_into(np.zeros_like(dense)), dense)


def test_dense_arrays_refused_beyond_the_limit(monkeypatch):
    from spiking_direct import protocol as protocol_module
    from spiking_direct.protocol import ProtocolError

    _, _, p = _protocol("alzheimer")
    monkeypatch.setattr(protocol_module, "DENSE_LIMIT", 100)
    with pytest.raises(ProtocolError, match="sparse form"):
        p.gain  # noqa: B018
    with pytest.raises(ProtocolError, match="protocol.fibers"):
        p.fiber  # noqa: B018


@pytest.mark.parametrize("name", sorted(HASH_CASES))
def test_pair_form_values_equal_dense_values(name):
    """Every synapse reads the same gain and fibre from the pair form as from the dense form."""
    from spiking_direct.engines import parts

    p, _ = _hashed(name)
    W, A = p.n_windows, p.n_areas
    v = parts.pair_values(p)
    gain, fiber = p.gain.reshape(W, A * A), p.fiber.reshape(W, A * A).astype(float)
    rows = np.minimum(np.arange(W), v["plasticity_gain"].shape[0] - 1)  # later windows read the last row
    got = v["plasticity_gain"][rows][:, v["gain_pair"][0].astype(int)]
    np.testing.assert_array_equal(got, gain)
    pre, post = np.divmod(np.arange(A * A), A)
    frows = np.minimum(np.arange(W), v["fiber_pairs"].shape[0] - 1)
    got = (
        v["fiber_sends"][:, pre] * v["fiber_hears"][:, post] * (pre != post)
        + v["fiber_pairs"][frows][:, v["fiber_pair"][0].astype(int)]
    )
    np.testing.assert_array_equal(got, fiber)
    learns = (p.gain != 0).any(axis=1).astype(float)
    np.testing.assert_array_equal(v["area_learns"], learns)
    # the gain array has a column per coupled ordered pair and a row per window up to the last coupling one
    assert v["plasticity_gain"].shape == (p.windows("couple").max() + 2, len(p.gains.pairs()) + 1)


def test_pair_form_rewrites_the_model_calls():
    from spiking_direct.engines import parts

    ns = {"gain_pair": None}
    code = "g = plasticity_gain(t, area_pre * n_areas + area_post)\nx = w * fiber_on(t, area_pre * n_areas + area_post)"
    out = parts.in_form(code, ns)
    assert "plasticity_gain(t, int(gain_pair(0*second, area_pre * n_areas + area_post)))" in out
    assert "fiber_on" not in out and "fiber_sends(t, area_pre) * fiber_hears(t, area_post)" in out
    assert parts.in_form(code, {}) == code  # the dense form: unchanged
    with pytest.raises(ValueError, match="cannot rewrite"):
        parts.in_form("fiber_on(t, pair)", ns)


def test_spiking_pair_form_runs_like_the_dense_form(monkeypatch):
    """The runtime backend on a short Alzheimer protocol: the same spikes and weights, to the bit,
    whether the pair values reach the network dense or in the pair form."""
    from spiking_direct.engines import parts
    from spiking_direct.engines.spiking import SpikingParams, run_spiking

    model = get_model("alzheimer")
    enc = Encoding.for_model(model, "index", 15.0)
    params = ProtocolParams(identify_reps=1, couple_steps=2, probe_reps=1, couple_transmit=True)
    p = direct_protocol(model, enc, params, np.random.default_rng(1))
    sp = SpikingParams.for_size(60, connectivity="linked")
    recs = []
    for limit in (parts.DENSE_PAIRS_LIMIT, 0):
        monkeypatch.setattr(parts, "DENSE_PAIRS_LIMIT", limit)
        recs.append(run_spiking(p, enc.n_sets, enc.set_area(), sp, 1, backend="runtime"))
    a, b = recs
    assert a.spike_neuron.size > 0
    for name in ("spike_window", "spike_neuron", "spike_time", "syn_pre", "syn_post", "w_final"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_rate_recording_holds_no_weight_copies():
    _, enc, p = _protocol("asia")
    rec = run_rate(p, enc, RateParams(n=100, connectivity="linked"), seed=0)
    assert rec.w_initial.strides == (0,)  # every initial weight is 1: a view, no array
    assert rec.w_final.dtype == np.float32 and rec.syn_post.dtype == np.int32


# --------------------------------------------------------------------------
# Areas sized for their values; the timing counts the writing
# --------------------------------------------------------------------------
def test_an_area_too_small_for_its_values_is_refused_in_one_line():
    from spiking_direct.config import RunConfig
    from spiking_direct.errors import ConfigError

    model = get_model("random:4:1:0")
    enc = Encoding("index", (2, 63, 2, 2))  # one variable with 63 values
    cfg = RunConfig(model="random:4:1:0", engine="rate")
    with pytest.raises(ConfigError) as info:
        pipeline.check_area_sizes(cfg, model, enc)
    msg = str(info.value)
    assert "\n" not in msg and "63 values" in msg and "k = 32" in msg and "2016 cells" in msg
    n_needed = int(msg.split("set n=")[1].split()[0])
    assert 63 * round(np.sqrt(n_needed)) <= n_needed  # the size it names holds them
    # a smaller k fits the same area, with a warning naming the share they cover
    small_k = apply_overrides(cfg, ["k=15"])
    warning = pipeline.check_area_sizes(small_k, model, enc)
    assert warning is not None and "945 of n = 1000 cells, 94%" in warning and "n >= 1890" in warning


def test_no_warning_where_assemblies_cover_little():
    from spiking_direct.config import RunConfig

    model = get_model("alzheimer")
    assert pipeline.check_area_sizes(RunConfig(engine="rate"), model, Encoding.for_model(model)) is None


def test_timing_counts_writing(tmp_path):
    from spiking_direct.config import RunConfig

    cfg = apply_overrides(RunConfig(model="asia", engine="rate"), ["n=100"])
    res = pipeline.run(cfg, out=tmp_path, figures=False)
    written = json.loads((tmp_path / "result.json").read_text())["timing"]
    assert written == res["timing"]
    t = written
    assert t["write_s"] > 0 and t["total_s"] >= t["analyse_s"] + t["write_s"] + t["simulate_s"]


def test_selected_pairs_propagation_equals_the_full_readout():
    """Linked connectivity: the readout of the selected pairs equals the full one on them, and the
    pairs outside the selection (no fibre) read 0 in the full readout too."""
    from spiking_direct import readout

    model, enc, p = _protocol("child", seed=2)
    rec = run_rate(p, enc, RateParams(n=100, connectivity="linked"), seed=2)
    asm = readout.identify_assemblies(rec)
    full = readout.propagation(rec, asm)
    A = model.n_variables
    truth = model.adjacency().astype(bool)
    linked = truth | truth.T
    rng = np.random.default_rng(0)
    mask = linked | (rng.random((A, A)) < 0.1)
    np.fill_diagonal(mask, False)
    part = pipeline._propagation_of(rec, asm, mask)
    for name in ("overlap", "fired", "responders", "precision"):
        a, b = getattr(full, name), getattr(part, name)
        np.testing.assert_array_equal(a[mask], b[mask])
        assert np.all(b[~mask & ~np.eye(A, dtype=bool)] == 0)
    assert np.all(full.overlap[~linked & ~np.eye(A, dtype=bool)] == 0)


def test_probe_selection_beyond_the_limit(monkeypatch):
    monkeypatch.setattr(pipeline, "ALL_PAIRS_LIMIT", 10)
    model = get_model("child")
    sel = pipeline.probe_selection(model, seed=3)
    truth = model.adjacency().astype(bool)
    assert sel["rule"] == "linked" and sel["mask"][truth].all() and sel["mask"][truth.T].all()
    assert sel["n_pairs"] == int((truth | truth.T).sum()) + sel["n_unlinked_sampled"]
    assert np.array_equal(sel["mask"], pipeline.probe_selection(model, seed=3)["mask"])  # seeded


def test_beyond_the_dense_limit_the_recording_holds_sparse_gains(tmp_path, monkeypatch):
    from spiking_direct import protocol as protocol_module
    from spiking_direct.config import RunConfig

    monkeypatch.setattr(protocol_module, "DENSE_LIMIT", 10)
    messages = []
    cfg = apply_overrides(RunConfig(model="asia", engine="rate"), ["n=100"])
    pipeline.run(cfg, out=tmp_path, figures=True, progress=messages.append)
    z = np.load(tmp_path / "recording.npz")
    assert "gain" not in z.files and {"gain_window", "gain_pre", "gain_post", "gain_value"} <= set(z.files)
    assert any("figures skipped" in m for m in messages) and not (tmp_path / "figures").exists()
    assert np.all(z["gain_value"] > 0) and z["gain_window"].size == 2 * 8 * 20  # 8 links, both ways, 20 steps
