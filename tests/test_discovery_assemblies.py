"""The assembly discovery protocol (rate engine): encoding, the two rules' fixed points, controls."""

from __future__ import annotations

import numpy as np
import pytest

from spiking_direct.causal import dynamic, get_model, motif
from spiking_direct.discovery import evaluate, shuffle_time
from spiking_direct.discovery.assemblies import (
    DiscoveryParams,
    assembly_scores,
    calibrate,
    calibrated_null,
    cell_activity,
    encode,
    learn_rate,
    null_scores,
    score_blocks,
)
from spiking_direct.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def chain_series():
    dyn = dynamic(motif("chain", strength=0.8), lags=1, autocorrelation=0.0, burn_in=50)
    return dyn, dyn.simulate(1500, np.random.default_rng(7))


def test_encode_offsets_and_onehot(chain_series):
    _, s = chain_series
    enc = encode(s)
    assert enc.variables == ("A", "B", "C") and enc.cards == (2, 2, 2)
    assert list(enc.offsets) == [0, 2, 4, 6]
    oh = enc.onehot()
    assert oh.shape == (1500, 6) and (oh.sum(axis=1) == 3).all()
    assert (oh[np.arange(1500), enc.codes[:, 1] + 2]).all()


@pytest.mark.parametrize(
    ("changes", "match"),
    [({"k": 0}, "k"), ({"p_fire": 1.5}, "p_fire"), ({"eta": 2.0}, "eta"), ({"p_background": 0.95}, "exceed")],
)
def test_bad_params_one_line(changes, match):
    with pytest.raises(ConfigError, match=match):
        DiscoveryParams(**changes)


def test_bad_input_one_line(chain_series):
    _, s = chain_series
    with pytest.raises(ConfigError, match="hebbian, predictive"):
        assembly_scores(s, rule="stdp")
    with pytest.raises(ConfigError, match="rate, spiking"):
        assembly_scores(s, engine="gpu")
    with pytest.raises(ConfigError, match="max_lag must be 1"):
        assembly_scores(s, max_lag=2)
    with pytest.raises(ConfigError, match="null_runs must be an int >= 0"):
        assembly_scores(s, null_runs=-1)
    import spiking_direct as sd

    with pytest.raises(ConfigError, match="0 .raw scores, no graph. or at least 2"):
        sd.discover(data=s, null_runs=1)
    with pytest.raises(DataError, match="outside"):
        encode(np.array([[0, 1], [2, 1], [0, 0]]), cards=(2, 2))


def test_cell_activity_rates():
    oh = np.zeros((4000, 3), dtype=bool)
    oh[:, 0] = True
    p = DiscoveryParams(k=5, p_fire=0.8, p_background=0.05)
    S = cell_activity(oh, p, np.random.default_rng(0))
    assert S.shape == (4000, 15)
    assert abs(S[:, :5].mean() - 0.8) < 0.02 and abs(S[:, 5:].mean() - 0.05) < 0.01


def test_hebbian_is_the_lagged_covariance(chain_series):
    """Summed over the series the covariance rule's weights are the lagged covariance of the cells'
    activity with the presynaptic running mean subtracted: checked step by step on a short series."""
    _, s = chain_series
    enc = encode(s.iloc[:200])
    p = DiscoveryParams(k=2, w0_sd=0.0, eta=0.1, tau_mean=10.0)
    W, _ = learn_rate(enc, "hebbian", p, seed=3)
    rng = np.random.default_rng(3)
    rng.normal(0.0, 0.0, size=(12, 12))  # the initial weights' draw comes first
    S = cell_activity(enc.onehot(), p, rng).astype(float)
    xbar = np.full(12, p.p_background)
    Wc = np.zeros((12, 12))
    a = 1 / p.tau_mean
    for t in range(1, len(S)):
        Wc += p.eta * np.outer(S[t - 1] - xbar, S[t])
        xbar = (1 - a) * xbar + a * S[t - 1]
    np.testing.assert_allclose(W, Wc.reshape(6, 2, 6, 2).mean(axis=(1, 3)), atol=1e-10)


def test_predictive_reaches_the_regression():
    """The error-driven rule's weights approach the least-squares regression of each cell's activity
    on the previous step's (the fixed point), not the co-occurrence counts."""
    dyn = dynamic(motif("common_driver", strength=0.8), lags=1, autocorrelation=0.5, burn_in=50)
    enc = encode(dyn.simulate(3000, np.random.default_rng(1)))
    p = DiscoveryParams(k=1, p_fire=1.0, p_background=0.0, w0_sd=0.0, decay=0.0)
    W, _ = learn_rate(enc, "predictive", p, seed=0)
    X = enc.onehot().astype(float)
    beta = np.linalg.lstsq(X[:-1], X[1:], rcond=None)[0]  # minimum-norm: the same fixed point from w = 0
    assert np.corrcoef(W.ravel(), beta.ravel())[0, 1] > 0.95


@pytest.mark.parametrize("rule", ["hebbian", "predictive"])
def test_chain_direction_and_controls(rule, chain_series):
    dyn, s = chain_series
    sc = assembly_scores(s, rule=rule, seed=1)
    assert sc[0, 1] > 5 * sc[1, 0] and sc[1, 2] > 5 * sc[2, 1]
    truth = dyn.adjacency(contemporaneous=False)
    assert evaluate(sc, truth)["auroc"] == 1.0
    frozen = assembly_scores(s, rule=rule, seed=1, params=DiscoveryParams(plastic=False))
    shuffled = assembly_scores(shuffle_time(s, np.random.default_rng(2)), rule=rule, seed=1)
    for control in (frozen, shuffled):
        assert control[0, 1] < 0.2 * sc[0, 1] and control[1, 2] < 0.2 * sc[1, 2]


