"""
An intervention: asking the trained network do(X = x)
=====================================================

With ``intervene_reps > 0`` the protocol ends with do() queries: for every variable and
value, that variable's area is clamped to the value's assembly, the fibres into it are cut,
and every other area answers through the learned synapses. ``learning="conditional"`` makes
each weight an estimate of P(target value | source value) instead of a co-activation count,
which a do() answer needs. :meth:`spiking_direct.Result.intervene` then gives the network's
answer beside the exact interventional distribution. The rate engine runs it in seconds; the
same call with the default engine asks the spiking network.
"""

import matplotlib.pyplot as plt
import numpy as np

import spiking_direct as sd

res = sd.run("alzheimer", engine="rate", learning="conditional", intervene_reps=60, couple_steps=400, seed=0)
answer = res.intervene({"APOE4": "Carrier"})
answer

# %%
# The positive value of every variable under do(APOE4 = Carrier): the network's answer
# against the truth (the exact distribution of the mutilated model).
first = answer.groupby("variable", sort=False).head(1)
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
x = np.arange(len(first))
ax.bar(x - 0.2, first["predicted"], 0.4, label="trained network")
ax.bar(x + 0.2, first["exact"], 0.4, label="exact")
ax.set_xticks(x, [f"{v}={val}" for v, val in zip(first["variable"], first["value"])], rotation=40, ha="right")
ax.set_ylabel("P(value | do(APOE4 = Carrier))")
ax.legend()
plt.show()

# %%
# Every ordered pair at once: the predicted average causal effect against the true one, and
# the backdoor estimate from the same data table.
fig_iv = res.figure("interventions")
