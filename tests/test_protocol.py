import subprocess
import sys

import numpy as np
import pytest
from brian2 import ms, mV, second

from spiking_direct.causal import alzheimer
from spiking_direct.encoding import Encoding, EncodingError
from spiking_direct.protocol import PHASES, ProtocolError, ProtocolParams, adaptive_soft, direct_protocol


def make(**kw):
    model = alzheimer()
    return model, direct_protocol(model, Encoding.for_model(model), ProtocolParams(**kw), np.random.default_rng(0))


def test_adaptive_soft_matches_the_paper():
    beta = adaptive_soft(np.arange(1, 21), 0.09, 0.16, 20)
    assert beta[0] == pytest.approx(0.09)
    assert beta[-1] == pytest.approx(0.16)
    assert np.diff(beta) == pytest.approx(np.full(19, 0.07 / 19))  # about 0.0037 per step
    assert adaptive_soft(np.array([25]), 0.09, 0.16, 20)[0] == pytest.approx(0.16)  # held after the ramp


def test_phases_and_window_counts():
    model, p = make(identify_reps=3, couple_steps=5, probe_reps=2)
    assert len(p.windows("identify")) == 3 * 2
    assert len(p.windows("probe")) == 2 * 2 * model.n_variables
    # every link coupled couple_steps times, with the gain on both directions of its pair only
    for u, v in model.link_indices():
        wins = [w for w in range(p.n_windows) if (u, v) in p.coupled[w]]
        assert len(wins) == 5
        assert np.all(p.gain[wins, u, v] > 0) and np.all(p.gain[wins, v, u] > 0)
    coupled_pairs = {(u, v) for (u, v) in model.link_indices()} | {(v, u) for (u, v) in model.link_indices()}
    nz = {(int(a), int(b)) for _, a, b in np.argwhere(p.gain > 0)}
    assert nz == coupled_pairs
    # no gain outside coupling, no fibre during identification
    assert p.gain[p.phase != PHASES.index("couple")].max() == 0
    assert not p.fiber[p.windows("identify")].any()


def test_parallel_coupling_groups_share_no_area():
    model, p = make()
    for w in p.windows("couple"):
        areas = [a for link in p.coupled[w] for a in link]
        assert len(areas) == len(set(areas))
    _, serial = make(parallel_coupling=False)
    assert len(serial.windows("couple")) == 20 * model.n_links > len(p.windows("couple"))


def test_lead_and_controls():
    model, p = make(lead=7 * ms)
    u, v = model.link_indices()[0]
    w = next(w for w in p.windows("couple") if (u, v) in p.coupled[w])
    assert p.offset[w, u] == 0 and p.offset[w, v] == pytest.approx(0.007)
    _, z = make(control="zero_lead")
    assert z.offset[z.windows("couple")].max() == 0
    _, r = make(control="reversed_lead")
    w = next(w for w in r.windows("couple") if (u, v) in r.coupled[w])
    assert r.offset[w, v] == 0 and r.offset[w, u] > 0
    _, n = make(control="no_plasticity")
    assert n.gain.max() == 0
    _, s = make(control="shuffled_links")
    assert not set(s.coupled_links) & set(model.link_indices())


def test_probe_windows_listen_to_the_probed_area_only():
    model, p = make()
    for w in p.windows("probe"):
        a = p.probe_source[w]
        assert p.active[w].all() and p.stim_set[w, a] >= 0 and (p.stim_set[w] >= 0).sum() == 1
        assert p.fiber[w, a].sum() == model.n_variables - 1 and p.fiber[w].sum() == model.n_variables - 1


@pytest.mark.parametrize(
    "bad", [dict(lead=-1 * ms), dict(lead=0.005), dict(probe_lag=5 * mV), dict(schedule="nope"), dict(couple_steps=0)]
)
def test_bad_protocol_parameters(bad):
    with pytest.raises(ProtocolError):
        make(**bad)


def test_times_are_quantities_held_in_seconds():
    p = ProtocolParams(lead=7 * ms, intervene_span=30 * ms)
    assert p.lead == 7 * ms and p.probe_lag == 10 * ms and p.intervene_span == 30 * ms
    assert p.seconds("lead") == 0.007 and isinstance(p.seconds("lead"), float)
    d = p.to_dict()
    assert d["lead"] == 0.007 and d["intervene_lag"] == 0.008  # result.json records seconds
    assert ProtocolParams.from_dict(d) == p and hash(ProtocolParams.from_dict(d)) == hash(p)
    assert ProtocolParams(lead=0.005 * second) == ProtocolParams()
    with pytest.raises(ProtocolError, match="lead must be a time such as 5\\*ms, got 0.005"):
        ProtocolParams(lead=0.005)
    with pytest.raises(ProtocolError, match="probe_lag must be >= 0 ms, got -2 ms"):
        ProtocolParams(probe_lag=-2 * ms).validate()


def test_a_protocol_for_the_rate_engine_needs_no_brian2():
    code = (
        "import sys, numpy as np\n"
        "from spiking_direct.causal import alzheimer\n"
        "from spiking_direct.encoding import Encoding\n"
        "from spiking_direct.protocol import ProtocolParams, direct_protocol\n"
        "from spiking_direct.engines.rate import RateParams, run_rate\n"
        "m = alzheimer(); e = Encoding.for_model(m)\n"
        "p = direct_protocol(m, e, ProtocolParams(intervene_reps=1), np.random.default_rng(0))\n"
        "run_rate(p, e, RateParams(n=200, k=20), 0)\n"
        "print(p.summary()['params']['lead'], 'brian2' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0.005", "False"]


def test_encodings():
    model = alzheimer()
    idx = Encoding.for_model(model, "index")
    assert idx.n_sets == 20 and idx.sets_of(1) == [2, 3] and idx.stimulus(1, 1) == (3, 1.0)
    rate = Encoding.for_model(model, "rate", separation=10)
    assert rate.n_sets == 10 and rate.stimulus(1, 0) == (1, 1.0) and rate.stimulus(1, 1) == (1, 0.1)
    with pytest.raises(EncodingError):
        Encoding.for_model(model, "rate", separation=0.5)
    with pytest.raises(EncodingError):
        Encoding.for_model(model, "onehot")


def test_protocol_from_values_takes_each_areas_first_stimulated_set():
    import numpy as np

    from spiking_direct.protocol import PHASES, protocol_from_values

    set_area = [0, 0, 1, 1]
    values = {
        "stim_strength": np.array([[0, 1.0, 0, 0], [1.0, 0.5, 0, 0.3], [0, 0, 0, 0]]),
        "area_active": np.array([[1, 0], [1, 1], [0, 0]], dtype=float),
        "area_offset": np.zeros((3, 2)),
        "plasticity_gain": np.zeros((3, 4)),
        "fiber_on": np.array([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=float),
    }
    p = protocol_from_values(values, set_area)
    assert p.stim_set.tolist() == [[1, -1], [0, 3], [-1, -1]]
    assert p.stim_strength.tolist() == [[1.0, 0.0], [1.0, 0.3], [0.0, 0.0]]
    assert p.fiber[0, 0, 1] and not p.fiber[1].any()
    assert (p.phase == PHASES.index("identify")).all() and p.n_windows == 3
