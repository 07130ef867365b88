"""
A small sweep on Dask
=====================

:func:`spiking_direct.run_sweep` runs every combination of models x engines x grid values x
seeds on a ``dask.distributed`` cluster (here a local one with two worker processes) and
returns the summary table, one row per run. A rerun into the same folder skips the finished
runs. The grid here is the protocol's negative controls on the rate engine: DIRECT itself,
no lead between source and target, the lead reversed, and no plasticity.
"""

import tempfile

import matplotlib.pyplot as plt
import numpy as np

import spiking_direct as sd

controls = ["none", "zero_lead", "reversed_lead", "no_plasticity"]

if __name__ == "__main__":  # a local Dask cluster starts worker processes
    summary = sd.run_sweep(
        ["alzheimer"],
        engines=["rate"],
        seeds=[0, 1, 2],
        grid={"control": controls},
        params={"n": 200},
        out=tempfile.mkdtemp(),
        workers=2,
        progress=False,
    )
    print(summary[["control", "seed", "status", "delta_precision_at_k", "delta_auroc"]].to_string(index=False))

# %%
# Precision@K by ``delta`` per control, one point per seed, beside the chance level of a
# random ranking and that of a ranking that knows which pairs are linked but not the direction.
if __name__ == "__main__":
    from spiking_direct.causal import get_model
    from spiking_direct.metrics import structure_metrics

    truth = get_model("alzheimer").adjacency().astype(bool)
    chance = structure_metrics(truth.astype(float), truth)["chance"]
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for i, control in enumerate(controls):
        rows = summary[summary["control"] == control]
        jitter = np.linspace(-0.12, 0.12, len(rows))  # the seeds side by side
        ax.plot(i + jitter, rows["delta_precision_at_k"], "o", ms=8, alpha=0.7)
    ax.axhline(chance["precision_at_k"], color="0.4", ls="--", label="random ranking")
    ax.axhline(chance["precision_at_k_given_skeleton"], color="0.4", ls=":", label="skeleton known, direction not")
    ax.set_xticks(range(len(controls)), controls)
    ax.set_ylabel("Precision@K (delta)")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(loc="upper right")
    plt.show()
