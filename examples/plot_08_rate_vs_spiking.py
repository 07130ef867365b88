"""
Rate against spiking
====================

:func:`spiking_direct.compare` runs the rate engine (the discrete Assembly Calculus) and the
spiking network on the same model and seeds (same data table, same value pairs) through the
same readout, and correlates their rankings of every ordered pair. Two seeds at ``n=200``
here; ``comparison.json`` in the output folder holds everything shown.
"""

import tempfile

import matplotlib.pyplot as plt
import numpy as np

import spiking_direct as sd

cmp = sd.compare("alzheimer", seeds=[0, 1], n=200, out=tempfile.mkdtemp())
for seed in cmp["per_seed"]:
    print(
        f"seed {seed['seed']}: same top-K links by delta: {seed['same_top_k_links_delta']}, "
        f"by delta_prop: {seed['same_top_k_links_delta_prop']}; "
        f"Spearman of delta_prop over all pairs {seed['spearman_delta_prop']:.3f}"
    )

# %%
# Per link, the forward and reverse overlaps of each engine (mean over the seeds): the share of
# the target's responders that belong to its assemblies when the source is probed, and the same
# the other way round.
links = cmp["links"]
names = [f"{link['source']}→{link['target']}" for link in links]
y = np.arange(len(links))
fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
for off, engine, colour in ((-0.2, "rate", "tab:orange"), (0.2, "spiking", "tab:blue")):
    forward = [link[f"{engine}_overlap_forward_mean"] for link in links]
    ax.barh(y + off, forward, 0.4, color=colour, label=f"{engine}, forward")
    ax.barh(
        y + off,
        [-link[f"{engine}_overlap_reverse_mean"] for link in links],
        0.4,
        color=colour,
        alpha=0.45,
        label=f"{engine}, reverse (drawn leftwards)",
    )
ax.axvline(0, color="0.3", lw=0.8)
ax.set_yticks(y, names)
ax.invert_yaxis()
ax.set_xlim(-1, 1)
ax.set_xlabel("overlap (fraction of k): reverse ← | → forward")
ax.legend(loc="lower left", fontsize="small")
plt.show()
