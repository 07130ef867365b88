"""Membrane noise: both noise models give the free membrane the standard deviation ``sigma``."""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms, mV

from spiking_direct.engines.spiking import SpikingError, SpikingParams
from spiking_direct.models import ExcitatoryParams, WindowClock, excitatory_model
from spiking_direct.models.neurons import NOISE_UPDATE


def _free_membrane_sd(noise: str, sigma=0.7 * mV, seed=1, noise_dt=None) -> tuple[float, float]:
    """SD over cells and time of the membrane of 400 inactive cells (no input, never
    fire), and the lag-1 ms autocorrelation of v - E_L."""
    b2.start_scope()
    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.seed(seed)
    clock = WindowClock()
    exc = ExcitatoryParams(noise=noise, sigma=sigma)
    if noise_dt is not None:
        exc = ExcitatoryParams(noise=noise, sigma=sigma, noise_dt=noise_dt)
    b2.defaultclock.dt = clock.dt
    ns = {
        **clock.namespace(),
        **exc.namespace(),
        "area_active": b2.TimedArray(np.zeros((1, 1)), dt=10 * b2.second),
        "area_offset": b2.TimedArray(np.zeros((1, 1)) * b2.second, dt=10 * b2.second),
    }
    eqs, thr, reset = excitatory_model(noise, theta="cell")
    G = b2.NeuronGroup(400, eqs, threshold=thr, reset=reset, refractory="tau_ref", method="euler", namespace=ns)
    G.v = exc.E_L
    G.ge = G.gi = 0 * mV
    if noise == "colored":
        G.I_noise = "sigma_noise * randn()"
        G.run_regularly(NOISE_UPDATE, dt=exc.noise_dt, when="start")
    mon = b2.StateMonitor(G, "v", record=True, dt=1 * ms)
    spikes = b2.SpikeMonitor(G)
    b2.run(600 * ms)
    assert spikes.num_spikes == 0
    v = (mon.v[:, 100:] - exc.E_L) / mV  # after 100 ms of settling
    x = v - v.mean()
    ac = float(np.mean(x[:, 1:] * x[:, :-1]) / np.mean(x * x))
    return float(v.std()), ac


@pytest.mark.parametrize("noise", ["colored", "white"])
def test_free_membrane_sd_is_sigma(noise):
    sd, _ = _free_membrane_sd(noise)
    assert sd == pytest.approx(0.7, rel=0.08)


def test_coloured_noise_sd_does_not_depend_on_update_interval():
    """Holding the OU current for 1 ms or 2 ms (the default) gives the same membrane SD:
    the update is the exact OU step, and the membrane (10 ms) averages over the hold."""
    sd_1, _ = _free_membrane_sd("colored", noise_dt=1 * ms)
    sd_2, _ = _free_membrane_sd("colored", noise_dt=2 * ms)
    assert sd_1 == pytest.approx(0.7, rel=0.08)
    assert sd_2 == pytest.approx(sd_1, rel=0.05)


def test_coloured_noise_is_slower_than_white():
    """The OU current (tau 5 ms) low-passed by the membrane (10 ms) keeps more memory at 1 ms
    than white noise does (membrane alone: exp(-1/10) = 0.90)."""
    _, ac_col = _free_membrane_sd("colored")
    _, ac_white = _free_membrane_sd("white")
    assert ac_white == pytest.approx(np.exp(-0.1), abs=0.03)
    assert ac_col > ac_white + 0.02


def test_unknown_noise_model_is_refused():
    with pytest.raises(SpikingError, match="unknown noise model 'pink'"):
        SpikingParams(exc=ExcitatoryParams(noise="pink")).validate()
