"""The memory estimate and the size guard (``spiking_direct.memory``): fast, nothing compiled."""

from __future__ import annotations

import time

import numpy as np
import pytest

from spiking_direct import memory, pipeline
from spiking_direct.causal import alzheimer, get_model
from spiking_direct.config import RunConfig, apply_overrides
from spiking_direct.encoding import Encoding
from spiking_direct.memory import GiB, MemoryLimitError, check_fits, estimate
from spiking_direct.protocol import (
    ProtocolParams,
    count_windows,
    direct_protocol,
    window_counts,
)


def cfg(engine="spiking", *sets, model="alzheimer"):
    return apply_overrides(RunConfig(model=model, engine=engine), list(sets))


# -- window counts ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["alzheimer", "random:12:2:3"])
@pytest.mark.parametrize("kind", ["index", "rate"])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"control": "shuffled_links"},
        {"parallel_coupling": False},
        {"intervene_reps": 3, "probe_reps": 3, "couple_steps": 7},
    ],
)
def test_count_windows_is_the_protocols_length(name, kind, kw):
    model = get_model(name)
    enc = Encoding.for_model(model, kind)
    params = ProtocolParams(**kw)
    p = direct_protocol(model, enc, params, np.random.default_rng(5))
    assert count_windows(model, enc, params, np.random.default_rng(5)) == p.n_windows
    counts = window_counts(model, enc, params, np.random.default_rng(5))
    assert counts == {ph: len(p.windows(ph)) for ph in counts}


# -- the estimate ------------------------------------------------------------------------------
def test_estimate_counts_the_runs_arrays():
    """Synapses, spikes and windows as the rate engine makes them; the largest array is the gain."""
    model = alzheimer()
    for sets in (["n=100"], ["n=100", "rate.connectivity=linked"], ["n=64", "intervene_reps=2"]):
        c = cfg("rate", *sets)
        e = estimate(c, model)
        _, rec = pipeline.simulate(c, model)
        assert e.n_windows == rec.protocol.n_windows
        assert e.n_synapses == pytest.approx(rec.syn_pre.size, rel=0.03)
        assert e.n_spikes == rec.spike_neuron.size  # the rate engine fires exactly k per cap
    e = estimate(cfg("spiking"), model)
    assert e.largest_array == rec.protocol.gain.nbytes // rec.protocol.n_windows * e.n_windows


def test_estimate_grows_with_n_as_the_synapses():
    model = alzheimer()
    for engine in ("spiking", "rate"):
        e = {n: estimate(cfg(engine, f"n={n}"), model) for n in (500, 1000, 2000)}
        assert e[500].total < e[1000].total < e[2000].total
        assert e[2000].n_synapses == pytest.approx(4 * e[1000].n_synapses, rel=1e-9)
        # the per-synapse part of the peak grows as n^2 (the spike queues' power-of-two capacity aside)
        grow = (e[2000].total - e[1000].total) / (e[1000].total - e[500].total)
        assert 3.0 < grow < 5.0, (engine, grow)


def test_linked_connectivity_needs_less():
    model = alzheimer()
    for engine in ("spiking", "rate"):
        full = estimate(cfg(engine), model)
        linked = estimate(cfg(engine, f"{engine}.connectivity=linked"), model)
        # 10 variables, 10 links: 20 of the 90 ordered pairs are connected
        assert linked.n_synapses == pytest.approx(full.n_synapses * 20 / 90, rel=1e-9)
        assert linked.total < full.total


def test_alzheimer_defaults_fit_in_24_gib_and_match_the_measured_peaks():
    """Measured peaks: 916 MiB spiking (benchmarks/results/memory_estimate.csv); 529 MiB rate (maximum
    resident set of ``run alzheimer --engine rate --seed 1``, the rate engine without weight copies)."""
    model = alzheimer()
    spiking = check_fits(cfg("spiking"), model, available=24 * GiB)
    rate = check_fits(cfg("rate"), model, available=24 * GiB)
    assert 0.85 * 916 < spiking.total / 2**20 < 1.15 * 916
    assert 0.85 * 529 < rate.total / 2**20 < 1.15 * 529
    assert spiking.peak == "while the binary runs" and "binary synapses" in spiking.parts
    assert sum(spiking.parts.values()) == spiking.total
    assert str(spiking).startswith("about ") and "binary synapses" in str(spiking)


def test_pair_form_keeps_the_schedule_small():
    """Beyond DENSE_PAIRS_LIMIT the spiking engine's schedule holds the coupled pairs' gains and the
    areas' fibres, not W x A x A values (400 variables: beyond ALL_PAIRS_LIMIT the probe phase is
    batched, and 200 would now stay within the dense form)."""
    model = get_model("random:400:2:0")
    e = estimate(cfg("spiking", "n=50", "spiking.connectivity=linked", model="random:400:2:0"), model)
    dense = e.n_windows * e.n_areas**2 * 8
    assert dense > 8 * (1 << 24)  # beyond the limit: the pair form
    assert e.largest_array < dense / 10
    assert e.parts["schedule copies"] < dense / 5


# -- the guard ---------------------------------------------------------------------------------
def _refusal(config, model, available):
    t0 = time.perf_counter()
    with pytest.raises(MemoryLimitError) as info:
        check_fits(config, model, available=available)
    return str(info.value), info.value, time.perf_counter() - t0


