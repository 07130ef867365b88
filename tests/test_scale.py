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
    for name in ("indptr", "indices", "block"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


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
