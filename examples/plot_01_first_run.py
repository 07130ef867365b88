"""
First run
=========

Run DIRECT once on the built-in Alzheimer causal model with the spiking engine, then read
what came back: the headline, the metrics of both readouts, the per-link table and two
figures. ``n=200`` excitatory cells per area keeps the build small; the default is 1000.
"""

import spiking_direct as sd

res = sd.run("alzheimer", n=200, seed=0)
print(res)

# %%
# The metrics of both readouts, one row each: ``delta`` ranks ordered pairs by synaptic
# asymmetry, ``delta_prop`` by propagation overlap. ``chance`` holds what a random ranking
# would score.
res.metrics[["precision_at_k", "recall_at_k", "auroc", "average_precision", "shd"]]

# %%
# One row per true link, units in the column names (mV: weights of the spiking engine).
res.links[["source", "target", "delta (mV)", "delta_prop (fraction)", "overlap_forward (fraction)"]]

# %%
# The learned graph: the true links beside the top-K pairs of each readout.
fig = res.figure("learned_graph")

# %%
# The coupling phase: each source assembly fires a few milliseconds before its target's.
raster = res.figure("raster_coupling")

# %%
# Everything is also on disk, in ``res.folder``: ``result.json``, ``recording.npz`` and
# ``figures/``.
print(sorted(p.name for p in res.folder.iterdir()))