def test_refusal_is_one_line_with_the_options():
    model = alzheimer()
    c = cfg("spiking")
    small = estimate(cfg("spiking", "n=400"), model).total
    msg, err, _ = _refusal(c, model, small)
    assert "\n" not in msg
    assert msg.startswith("alzheimer (10 variables, spiking engine, n = 1000")
    assert str(err.estimate) in msg and memory.format_bytes(small) in msg
    assert "--set spiking.connectivity=linked" in msg and "--engine rate" in msg
    # the n it names fits, and it is not far below the largest that does
    n_named = int(msg.split("--set n=")[1].split()[0])
    assert estimate(cfg("spiking", f"n={n_named}"), model).total <= small
    assert 360 <= n_named <= 400
    # rate engine: linked and a smaller n, no engine switch
    msg, _, _ = _refusal(cfg("rate"), model, estimate(cfg("rate", "n=300"), model).total)
    assert "--set rate.connectivity=linked" in msg and "--set n=" in msg and "--engine" not in msg


def test_a_munin_sized_model_is_refused_in_seconds():
    model = get_model("random:1041:2.7:0")  # Munin's size, structure only (loads in 0.2 s)
    msg, err, seconds = _refusal(cfg("spiking", model="random:1041:2.7:0"), model, 20 * GiB)
    assert seconds < 5
    assert "\n" not in msg and "--set spiking.connectivity=linked" in msg
    # no W x A x A array: the largest is the stimulus strengths, one per window and input set
    assert err.estimate.largest_array < err.estimate.n_windows * 1041**2


@pytest.mark.long
def test_munin_linked_fits_and_all_pairs_is_refused_in_seconds():
    """``spiking-direct run munin`` used to crash after 18 s allocating a 103 GiB array."""
    model = get_model("munin")  # reading the BIF takes 10-20 s; the check itself well under 5 s
    msg, err, seconds = _refusal(cfg("spiking", model="munin"), model, 20 * GiB)
    assert seconds < 5
    # 1464 identify and couple windows and 738 probe windows: beyond ALL_PAIRS_LIMIT the probes are batched
    # (several source areas per window; 11302 probe windows one area at a time)
    assert err.estimate.n_windows == 2202 and "--set spiking.connectivity=linked" in msg
    linked = estimate(cfg("spiking", "n=250", "spiking.connectivity=linked", model="munin"), model)
    assert linked.total < 16 * GiB


def test_an_allocation_the_kernel_refuses_is_refused_whatever_is_available(monkeypatch):
    model = get_model("random:1041:2.7:0")
    c = cfg("rate", "n=20", "rate.connectivity=linked", model="random:1041:2.7:0")
    e = estimate(c, model)
    monkeypatch.setattr(memory, "allocation_limit", lambda: e.largest_array - 1)
    msg, _, _ = _refusal(c, model, e.total + 10 * GiB)
    assert "the kernel lets one allocation commit" in msg


# -- available memory --------------------------------------------------------------------------
def test_available_memory_is_positive_and_at_most_the_total():
    total = memory._meminfo()["MemTotal"]
    avail = memory.available_memory()
    assert 0 < avail <= total


def test_cgroup_limits_lower_the_available_memory(tmp_path):
    # cgroup v2: a limit two levels up, none at the process's own level
    v2 = tmp_path / "v2"
    (v2 / "a" / "b").mkdir(parents=True)
    (v2 / "cgroup.controllers").write_text("cpu memory\n")
    (v2 / "a" / "memory.max").write_text(str(4 * GiB))
    (v2 / "a" / "memory.current").write_text(str(3 * GiB))
    (v2 / "a" / "memory.stat").write_text(f"anon 1\ninactive_file {GiB // 2}\n")
    (v2 / "a" / "b" / "memory.max").write_text("max")
    (v2 / "a" / "b" / "memory.current").write_text(str(GiB))
    proc = tmp_path / "cgroup2"
    proc.write_text("0::/a/b\n")
    assert memory._cgroup_room(v2, proc) == GiB + GiB // 2
    # cgroup v1: the memory controller's limit
    v1 = tmp_path / "v1"
    (v1 / "memory" / "job").mkdir(parents=True)
    (v1 / "memory" / "job" / "memory.limit_in_bytes").write_text(str(2 * GiB))
    (v1 / "memory" / "job" / "memory.usage_in_bytes").write_text(str(GiB // 4))
    (v1 / "memory" / "memory.limit_in_bytes").write_text(str(9223372036854771712))  # no limit
    proc1 = tmp_path / "cgroup1"
    proc1.write_text("4:memory:/job\n3:cpu:/job\n")
    assert memory._cgroup_room(v1, proc1) == 2 * GiB - GiB // 4
    # no limit anywhere; a v2 line where no v2 hierarchy is mounted is ignored
    proc1.write_text("4:memory:/\n0::/\n")
    assert memory._cgroup_room(v1, proc1) is None


def test_format_bytes():
    assert memory.format_bytes(103 * GiB + GiB // 3) == "103 GiB"
    assert memory.format_bytes(4.1 * GiB) == "4.1 GiB"
    assert memory.format_bytes(850 * 2**20) == "850 MiB"
