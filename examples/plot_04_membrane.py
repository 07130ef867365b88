"""
Recording membrane potentials
=============================

``record={"v": cells}`` adds a Brian2 state monitor on excitatory cells (global indices:
area ``a`` holds cells ``a*n`` to ``(a+1)*n - 1``); ``record_dt`` sets its sampling step.
The trace comes back as ``res.state``, a long table with columns ``t (ms)``, ``neuron`` and
``v (mV)``, and is written to ``state.npz`` in the run folder. The spikes of every cell are in
``recording.npz``.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms

import spiking_direct as sd

res = sd.run("alzheimer", n=200, record={"v": range(30)}, record_dt=0.5 * ms)
state = res.state
state.head()

# %%
# The first four windows of the identify phase, in the first area. Each window is one k-cap
# round: the input volley arrives, the firing threshold sweeps down so that the cells with the
# most input cross it first, and after about ``k`` spikes the area's interneurons silence it
# (inhibition is current-based, so the membrane is pushed far below rest) until the state is
# reset at the window boundary. Coloured: the recorded cells that fired in these windows;
# grey: some that did not.
window = sd.configure("alzheimer", n=200).spiking.clock.T_win / ms  # the window length in ms
with np.load(res.folder / "recording.npz") as z:
    early = (z["spike_window"] < 4) & (z["spike_neuron"] < 30)
    # spike times are stored per window (seconds since the window's start)
    cells = z["spike_neuron"][early]
    times = z["spike_window"][early] * window + z["spike_time"][early] * 1e3  # ms since the run's start
spikes = {int(i): times[cells == i] for i in np.unique(cells)}
silent = [i for i in range(30) if i not in spikes][:3]

fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
first = state[state["t (ms)"] < 4 * window]
for cell in silent:
    trace = first[first["neuron"] == cell]
    ax.plot(trace["t (ms)"], trace["v (mV)"], color="0.7", lw=0.8)
for cell, times in spikes.items():
    trace = first[first["neuron"] == cell]
    (line,) = ax.plot(trace["t (ms)"], trace["v (mV)"], lw=1.0, label=f"cell {cell}")
    ax.plot(times, np.full(len(times), -45.0), "|", color=line.get_color(), ms=12, mew=2)
for w in range(1, 4):
    ax.axvline(w * window, color="0.5", ls=":", lw=0.8)
ax.set_xlabel("t (ms)")
ax.set_ylabel("v (mV)")
ax.set_title("membrane potential in the first area (ticks: spikes; dotted: window boundaries)")
ax.legend(loc="lower right", fontsize="small")
plt.show()
