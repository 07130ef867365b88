"""A notebook run through ``import spiking_direct as sd`` alone, then the user's own Brian2.

Each step is what a Brian2 user would type in a notebook; the assertions check
what they would look at. Marked ``long`` (several compilations: 2-4 minutes on
2 cores); ``.ci/run`` runs it when time allows.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from conftest import have_compiler

pytestmark = [pytest.mark.long, pytest.mark.standalone]


def test_a_notebook_run(tmp_path):
    if not have_compiler():
        pytest.skip("no C++ compiler")
    import brian2 as b2
    from brian2 import ms, mV

    import spiking_direct as sd

    # 1. Alzheimer on both engines
    spiking = sd.run("alzheimer", seed=1, out=tmp_path / "alz_spiking")
    rate = sd.run("alzheimer", engine="rate", seed=1, out=tmp_path / "alz_rate")
    for res in (spiking, rate):
        assert res.metrics.loc["delta", "precision_at_k"] == 1.0
        assert len(res.links) == 10
    assert "delta (mV)" in spiking.links.columns and "delta (a.u.)" in rate.links.columns

    # 2. compare the engines on two seeds (the spiking runs reuse step 1's build)
    comp = sd.compare("alzheimer", seeds=(1, 2), out=tmp_path / "compare")
    assert comp["seeds"] == [1, 2] and len(comp["links"]) == 10 and set(comp["params"]) == {"rate", "spiking"}
    assert (tmp_path / "compare" / "comparison.json").exists()

    # 3. parameters as quantities
    slow = sd.run("alzheimer", seed=1, tau_m=20 * ms, w_max=12 * mV, out=tmp_path / "alz_slow")
    assert slow["params"]["spiking"]["exc"]["tau_m"] == "20. ms"
    assert slow["params"]["spiking"]["stdp"]["w_max"] == "12. mV"

    # 4. a 4-variable model from its tables, with the membrane potential of 5 cells
    toy = sd.model_from_tables(
        "toy4",
        {"A": ["a1", "a0"], "B": ["b1", "b0"], "C": ["c1", "c0"], "D": ["d1", "d0"]},
        [("A", "B"), ("B", "C"), ("A", "D")],
        {
            "A": [0.5, 0.5],
            "B": [[0.9, 0.1], [0.2, 0.8]],
            "C": [[0.85, 0.15], [0.1, 0.9]],
            "D": [[0.8, 0.2], [0.3, 0.7]],
        },
    )
    res = sd.run(toy, n=300, seed=3, record={"v": range(5)}, out=tmp_path / "toy")
    assert res["scm"] == "toy4" and res.metrics.loc["delta", "precision_at_k"] == 1.0
    assert set(res.state["neuron"]) == set(range(5))

    # 5. a do() query on a network trained with the conditional rule
    cond = sd.run(toy, n=300, seed=3, learning="conditional", intervene_reps=20, out=tmp_path / "toy_do")
    answer = cond.intervene({"A": "a1"})
    assert {"variable", "value", "predicted", "exact"} <= set(answer.columns)
    assert set(answer["variable"]) >= {"B", "C", "D"}

    # 6. export a standalone build, run it as someone elsewhere would, collect it
    folder = sd.build(toy, tmp_path / "export", n=300, seed=3)
    subprocess.run(["make", "-j2"], cwd=folder, check=True, capture_output=True)
    subprocess.run(["./main"], cwd=folder, check=True, capture_output=True)
    collected = sd.collect(folder)
    assert collected.metrics.loc["delta", "precision_at_k"] == 1.0

    # 7. the user's own runtime network in the same process
    b2.start_scope()
    group = b2.NeuronGroup(10, "dv/dt = (1.1 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact")
    spikes = b2.SpikeMonitor(group)
    b2.run(100 * ms)
    assert b2.get_device().__class__.__name__ == "RuntimeDevice"
    assert spikes.num_spikes > 0 and np.all(group.v[:] < 1)
