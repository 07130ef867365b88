"""
Your own causal model from tables
=================================

Build a causal model from conditional probability tables with
:func:`spiking_direct.model_from_tables` and run DIRECT on it. Each variable lists its
values with the "positive" one first; ``tables[v]`` has one axis per parent (in the order
of ``values``) and a last axis over ``v``'s own values. This example uses the rate engine,
which needs no compiler; ``engine="spiking"`` runs the same model on the spiking network.
"""

import numpy as np

import spiking_direct as sd

values = {
    "Season": ("Summer", "Winter"),
    "Sprinkler": ("On", "Off"),
    "Rain": ("Yes", "No"),
    "WetGrass": ("Wet", "Dry"),
}
links = [("Season", "Sprinkler"), ("Season", "Rain"), ("Sprinkler", "WetGrass"), ("Rain", "WetGrass")]
tables = {
    "Season": [0.5, 0.5],
    # P(Sprinkler | Season): rows Summer, Winter
    "Sprinkler": [[0.6, 0.4], [0.1, 0.9]],
    "Rain": [[0.2, 0.8], [0.7, 0.3]],
    # P(WetGrass | Sprinkler, Rain): axes Sprinkler, Rain, WetGrass
    "WetGrass": np.array([[[0.99, 0.01], [0.9, 0.1]], [[0.8, 0.2], [0.05, 0.95]]]),
}
model = sd.model_from_tables("garden", values, links, tables)
print(model)

# %%
# A bad table is refused with one line that names the problem.
try:
    sd.model_from_tables("garden", values, links, {**tables, "Rain": [[0.2, 0.7], [0.7, 0.3]]})
except sd.SpikingDirectError as err:
    print(type(err).__name__, err)

# %%
# Run it: the coupling draws its value pairs from rows sampled from these tables.
res = sd.run(model, engine="rate", n=200, seed=0)
print(res)
res.links[["source", "target", "delta (a.u.)", "delta_prop (fraction)"]]

# %%
# ``delta`` and ``delta_prop`` of every ordered pair (row: source, column: target), true links boxed.
fig = res.figure("delta_matrices")
