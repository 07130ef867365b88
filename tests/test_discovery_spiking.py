"""The assembly discovery protocol with spiking cells (cpp_standalone, one build per shape shared here)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import have_compiler
from spiking_direct.causal import dynamic, motif
from spiking_direct.discovery.assemblies import DiscoveryParams, assembly_scores, encode, learn_rate, score_blocks
from spiking_direct.errors import ConfigError

T_CHAIN = 400
P = DiscoveryParams(k=5)


@pytest.fixture(scope="module")
def chain_series():
    dyn = dynamic(motif("chain", strength=0.8), lags=1, autocorrelation=0.0, burn_in=50)
    return dyn.simulate(T_CHAIN, np.random.default_rng(7))


@pytest.fixture(scope="module")
def chain(chain_series):
    return encode(chain_series)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """A build folder shared by the tests of this module (each shape compiled once)."""
    if not have_compiler():
        pytest.skip("no C++ compiler: cpp_standalone tests skipped")
    return tmp_path_factory.mktemp("dspk_builds")


@pytest.fixture(scope="module")
def learned(chain, builds):
    """``learned(rule, seed=1, plastic=True)`` -> (W, rates), cached."""
    from spiking_direct.discovery.assemblies_spiking import learn_spiking

    cache = {}

    def run(rule, seed=1, plastic=True):
        key = (rule, seed, plastic)
        if key not in cache:
            params = P if plastic else DiscoveryParams(k=5, plastic=False)
            cache[key] = learn_spiking(chain, rule, params, seed, build_dir=builds)
        return cache[key]

    return run


def test_shapes_and_rates(chain, learned):
    W, rates = learned("predictive")
    V = chain.n_values
    assert W.shape == (V, V) and rates.shape == (V,)
    _, rates_rate = learn_rate(chain, "predictive", P, seed=1)
    np.testing.assert_allclose(rates, rates_rate, atol=0.01)  # the cells fire as the pattern says


def test_reproducible(chain, learned, builds):
    from spiking_direct.discovery.assemblies_spiking import learn_spiking

    W, _ = learned("predictive")
    again, _ = learn_spiking(chain, "predictive", P, 1, build_dir=builds)
    np.testing.assert_array_equal(W, again)
    other, _ = learned("predictive", seed=2)
    assert not np.array_equal(W, other)


def test_brian2_state_unchanged(chain, learned):
    """Building and running leave the device, its clock and the preferences as they were."""
    import brian2 as b2
    from brian2.devices.device import get_device

    before_device, before_prefs, before_dt = get_device(), copy.deepcopy(dict(b2.prefs.prefs)), b2.defaultclock.dt
    learned("hebbian")  # the first hebbian call of the module: it builds
    assert get_device() is before_device
    assert b2.defaultclock.dt == before_dt
    after = dict(b2.prefs.prefs)
    assert {k: v for k, v in after.items() if k in before_prefs} == before_prefs


@pytest.mark.parametrize("rule", ["hebbian", "predictive"])
def test_chain_direction_and_agreement(chain_series, chain, learned, builds, rule):
    W, rates = learned(rule)
    sc = score_blocks(W, chain, rates, rule)
    assert sc[0, 1] > 5 * sc[1, 0] and sc[1, 2] > 5 * sc[2, 1]
    front = assembly_scores(chain_series, rule=rule, engine="spiking", params=P, seed=1, build_dir=builds)
    np.testing.assert_array_equal(front, sc)  # the front door runs the same network
    W_rate, _ = learn_rate(chain, rule, P, seed=1)
    assert np.corrcoef(W.ravel(), W_rate.ravel())[0, 1] > 0.95


def test_plasticity_off_keeps_the_initial_weights(chain, learned):
    W, _ = learned("predictive", plastic=False)
    frozen = DiscoveryParams(k=5, plastic=False)
    W_rate, _ = learn_rate(chain, "predictive", frozen, seed=1)  # the rate engine frozen: the initial weights
    np.testing.assert_array_equal(W, W_rate)


def test_bad_step_and_device_one_line(chain):
    import brian2 as b2

    from spiking_direct.discovery.assemblies_spiking import learn_spiking

    for bad in (5.0, 20 * b2.mV, "20ms", 20.05):
        with pytest.raises(ConfigError, match="step") as err:
            learn_spiking(chain, "hebbian", P, step=bad)
        assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="cpp_standalone, runtime") as err:
        learn_spiking(chain, "hebbian", P, device="gpu")
    assert "\n" not in str(err.value)


def test_runtime_device_agrees_with_the_rate_engine():
    """Brian2's runtime device (no build) runs the same network: on a short series its weights are the
    rate engine's."""
    from spiking_direct.discovery.assemblies_spiking import learn_spiking

    dyn = dynamic(motif("chain", strength=0.8), lags=1, autocorrelation=0.0, burn_in=50)
    enc = encode(dyn.simulate(40, np.random.default_rng(3)))
    params = DiscoveryParams(k=2, w0_sd=0.0)
    W, rates = learn_spiking(enc, "predictive", params, 0, device="runtime")
    W_rate, rates_rate = learn_rate(enc, "predictive", params, seed=0)
    np.testing.assert_allclose(rates, rates_rate)
    assert np.corrcoef(W.ravel(), W_rate.ravel())[0, 1] > 0.99
