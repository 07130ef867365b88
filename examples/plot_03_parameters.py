"""
Changing parameters with Brian2 quantities
==========================================

Every parameter has a dotted path (``spiking.exc.tau_m``) and, where it is unique, a short
name (``tau_m``); values with a unit are Brian2 quantities. :func:`spiking_direct.params`
lists them all. Parameters of the protocol (``lead``, the gain schedule) reach the compiled
network as run arguments, so changing them reuses the build; parameters of the network's
equations (``tau_m``, ``w_max``) make a new build.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms, mV

import spiking_direct as sd

table = sd.params()
table[table["path"].str.startswith("spiking.stdp")]

# %%
# A bare number for a quantity with a unit is refused, as is an unknown name (with the
# closest valid names).
for bad in ({"tau_m": 20}, {"tau_mem": 20 * ms}):
    try:
        sd.configure("alzheimer", **bad)
    except sd.SpikingDirectError as err:
        print(f"{bad}: {err}")

# %%
# Three runs: the defaults, a shorter lead (same build, re-run) and a slower membrane with
# a higher weight bound (a new build).
runs = {
    "defaults": sd.run("alzheimer", n=200),
    "lead 2 ms": sd.run("alzheimer", n=200, lead=2 * ms),
    "tau_m 20 ms, w_max 12 mV": sd.run("alzheimer", n=200, tau_m=20 * ms, w_max=12 * mV),
}
for name, res in runs.items():
    t = res["timing"]
    print(f"{name:26s} reused build: {t['reused_build']!s:5s}  total {t['total_s']:5.1f} s")

# %%
# ``delta`` of every true link in the three runs.
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
links = runs["defaults"].links
x = np.arange(len(links))
for i, (name, res) in enumerate(runs.items()):
    ax.bar(x + (i - 1) * 0.27, res.links["delta (mV)"], 0.27, label=name)
ax.set_xticks(x, [f"{s}→{t}" for s, t in zip(links["source"], links["target"])], rotation=40, ha="right")
ax.set_ylabel("delta (mV)")
ax.set_ylim(0, 1.3 * max(res.links["delta (mV)"].max() for res in runs.values()))
ax.legend(ncol=3, loc="upper center")
plt.show()
