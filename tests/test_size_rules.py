"""The spiking network's size rules: k = round(sqrt(n)) and the cap's time step."""

import warnings

import pytest
from brian2 import ms

from spiking_direct.engines.spiking import SpikingError, SpikingParams, cap_dt


@pytest.mark.parametrize(
    "n, dt_ms", [(250, 0.1), (1000, 0.1), (1001, 0.05), (2000, 0.05), (4000, 0.05), (4001, 0.025), (16000, 0.025)]
)
def test_cap_dt_halves_until_below_the_sqrt_rule(n, dt_ms):
    dt = float(cap_dt(n) / ms)
    assert dt == pytest.approx(dt_ms)
    assert dt <= 0.1 * (1000 / n) ** 0.5 + 1e-12  # never coarser than the rule
    assert 2 * dt > min(0.1, 0.1 * (1000 / n) ** 0.5)  # and the coarsest such step


def test_for_size_applies_both_rules_and_keeps_explicit_values():
    p = SpikingParams.for_size(2000)
    assert p.k_eff == 45 and float(p.clock.dt / ms) == pytest.approx(0.05)
    q = SpikingParams.for_size(2000, k=60)
    assert q.k_eff == 60
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p.validate()  # the rule's own step: no warning
        SpikingParams().validate()  # the default n = 1000 at 0.1 ms: no warning


def test_coarse_step_for_a_large_area_is_a_warning_naming_the_fix():
    with pytest.warns(UserWarning, match=r"n = 2000.*for_size"):
        SpikingParams(n=2000).validate()


def test_cap_dt_rejects_an_empty_area():
    with pytest.raises(SpikingError, match="n must be >= 1"):
        cap_dt(0)
