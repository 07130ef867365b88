"""The stability margin: the full protocol stays contained under 1.5x stronger coupling.

The feasibility prototype (no window clock) ran away as soon as the inter-area
connection probability or the weight bound was raised (p_inter 0.35, w_max
15 mV). Here both are raised 1.5x over the package defaults at once, on the
Alzheimer SCM, seed 0: the weight and propagation readouts must still be
perfect and the network contained (quiet reverse and non-linked pairs, silent
areas silent, the cap holding in every phase). One run, its own build.
"""

import pytest
from brian2 import mV

from spiking_direct.models import STDPParams

pytestmark = pytest.mark.standalone

FACTOR = 1.5


def test_contained_with_stronger_coupling(alzheimer_run):
    defaults = STDPParams()
    p_inter = defaults.p_inter * FACTOR
    w_max_mv = float(defaults.w_max / mV) * FACTOR
    res = alzheimer_run(seed=0, overrides=(f"spiking.stdp.p_inter={p_inter:g}", f"spiking.stdp.w_max={w_max_mv:g}mV"))
    assert res["params"]["spiking"]["stdp"]["p_inter"] == pytest.approx(p_inter)
    w_max_run = res["params"]["spiking"]["stdp"]["w_max"]  # e.g. "15. mV"
    assert w_max_run.endswith(" mV") and float(w_max_run[:-3]) == pytest.approx(w_max_mv)

    s, cap, k = res["summary"], res["cap"], res["cap"]["k"]
    assert res["metrics_delta"]["precision_at_k"] == 1.0
    assert res["metrics_delta_prop"]["precision_at_k"] == 1.0
    assert s["overlap_reverse_max"] <= 0.15
    assert s["overlap_nonlinked_mean"] <= 0.05
    assert s["responders_max"] <= k
    for phase in ("identify", "couple", "probe"):
        assert cap[phase]["silent_max"] == 0, f"a silent area fired in the {phase} phase"
        assert cap[phase]["max"] <= FACTOR * k, f"{cap[phase]['max']} winners in a {phase} window (k = {k})"