def test_calibration_arithmetic():
    null = np.array([[[0, 1, 2], [4, 0, 0], [1, 1, 0]], [[0, 3, 2], [4, 0, 0], [1, 1, 0]]], dtype=float)
    sc = np.array([[5, 4, 4], [2, 5, 1], [3, 0, 5]], dtype=float)
    cal = calibrate(sc, null)
    assert cal[0, 1] == 2.0 and cal[0, 2] == 2.0 and cal[1, 0] == 0.5 and cal[2, 0] == 3.0
    assert cal[1, 2] == 0.0  # a null mean of 0: no evidence either way
    assert (np.diag(cal) == 0).all()
    loo = calibrated_null(null)  # each run over the other: 1/3 and 3 for the pair that differs
    assert loo[0, 0, 1] == pytest.approx(1 / 3) and loo[1, 0, 1] == 3.0 and loo[0, 1, 0] == 1.0
    with pytest.raises(ConfigError, match="at least 2"):
        calibrated_null(null[:1])


@pytest.mark.parametrize("rule", ["hebbian", "predictive"])
def test_calibration_gives_every_pair_the_same_null_scale(rule):
    """A series with no order in time (asia's rows shuffled): the raw scores' null scale differs
    from pair to pair by far more than noise (rare values against frequent ones), the calibrated
    null's does not, so a ranking of calibrated scores carries no marginal statistics."""
    dyn = dynamic(get_model("asia"), lags=1, autocorrelation=0.0, burn_in=50)
    s = shuffle_time(dyn.simulate(1000, np.random.default_rng(3)), np.random.default_rng(4))
    enc = encode(s)
    null = null_scores(enc, 8, rule, "rate", DiscoveryParams(), seed=0)
    off = ~np.eye(len(enc.variables), dtype=bool)
    raw_scale = null.mean(axis=0)[off]
    cal_scale = calibrated_null(null).mean(axis=0)[off]
    assert raw_scale.max() / raw_scale.min() > 20
    assert cal_scale.max() / cal_scale.min() < 8 and 0.7 < np.median(cal_scale) < 1.5


def test_predictive_conditions_on_the_common_driver():
    """B and C share the driver A and their own past (rho 0.5): B's past predicts C only through A's,
    which the regression accounts for; the covariance rule does not."""
    dyn = dynamic(motif("common_driver", strength=0.8), lags=1, autocorrelation=0.5, burn_in=50)
    s = dyn.simulate(3000, np.random.default_rng(11))
    ratios = {}
    for rule in ("hebbian", "predictive"):
        sc = assembly_scores(s, rule=rule, seed=0)
        ratios[rule] = max(sc[1, 2], sc[2, 1]) / min(sc[0, 1], sc[0, 2])
    assert ratios["predictive"] < 0.1
    assert ratios["predictive"] < ratios["hebbian"]


def test_score_blocks_ignore_the_diagonal_and_one_hot_offsets():
    enc = encode(np.array([[0, 1], [1, 0], [1, 1], [0, 0]]))
    rates = np.full(4, 0.5)
    W = np.ones((4, 4))  # a constant shift of a block carries no information
    assert (score_blocks(W, enc, rates, "predictive") == 0).all()
    W[0, 2] += 1.0
    sc = score_blocks(W, enc, rates, "hebbian")
    assert sc[0, 1] > 0 and sc[1, 0] == 0 and sc[0, 0] == 0


def test_discover_writes_a_run_folder_and_learns_the_chain(tmp_path):
    import json

    import spiking_direct as sd

    res = sd.discover(motif("chain", strength=0.8), T=1500, seed=3, null_runs=9, out=tmp_path / "run")
    assert set(res.graph) == {("A", "B"), ("B", "C")}
    assert res.metrics["auroc"] == 1.0 and res.metrics["graph_false_positives"] == 0
    saved = json.loads((tmp_path / "run" / "result.json").read_text())
    assert saved["graph"] == [["A", "B"], ["B", "C"]] and saved["seed"] == 3 and saved["engine"] == "rate"
    assert "numpy" in saved["versions"] and saved["params"]["k"] == DiscoveryParams().k
    assert (tmp_path / "run" / "figures" / "discovery.png").stat().st_size > 10_000
    assert list(res.scores.columns) == ["A", "B", "C"]
    again = sd.discover(motif("chain", strength=0.8), T=1500, seed=3, null_runs=9)
    np.testing.assert_array_equal(again.scores.to_numpy(), res.scores.to_numpy())


def test_discover_from_csv_by_cli(tmp_path, capsys):
    from spiking_direct.cli import main

    dyn = dynamic(motif("common_driver", strength=0.9), lags=1, autocorrelation=0.0)
    path = tmp_path / "series.csv"
    dyn.simulate(1500, np.random.default_rng(5)).to_csv(path, index=False)
    assert (
        main(["discover", "none", "--data", str(path), "--null-runs", "9", "--out", str(tmp_path / "r"), "--quiet"])
        == 0
    )
    out = capsys.readouterr().out
    assert "A -> B" in out and "A -> C" in out and "B -> C" not in out and "C -> B" not in out
    assert main(["discover", "none", "--quiet"]) == 2  # no model and no data: one line
    assert "give a causal model" in capsys.readouterr().err
    assert main(["discover", "asia", "--engine", "gpu", "--quiet"]) == 2
    assert "choose one of: rate, spiking" in capsys.readouterr().err
